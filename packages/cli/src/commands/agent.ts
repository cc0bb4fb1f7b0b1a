import { defineCommand } from './define.js'

// Started in the background by `infra login`; not for people, so not in the help.
export const command = defineCommand('agent', false)
export default command.handledBy(() => import('./agent.handler.js'))
