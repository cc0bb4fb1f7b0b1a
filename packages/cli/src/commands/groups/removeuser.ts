import { defineCommand, forceOption } from '../define.js'

export const command = defineCommand('removeuser USER GROUP', 'Remove a user from a group', {
  positionals: {
    USER: { type: 'string', demandOption: true },
    GROUP: { type: 'string', demandOption: true },
  },
  options: forceOption('Exit successfully even if the user is not in the group'),
  examples: [['$0 groups removeuser johndoe@example.com Engineering', 'Remove a user from a group']],
})
export default command.handledBy(() => import('./removeuser.handler.js'))
