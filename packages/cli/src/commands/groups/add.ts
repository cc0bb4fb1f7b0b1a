import { defineCommand, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'add GROUP',
  describe: 'Create a group',
  positionals: { GROUP: { type: 'string', demandOption: true } },
  examples: [['$0 groups add Engineering', 'Create a group']],
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./add.handler.js'))
