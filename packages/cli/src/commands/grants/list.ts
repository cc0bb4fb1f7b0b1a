import { defineCommand, FORMAT_OPTION, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'list',
  describe: 'List grants',
  options: { destination: { type: 'string', describe: 'Filter by destination' }, ...FORMAT_OPTION },
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./list.handler.js'))
