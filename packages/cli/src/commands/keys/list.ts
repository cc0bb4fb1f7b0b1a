import { defineCommand, FORMAT_OPTION } from '../define.js'

export const command = defineCommand('list', 'List access keys', {
  options: {
    'show-expired': { type: 'boolean', describe: 'Show expired access keys' },
    user: { type: 'string', describe: 'The name of a user to list access keys for' },
    ...FORMAT_OPTION,
  },
})
export default command.handledBy(() => import('./list.handler.js'))
