import { defineCommand } from '../define.js'

export const command = defineCommand('add GROUP', 'Create a group', {
  positionals: { GROUP: { type: 'string', demandOption: true } },
  examples: [['$0 groups add Engineering', 'Create a group']],
})
export default command.handledBy(() => import('./add.handler.js'))
