import { defineCommand, forceOption, type ArgsOf } from '../define.js'

const command = defineCommand({
  command: 'remove KEY',
  describe: 'Delete an access key',
  positionals: { KEY: { type: 'string', describe: 'Name or ID of the access key', demandOption: true } },
  options: {
    ...forceOption('Exit successfully even if access key does not exist'),
    user: { type: 'string', describe: 'The user whose key it is, when names repeat across users' },
  },
})
export type Args = ArgsOf<typeof command>
export default command.handledBy(() => import('./remove.handler.js'))
