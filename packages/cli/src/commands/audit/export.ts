import { defineCommand } from '../define.js'
import { FILTER_OPTIONS } from './options.js'

export const command = defineCommand(
  'export',
  'Write audit events as NDJSON, in the order they were stored',
  {
    about:
      'Resume an export that stopped with --after and the ID of the last line written; with --follow it keeps\n' +
      'writing new events, reconnecting when the connection breaks.',
    options: {
      ...FILTER_OPTIONS,
      after: { type: 'string', describe: 'Start after this event ID (the last line of an earlier export)' },
      follow: { alias: 'f', type: 'boolean', describe: 'Keep writing new events as they are stored' },
    },
    examples: [
      ['$0 audit export --since 30d > events.ndjson', ''],
      ['$0 audit export --follow --after "$(tail -n1 events.ndjson | jq -r .id)" >> events.ndjson', ''],
    ],
  },
)
export default command.handledBy(() => import('./export.handler.js'))
