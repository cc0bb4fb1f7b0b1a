import { defineCommand, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'add',
  describe: 'Print a kubectl ExecCredential with a short-lived token (the kubeconfig exec plugin)',
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./add.handler.js'))
