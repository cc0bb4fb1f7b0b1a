import { defineCommand } from '../define.js'
import { AUDIT_FORMAT_OPTION, FILTER_OPTIONS } from './options.js'

export const command = defineCommand('list', 'List audit events, oldest first', {
  options: {
    ...FILTER_OPTIONS,
    limit: { type: 'number', default: 100, describe: 'At most this many events' },
    after: { type: 'string', describe: 'Start after this event ID (the last one of a previous list)' },
    ...AUDIT_FORMAT_OPTION,
  },
  examples: [
    ['$0 audit list --since 1h', ''],
    ['$0 audit list --user alice@example.com --outcome failure --format json', ''],
    ['$0 audit list --destination production --type kube.request', ''],
  ],
})
export default command.handledBy(() => import('./list.handler.js'))
