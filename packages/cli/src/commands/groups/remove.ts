import { defineCommand, forceOption } from '../define.js'

export const command = defineCommand('remove GROUP', 'Delete a group', {
  positionals: { GROUP: { type: 'string', demandOption: true } },
  options: forceOption('Exit successfully even if group does not exist'),
})
export default command.handledBy(() => import('./remove.handler.js'))
