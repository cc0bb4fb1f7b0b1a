import { defineCommand, forceOption } from '../define.js'

export const command = defineCommand('remove USER', 'Delete a user', {
  positionals: { USER: { type: 'string', demandOption: true } },
  options: forceOption('Exit successfully even if user does not exist'),
  examples: [['$0 users remove janedoe@example.com', 'Delete a user']],
})
export default command.handledBy(() => import('./remove.handler.js'))
