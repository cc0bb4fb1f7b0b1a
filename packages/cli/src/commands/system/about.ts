import { defineCommand } from '../define.js'

export const command = defineCommand('about', 'Display information about Infra')
export default command.handledBy(() => import('./about.handler.js'))
