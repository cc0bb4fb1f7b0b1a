import { defineCommand, type ArgsOf } from './define.js'

const command = defineCommand({
  command: 'agent',
  // Started in the background by `infra login`; not for people, so not in the help.
  describe: false,
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./agent.handler.js'))
