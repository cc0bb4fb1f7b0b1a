import { defineCommand, FORMAT_OPTION, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'info',
  describe: 'Display the info about the current session',
  options: FORMAT_OPTION,
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./info.handler.js'))
