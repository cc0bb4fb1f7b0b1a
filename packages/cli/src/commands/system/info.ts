import { defineCommand, FORMAT_OPTION } from '../define.js'

export const command = defineCommand('info', 'Display the info about the current session', {
  options: FORMAT_OPTION,
})
export default command.handledBy(() => import('./info.handler.js'))
