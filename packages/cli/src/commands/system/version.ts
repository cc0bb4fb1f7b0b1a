import { defineCommand, FORMAT_OPTION, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'version',
  describe: 'Display the Infra version',
  options: FORMAT_OPTION,
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./version.handler.js'))
