import { defineCommand } from '../define.js'

export const command = defineCommand('adduser USER GROUP', 'Add a user to a group', {
  positionals: {
    USER: { type: 'string', demandOption: true },
    GROUP: { type: 'string', demandOption: true },
  },
  examples: [['$0 groups adduser johndoe@example.com Engineering', 'Add a user to a group']],
})
export default command.handledBy(() => import('./adduser.handler.js'))
