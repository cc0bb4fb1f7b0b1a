import { defineCommand, forceOption } from '../define.js'
import { GRANT_POSITIONALS } from './positionals.js'

export const command = defineCommand(
  'add USER|GROUP DESTINATION',
  'Grant a user or group access to a destination',
  {
    positionals: GRANT_POSITIONALS,
    options: {
      ...forceOption('Create grant even if requested user, destination, or role are unknown'),
      group: {
        alias: 'g',
        type: 'boolean',
        describe: 'When set, creates a grant for a group instead of a user',
      },
      role: {
        type: 'string',
        describe: 'Type of access that the user or group will be given',
        default: 'connect',
      },
    },
    examples: [
      ['$0 grants add johndoe@example.com docker-desktop', 'Grant a user access to a destination'],
      ['$0 grants add group-a staging --group', 'Grant a group access to a destination'],
      [
        '$0 grants add johndoe@example.com staging --role viewer',
        'Grant access with fine-grained permissions',
      ],
      ['$0 grants add johndoe@example.com infra --role admin', 'Assign a user a role within Infra'],
    ],
  },
)
export default command.handledBy(() => import('./add.handler.js'))
