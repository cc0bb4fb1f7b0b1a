import { defineCommand, FORMAT_OPTION } from '../define.js'

const DURATION_DEFAULT = '720h0m0s'

export const command = defineCommand('add [USER]', 'Create an access key', {
  about: 'Create an access key for a user or a connector.',
  positionals: { USER: { type: 'string', describe: 'The user the key is for' } },
  options: {
    connector: { type: 'boolean', describe: 'Create the key for the connector' },
    'extension-deadline': {
      type: 'string',
      describe: 'A specified deadline that the access key must be used within to remain valid',
      default: DURATION_DEFAULT,
    },
    name: { type: 'string', describe: 'The name of the access key' },
    ttl: {
      type: 'string',
      describe: 'The total time that the access key will be valid for',
      default: DURATION_DEFAULT,
    },
    ...FORMAT_OPTION,
  },
  examples: [
    [
      '$0 keys add user@example.com --ttl=12h --name example-key',
      "Create an access key named 'example-key' for a user that expires in 12 hours",
    ],
    ['$0 keys add --connector', 'Create an access key to add a Kubernetes connection to Infra'],
  ],
})
export default command.handledBy(() => import('./add.handler.js'))
