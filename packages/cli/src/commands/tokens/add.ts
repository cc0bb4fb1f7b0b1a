import { defineCommand } from '../define.js'

export const command = defineCommand(
  'add',
  'Print a kubectl ExecCredential with a short-lived token (the kubeconfig exec plugin)',
)
export default command.handledBy(() => import('./add.handler.js'))
