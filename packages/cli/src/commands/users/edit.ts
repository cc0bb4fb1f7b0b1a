import { defineCommand } from '../define.js'

export const command = defineCommand('edit USER', 'Update a user', {
  positionals: { USER: { type: 'string', demandOption: true } },
  options: { password: { type: 'boolean', describe: 'Set a new password' } },
  examples: [['$0 users edit janedoe@example.com --password', 'Set a new password for a user']],
})
export default command.handledBy(() => import('./edit.handler.js'))
