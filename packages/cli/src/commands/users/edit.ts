import { defineCommand, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'edit USER',
  describe: 'Update a user',
  positionals: { USER: { type: 'string', demandOption: true } },
  options: { password: { type: 'boolean', describe: 'Set a new password' } },
  examples: [['$0 users edit janedoe@example.com --password', 'Set a new password for a user']],
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./edit.handler.js'))
