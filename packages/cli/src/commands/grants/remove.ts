import { defineCommand, forceOption } from '../define.js'
import { GRANT_POSITIONALS } from './positionals.js'

export const command = defineCommand(
  'remove USER|GROUP DESTINATION',
  "Revoke a user or group's access to a destination",
  {
    positionals: GRANT_POSITIONALS,
    options: {
      ...forceOption('Exit successfully even if grant does not exist'),
      group: { alias: 'g', type: 'boolean', describe: 'Group to revoke access from' },
      role: { type: 'string', describe: 'Role to revoke' },
    },
    examples: [
      ['$0 grants remove janedoe@example.com docker-desktop', 'Remove all grants of a user in a destination'],
      ['$0 grants remove group-a staging --group', 'Remove all grants of a group in a destination'],
      ['$0 grants remove janedoe@example.com staging --role viewer', 'Remove a specific grant'],
      ['$0 grants remove janedoe@example.com infra --role admin', 'Remove adminaccess to infra'],
    ],
  },
)
export default command.handledBy(() => import('./remove.handler.js'))
