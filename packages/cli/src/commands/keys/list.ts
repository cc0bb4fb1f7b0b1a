import { defineCommand, FORMAT_OPTION, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'list',
  describe: 'List access keys',
  options: {
    'show-expired': { type: 'boolean', describe: 'Show expired access keys' },
    user: { type: 'string', describe: 'The name of a user to list access keys for' },
    ...FORMAT_OPTION,
  },
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./list.handler.js'))
