import { defineCommand } from '../define.js'

export const command = defineCommand('verify', 'Check that no audit event was edited, deleted or reordered', {
  about:
    'The server checks the chain of keyed hashes over every event kept; it exits with 1 at the first event\n' +
    'that does not hold. The head it prints can be kept elsewhere to compare later.',
  examples: [['$0 audit verify', '']],
})
export default command.handledBy(() => import('./verify.handler.js'))
