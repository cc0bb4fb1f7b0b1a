import { defineCommand, FORMAT_OPTION } from '../define.js'

export const command = defineCommand('add USER', 'Create a user', {
  about: 'Create a user.\n\nNote: A new user must change their one time password before further usage.',
  positionals: { USER: { type: 'string', demandOption: true } },
  options: FORMAT_OPTION,
  examples: [['$0 users add johndoe@example.com', 'Create a user']],
})
export default command.handledBy(() => import('./add.handler.js'))
