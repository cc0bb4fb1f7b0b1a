import { defineCommand } from '../define.js'

export const command = defineCommand('show ID', 'Show one audit event in full', {
  positionals: { ID: { type: 'string', demandOption: true } },
  examples: [['$0 audit show 01937c5e-8f2a-7b1c-9d3e-4f5a6b7c8d9e', '']],
})
export default command.handledBy(() => import('./show.handler.js'))
