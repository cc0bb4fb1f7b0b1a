import { defineCommand, FORMAT_OPTION } from './define.js'

export const command = defineCommand('list', 'List accessible destinations', { options: FORMAT_OPTION })
export default command.handledBy(() => import('./list.handler.js'))
