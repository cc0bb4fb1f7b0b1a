import { defineCommand, forceOption } from '../define.js'

export const command = defineCommand('remove PROVIDER', 'Disconnect an identity provider', {
  positionals: { PROVIDER: { type: 'string', demandOption: true } },
  options: forceOption('Exit successfully even if provider does not exist'),
  examples: [['$0 providers remove okta', '']],
})
export default command.handledBy(() => import('./remove.handler.js'))
