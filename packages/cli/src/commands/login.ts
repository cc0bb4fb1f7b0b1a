import { defineCommand } from './define.js'

export const command = defineCommand('login [SERVER]', 'Login to Infra', {
  about: 'Login to Infra and start a background agent to keep local configuration up-to-date',
  positionals: {
    SERVER: { type: 'string', describe: 'Infra server: host, host:port or URL [env: INFRA_SERVER]' },
  },
  options: {
    key: { type: 'string', describe: 'Login with an access key [env: INFRA_ACCESS_KEY]' },
    method: {
      type: 'string',
      choices: ['user', 'universal-auth'],
      describe: 'user (default), or universal-auth for machines (--client-id, --client-secret)',
    },
    'client-id': {
      type: 'string',
      describe: 'universal-auth client ID [env: INFRA_UNIVERSAL_AUTH_CLIENT_ID]',
    },
    'client-secret': {
      type: 'string',
      describe: 'universal-auth client secret [env: INFRA_UNIVERSAL_AUTH_CLIENT_SECRET]',
    },
    'no-agent': { type: 'boolean', describe: 'Skip starting the Infra agent in the background' },
    'non-interactive': { type: 'boolean', describe: 'Disable all prompts for input' },
    provider: { type: 'string', describe: 'Login with an identity provider' },
    'skip-tls-verify': { type: 'boolean', describe: 'Skip verifying server TLS certificates' },
    user: { type: 'string', describe: 'Login with this user name and a password [env: INFRA_USER]' },
    password: {
      type: 'string',
      describe: 'The password for --user (prefer INFRA_PASSWORD) [env: INFRA_PASSWORD]',
    },
    'tls-trusted-fingerprint': {
      type: 'string',
      describe: "Trust the server's certificate if its SHA-256 fingerprint is this",
    },
    plain: { type: 'boolean', describe: 'Print only the access key, for scripts' },
    silent: { type: 'boolean', describe: 'Print no messages besides the result' },
  },
  examples: [
    ['$0 login', 'By default, login will prompt for all required information.'],
    ['$0 login infraexampleserver.com', 'Login to a specific server'],
    ['$0 login --provider okta', 'Login with a specific identity provider'],
    ['$0 login --key 1M4CWy9wF5.fAKeKEy5sMLH9ZZzAur0ZIjy', 'Login with an access key'],
    [
      'export INFRA_ACCESS_KEY=$($0 login infraexampleserver.com --method universal-auth --client-id 1M4CWy9wF5 --client-secret fAKeKEy5sMLH9ZZzAur0ZIjy --silent)',
      'Login as a machine identity (client ID and secret: the halves of a key from infra keys add)',
    ],
    [
      'export INFRA_ACCESS_KEY=$($0 login infraexampleserver.com --user johndoe@example.com --plain --silent)',
      'Login with INFRA_PASSWORD set and keep the key for scripts',
    ],
  ],
})
export default command.handledBy(() => import('./login.handler.js'))
