import { defineCommand, forceOption, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'remove GROUP',
  describe: 'Delete a group',
  positionals: { GROUP: { type: 'string', demandOption: true } },
  options: forceOption('Exit successfully even if group does not exist'),
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./remove.handler.js'))
