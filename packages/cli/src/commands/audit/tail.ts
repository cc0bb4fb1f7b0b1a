import { defineCommand } from '../define.js'
import { AUDIT_FORMAT_OPTION, FILTER_OPTIONS } from './options.js'

export const command = defineCommand('tail', 'Show the latest audit events', {
  options: {
    ...FILTER_OPTIONS,
    lines: { alias: 'n', type: 'number', default: 20, describe: 'How many of the latest events to show' },
    follow: { alias: 'f', type: 'boolean', describe: 'Keep showing new events as they are stored' },
    ...AUDIT_FORMAT_OPTION,
  },
  examples: [
    ['$0 audit tail', ''],
    ['$0 audit tail -f --destination production', ''],
  ],
})
export default command.handledBy(() => import('./tail.handler.js'))
