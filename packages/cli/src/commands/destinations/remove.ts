import { defineCommand, forceOption, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'remove DESTINATION',
  describe: 'Disconnect a destination',
  positionals: { DESTINATION: { type: 'string', demandOption: true } },
  options: forceOption('Exit successfully even if destination does not exist'),
  examples: [['$0 destinations remove docker-desktop', '']],
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./remove.handler.js'))
