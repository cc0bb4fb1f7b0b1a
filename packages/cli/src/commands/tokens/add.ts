import { defineCommand } from '../define.js'

export const command = defineCommand(
  'add',
  'Print a kubectl ExecCredential with a short-lived token (the kubeconfig exec plugin)',
  {
    options: {
      destination: {
        type: 'string',
        describe: 'The destination the token is for; only its connector accepts it',
      },
    },
    examples: [['$0 tokens add --destination development', 'What kubectl runs for infra:development']],
  },
)
export default command.handledBy(() => import('./add.handler.js'))
