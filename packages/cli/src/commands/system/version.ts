import { defineCommand, FORMAT_OPTION } from '../define.js'

export const command = defineCommand('version', 'Display the Infra version', { options: FORMAT_OPTION })
export default command.handledBy(() => import('./version.handler.js'))
