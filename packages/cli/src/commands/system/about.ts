import { defineCommand, type ArgsOf } from '../define.js'

const command = defineCommand({ command: 'about', describe: 'Display information about Infra' })
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./about.handler.js'))
