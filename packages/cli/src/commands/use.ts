import { defineCommand } from './define.js'

export const command = defineCommand('use DESTINATION', 'Access a destination', {
  positionals: { DESTINATION: { type: 'string', describe: 'DESTINATION[.NAMESPACE]', demandOption: true } },
  examples: [
    ['$0 use development', 'Use a Kubernetes context'],
    ['$0 use development.kube-system', 'Use a Kubernetes namespace context'],
  ],
})
export default command.handledBy(() => import('./use.handler.js'))
