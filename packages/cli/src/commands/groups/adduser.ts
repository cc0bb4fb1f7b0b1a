import { defineCommand, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'adduser USER GROUP',
  describe: 'Add a user to a group',
  positionals: {
    USER: { type: 'string', demandOption: true },
    GROUP: { type: 'string', demandOption: true },
  },
  examples: [['$0 groups adduser johndoe@example.com Engineering', 'Add a user to a group']],
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./adduser.handler.js'))
