import { defineCommand, type ArgsOf } from './define.js'

const command = defineCommand({
  command: 'use DESTINATION',
  describe: 'Access a destination',
  positionals: { DESTINATION: { type: 'string', describe: 'DESTINATION[.NAMESPACE]', demandOption: true } },
  examples: [
    ['$0 use development', 'Use a Kubernetes context'],
    ['$0 use development.kube-system', 'Use a Kubernetes namespace context'],
  ],
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./use.handler.js'))
