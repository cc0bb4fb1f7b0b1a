import { defineCommand, forceOption, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'remove PROVIDER',
  describe: 'Disconnect an identity provider',
  positionals: { PROVIDER: { type: 'string', demandOption: true } },
  options: forceOption('Exit successfully even if provider does not exist'),
  examples: [['$0 providers remove okta', '']],
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./remove.handler.js'))
