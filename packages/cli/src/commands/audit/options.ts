import { AUDIT_EVENT_TYPES, AuditOutcome } from '@infra/api-types'

/** The filters `list`, `tail` and `export` share, as the API takes them. */
export const FILTER_OPTIONS = {
  since: { type: 'string', describe: 'Only events since this time: RFC 3339, or a duration back (1h, 30d)' },
  until: { type: 'string', describe: 'Only events until this time: RFC 3339, or a duration back' },
  user: { type: 'string', describe: 'Only events of this user (name or ID)' },
  destination: { type: 'string', describe: 'Only events at this destination' },
  type: {
    type: 'string',
    array: true,
    choices: AUDIT_EVENT_TYPES,
    describe: 'Only events of this type (repeatable)',
  },
  outcome: { type: 'string', choices: AuditOutcome.options, describe: 'Only successes or only failures' },
} as const

export const AUDIT_FORMATS = ['table', 'json', 'ndjson'] as const
export const AUDIT_FORMAT_OPTION = {
  format: { type: 'string', choices: AUDIT_FORMATS, default: 'table', describe: 'Output format' },
} as const
