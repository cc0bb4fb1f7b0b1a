import { defineCommand, forceOption, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'remove USER',
  describe: 'Delete a user',
  positionals: { USER: { type: 'string', demandOption: true } },
  options: forceOption('Exit successfully even if user does not exist'),
  examples: [['$0 users remove janedoe@example.com', 'Delete a user']],
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./remove.handler.js'))
