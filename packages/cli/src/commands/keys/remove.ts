import { defineCommand, forceOption } from '../define.js'

export const command = defineCommand('remove KEY', 'Delete an access key', {
  positionals: { KEY: { type: 'string', describe: 'Name or ID of the access key', demandOption: true } },
  options: {
    ...forceOption('Exit successfully even if access key does not exist'),
    user: { type: 'string', describe: 'The user whose key it is, when names repeat across users' },
  },
})
export default command.handledBy(() => import('./remove.handler.js'))
