import { defineCommand, forceOption } from '../define.js'

export const command = defineCommand('remove DESTINATION', 'Disconnect a destination', {
  positionals: { DESTINATION: { type: 'string', demandOption: true } },
  options: forceOption('Exit successfully even if destination does not exist'),
  examples: [['$0 destinations remove docker-desktop', '']],
})
export default command.handledBy(() => import('./remove.handler.js'))
