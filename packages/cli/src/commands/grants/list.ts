import { defineCommand, FORMAT_OPTION } from '../define.js'

export const command = defineCommand('list', 'List grants', {
  options: { destination: { type: 'string', describe: 'Filter by destination' }, ...FORMAT_OPTION },
})
export default command.handledBy(() => import('./list.handler.js'))
