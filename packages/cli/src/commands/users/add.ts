import { defineCommand, FORMAT_OPTION, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'add USER',
  describe: 'Create a user',
  about: 'Create a user.\n\nNote: A new user must change their one time password before further usage.',
  positionals: { USER: { type: 'string', demandOption: true } },
  options: FORMAT_OPTION,
  examples: [['$0 users add johndoe@example.com', 'Create a user']],
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./add.handler.js'))
