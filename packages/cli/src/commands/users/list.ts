import { defineCommand, FORMAT_OPTION } from '../define.js'

export const command = defineCommand('list', 'List users', { options: FORMAT_OPTION })
export default command.handledBy(() => import('./list.handler.js'))
