import yargs, { type Argv } from 'yargs'
import {
  CliError,
  createContext,
  LOG_LEVELS,
  processIo,
  type Context,
  type GlobalArgs,
  type Io,
} from './lib/context.js'
import { reportError } from './lib/errors.js'
import { FORMATS } from './lib/output.js'

export type { Io } from './lib/context.js'

// Each command's handler declares the arguments its builder defines.
type Handler = (ctx: Context, args: never) => Promise<void>

const DURATION_DEFAULT = '720h0m0s'

/** Commands load their code on first use, so `infra --help` does not pay for every dependency. */
function lazy(io: Io, state: RunState, load: () => Promise<Handler>) {
  return async (argv: unknown) => {
    state.started = true
    const ctx = createContext(io, argv as GlobalArgs)
    const handler = await load()
    await handler(ctx, argv as never)
  }
}

const format = {
  format: {
    type: 'string',
    describe: 'Output format [json]',
    choices: FORMATS,
    default: undefined,
  },
} as const

/** Examples as the reference writes them: a `# comment` line, then the command. */
function examples(list: [command: string, description: string][]): string {
  const lines = list.map(
    ([command, description]) =>
      `${description ? `  # ${description}\n` : ''}  $ ${command.replace('$0', 'infra')}`,
  )
  return `Examples:\n${lines.join('\n\n')}`
}

const force = (describe: string) => ({ force: { type: 'boolean', describe } }) as const

interface RunState {
  /** Whether a command's handler started: errors before that are usage errors. */
  started: boolean
}

/** The `infra` command line for the given surroundings; `runCli` parses and runs it. */
export function buildCli(args: string[], io: Io = processIo(), state: RunState = { started: false }): Argv {
  const run = (load: () => Promise<Handler>) => lazy(io, state, load)
  const commands = () => import('./commands/index.js')

  return (
    yargs(args)
      .scriptName('infra')
      .usage('Infra: access management for Kubernetes\n\nUsage: infra <command> [flags]')
      .parserConfiguration({ 'boolean-negation': false })
      .option('log-level', {
        type: 'string',
        describe: 'Show logs when running the command [error, warn, info, debug]',
        choices: LOG_LEVELS,
        default: 'info',
        global: true,
      })
      .option('server', {
        type: 'string',
        describe: 'Infra server to use for this command (default: the current one) [env: INFRA_SERVER]',
        global: true,
      })
      .option('access-key', {
        type: 'string',
        describe: 'Use this access key instead of logging in [env: INFRA_ACCESS_KEY]',
        global: true,
      })
      .command(
        'login [SERVER]',
        'Login to Infra',
        (y) =>
          y
            .usage(
              'Login to Infra and start a background agent to keep local configuration up-to-date\n\nUsage: infra login [SERVER] [flags]',
            )
            .positional('SERVER', {
              type: 'string',
              describe: 'Infra server: host, host:port or URL [env: INFRA_SERVER]',
            })
            .options({
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
              user: {
                type: 'string',
                describe: 'Login with this user name and a password [env: INFRA_USER]',
              },
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
            })
            .epilogue(
              examples([
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
              ]),
            ),
        run(async () => (await commands()).login),
      )
      .command(
        'logout [SERVER]',
        'Log out of Infra',
        (y) =>
          y
            .usage(
              'Log out of Infra\nNote: [SERVER] and [--all] cannot be both specified. Choose either one or all servers.\n\nUsage: infra logout [SERVER] [flags]',
            )
            .positional('SERVER', { type: 'string', describe: 'Infra server to log out of' })
            .options({
              all: { type: 'boolean', describe: 'logout of all servers' },
              clear: { type: 'boolean', describe: 'clear from list of servers' },
            })
            .epilogue(
              examples([
                ['$0 logout', 'Log out of current server'],
                ['$0 logout infraexampleserver.com', 'Log out of a specific server'],
                ['$0 logout --all', 'Logout of all servers'],
                ['$0 logout --clear', 'Log out of current server and clear from list'],
                [
                  '$0 logout infraexampleserver.com --clear',
                  'Log out of a specific server and clear from list',
                ],
                ['$0 logout --all --clear', 'Logout and clear list of all servers'],
              ]),
            ),
        run(async () => (await commands()).logout),
      )
      .command(
        'list',
        'List accessible destinations',
        (y) => y.options(format),
        run(async () => (await commands()).list),
      )
      .command(
        'use DESTINATION',
        'Access a destination',
        (y) =>
          y
            .positional('DESTINATION', {
              type: 'string',
              describe: 'DESTINATION[.NAMESPACE]',
              demandOption: true,
            })
            .epilogue(
              examples([
                ['$0 use development', 'Use a Kubernetes context'],
                ['$0 use development.kube-system', 'Use a Kubernetes namespace context'],
              ]),
            ),
        run(async () => (await commands()).use),
      )
      .command('destinations', 'Manage destinations', (y) =>
        y
          .command(
            'list',
            'List connected destinations',
            (c) => c.options(format),
            run(async () => (await commands()).destinationsList),
          )
          .command(
            'remove DESTINATION',
            'Disconnect a destination',
            (c) =>
              c
                .positional('DESTINATION', { type: 'string', demandOption: true })
                .options(force('Exit successfully even if destination does not exist'))
                .epilogue(examples([['$0 destinations remove docker-desktop', '']])),
            run(async () => (await commands()).destinationsRemove),
          )
          .demandCommand(1, 'Name a subcommand: list or remove'),
      )
      .command('grants', 'Manage access to destinations', (y) =>
        y
          .command(
            'list',
            'List grants',
            (c) =>
              c.options({
                destination: { type: 'string', describe: 'Filter by destination' },
                ...format,
              }),
            run(async () => (await commands()).grantsList),
          )
          .command(
            'add USER|GROUP DESTINATION',
            'Grant a user or group access to a destination',
            (c) =>
              c
                .positional('USER', { type: 'string', demandOption: true })
                .positional('DESTINATION', { type: 'string', demandOption: true })
                .options({
                  ...force('Create grant even if requested user, destination, or role are unknown'),
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
                })
                .epilogue(
                  examples([
                    [
                      '$0 grants add johndoe@example.com docker-desktop',
                      'Grant a user access to a destination',
                    ],
                    ['$0 grants add group-a staging --group', 'Grant a group access to a destination'],
                    [
                      '$0 grants add johndoe@example.com staging --role viewer',
                      'Grant access with fine-grained permissions',
                    ],
                    [
                      '$0 grants add johndoe@example.com infra --role admin',
                      'Assign a user a role within Infra',
                    ],
                  ]),
                ),
            run(async () => (await commands()).grantsAdd),
          )
          .command(
            'remove USER|GROUP DESTINATION',
            "Revoke a user or group's access to a destination",
            (c) =>
              c
                .positional('USER', { type: 'string', demandOption: true })
                .positional('DESTINATION', { type: 'string', demandOption: true })
                .options({
                  ...force('Exit successfully even if grant does not exist'),
                  group: { alias: 'g', type: 'boolean', describe: 'Group to revoke access from' },
                  role: { type: 'string', describe: 'Role to revoke' },
                })
                .epilogue(
                  examples([
                    [
                      '$0 grants remove janedoe@example.com docker-desktop',
                      'Remove all grants of a user in a destination',
                    ],
                    [
                      '$0 grants remove group-a staging --group',
                      'Remove all grants of a group in a destination',
                    ],
                    ['$0 grants remove janedoe@example.com staging --role viewer', 'Remove a specific grant'],
                    [
                      '$0 grants remove janedoe@example.com infra --role admin',
                      'Remove adminaccess to infra',
                    ],
                  ]),
                ),
            run(async () => (await commands()).grantsRemove),
          )
          .demandCommand(1, 'Name a subcommand: list, add or remove'),
      )
      .command('users', 'Manage users', (y) =>
        y
          .command(
            'add USER',
            'Create a user',
            (c) =>
              c
                .usage(
                  'Create a user.\n\nNote: A new user must change their one time password before further usage.\n\nUsage: infra users add USER [flags]',
                )
                .positional('USER', { type: 'string', demandOption: true })
                .options(format)
                .epilogue(examples([['$0 users add johndoe@example.com', 'Create a user']])),
            run(async () => (await commands()).usersAdd),
          )
          .command(
            'edit USER',
            'Update a user',
            (c) =>
              c
                .positional('USER', { type: 'string', demandOption: true })
                .options({ password: { type: 'boolean', describe: 'Set a new password' } })
                .epilogue(
                  examples([
                    ['$0 users edit janedoe@example.com --password', 'Set a new password for a user'],
                  ]),
                ),
            run(async () => (await commands()).usersEdit),
          )
          .command(
            'list',
            'List users',
            (c) => c.options(format),
            run(async () => (await commands()).usersList),
          )
          .command(
            'remove USER',
            'Delete a user',
            (c) =>
              c
                .positional('USER', { type: 'string', demandOption: true })
                .options(force('Exit successfully even if user does not exist'))
                .epilogue(examples([['$0 users remove janedoe@example.com', 'Delete a user']])),
            run(async () => (await commands()).usersRemove),
          )
          .demandCommand(1, 'Name a subcommand: add, edit, list or remove'),
      )
      .command('groups', 'Manage groups', (y) =>
        y
          .command(
            'list',
            'List groups',
            (c) => c.options(format),
            run(async () => (await commands()).groupsList),
          )
          .command(
            'add GROUP',
            'Create a group',
            (c) =>
              c
                .positional('GROUP', { type: 'string', demandOption: true })
                .epilogue(examples([['$0 groups add Engineering', 'Create a group']])),
            run(async () => (await commands()).groupsAdd),
          )
          .command(
            'remove GROUP',
            'Delete a group',
            (c) =>
              c
                .positional('GROUP', { type: 'string', demandOption: true })
                .options(force('Exit successfully even if group does not exist')),
            run(async () => (await commands()).groupsRemove),
          )
          .command(
            'adduser USER GROUP',
            'Add a user to a group',
            (c) =>
              c
                .positional('USER', { type: 'string', demandOption: true })
                .positional('GROUP', { type: 'string', demandOption: true })
                .epilogue(
                  examples([['$0 groups adduser johndoe@example.com Engineering', 'Add a user to a group']]),
                ),
            run(async () => (await commands()).groupsAddUser),
          )
          .command(
            'removeuser USER GROUP',
            'Remove a user from a group',
            (c) =>
              c
                .positional('USER', { type: 'string', demandOption: true })
                .positional('GROUP', { type: 'string', demandOption: true })
                .options(force('Exit successfully even if the user is not in the group'))
                .epilogue(
                  examples([
                    ['$0 groups removeuser johndoe@example.com Engineering', 'Remove a user from a group'],
                  ]),
                ),
            run(async () => (await commands()).groupsRemoveUser),
          )
          .demandCommand(1, 'Name a subcommand: list, add, remove, adduser or removeuser'),
      )
      .command('keys', 'Manage access keys', (y) =>
        y
          .command(
            'list',
            'List access keys',
            (c) =>
              c.options({
                'show-expired': { type: 'boolean', describe: 'Show expired access keys' },
                user: { type: 'string', describe: 'The name of a user to list access keys for' },
                ...format,
              }),
            run(async () => (await commands()).keysList),
          )
          .command(
            'add USER|connector',
            'Create an access key',
            (c) =>
              c
                .usage(
                  'Create an access key for a user or a connector.\n\nUsage: infra keys add USER|connector [flags]',
                )
                .positional('USER', { type: 'string', demandOption: true })
                .options({
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
                  ...format,
                })
                .epilogue(
                  examples([
                    [
                      '$0 keys add user@example.com --ttl=12h --name example-key',
                      "Create an access key named 'example-key' for a user that expires in 12 hours",
                    ],
                    ['$0 keys add connector', 'Create an access key to add a Kubernetes connection to Infra'],
                  ]),
                ),
            run(async () => (await commands()).keysAdd),
          )
          .command(
            'remove KEY',
            'Delete an access key',
            (c) =>
              c
                .positional('KEY', {
                  type: 'string',
                  describe: 'Name or ID of the access key',
                  demandOption: true,
                })
                .options({
                  ...force('Exit successfully even if access key does not exist'),
                  user: {
                    type: 'string',
                    describe: 'The user whose key it is, when names repeat across users',
                  },
                }),
            run(async () => (await commands()).keysRemove),
          )
          .demandCommand(1, 'Name a subcommand: list, add or remove'),
      )
      .command('providers', 'Manage identity providers', (y) =>
        y
          .command(
            'list',
            'List connected identity providers',
            (c) => c.options(format),
            run(async () => (await commands()).providersList),
          )
          .command(
            'add PROVIDER',
            'Connect an identity provider',
            (c) =>
              c
                .usage(
                  'Add an identity provider for users to authenticate.\nPROVIDER is a short unique name of the identity provider being added (eg. okta)\n\nUsage: infra providers add PROVIDER [flags]',
                )
                .positional('PROVIDER', { type: 'string', demandOption: true })
                .options({
                  'client-id': { type: 'string', describe: 'OIDC client ID' },
                  'client-secret': { type: 'string', describe: 'OIDC client secret' },
                  kind: {
                    type: 'string',
                    describe: "The identity provider kind. One of 'oidc, okta, azure, or google'",
                    choices: ['oidc', 'okta', 'azure', 'google'],
                    default: 'oidc',
                  },
                  url: {
                    type: 'string',
                    describe: 'Base URL of the domain of the OIDC identity provider (eg. acme.okta.com)',
                  },
                })
                .epilogue(
                  examples([
                    [
                      '$0 providers add okta --url example.okta.com --client-id 0oa3sz06o6do0muoW5d7 --client-secret VT_oXtkEDaT7UFY-C3DSRWYb00qyKZ1K1VCq7YzN',
                      'Connect okta to infra',
                    ],
                  ]),
                ),
            run(async () => (await commands()).providersAdd),
          )
          .command(
            'remove PROVIDER',
            'Disconnect an identity provider',
            (c) =>
              c
                .positional('PROVIDER', { type: 'string', demandOption: true })
                .options(force('Exit successfully even if provider does not exist'))
                .epilogue(examples([['$0 providers remove okta', '']])),
            run(async () => (await commands()).providersRemove),
          )
          .demandCommand(1, 'Name a subcommand: list, add or remove'),
      )
      .command('tokens', 'Create tokens for kubectl', (y) =>
        y
          .command(
            'add',
            'Print a kubectl ExecCredential with a short-lived token (the kubeconfig exec plugin)',
            (c) => c,
            run(async () => (await import('./commands/tokens.js')).tokensAdd),
          )
          .demandCommand(1, 'Name a subcommand: add'),
      )
      .command(
        'info',
        'Display the info about the current session',
        (y) => y.options(format),
        run(async () => (await commands()).info),
      )
      .command(
        'version',
        'Display the Infra version',
        (y) => y.options(format),
        run(async () => (await commands()).version),
      )
      .command(
        'about',
        'Display information about Infra',
        (y) => y,
        run(async () => (await commands()).about),
      )
      .command(
        'completion [SHELL]',
        'Generate the shell completion script for bash or zsh',
        (y) =>
          y
            .positional('SHELL', {
              type: 'string',
              choices: ['bash', 'zsh'],
              describe: 'default: from $SHELL',
            })
            .epilogue(
              examples([
                ['$0 completion bash >> ~/.bashrc', 'Complete infra commands in bash'],
                ['$0 completion zsh >> ~/.zshrc', 'Complete infra commands in zsh'],
              ]),
            ),
        run(async () => (await import('./commands/completion.js')).completion),
      )
      // Started in the background by `infra login`; not for people, so not in the help.
      .command(
        'agent',
        false,
        (y) => y,
        run(async () => (await commands()).agent),
      )
      // Answers the scripts' `infra --get-yargs-completions <words>`; the command itself is the one above.
      .completion('get-yargs-completion-script', false)
      .help('help', 'Display help')
      .alias('help', 'h')
      .version(false)
      .wrap(null)
      .strict()
      .recommendCommands()
      .exitProcess(false)
      .fail(false)
  )
}

const GROUPS: Record<string, string[]> = {
  destinations: ['list', 'remove'],
  grants: ['list', 'add', 'remove'],
  users: ['add', 'edit', 'list', 'remove'],
  groups: ['list', 'add', 'remove', 'adduser', 'removeuser'],
  keys: ['list', 'add', 'remove'],
  providers: ['list', 'add', 'remove'],
  tokens: ['add'],
}

const COMMANDS = [
  ...Object.keys(GROUPS),
  ...['login', 'logout', 'list', 'use', 'info', 'version', 'about', 'completion'],
]

/** The command (and subcommand) a command line names, for "see infra users add --help". */
function commandPath(args: string[]): string {
  const [first, second] = args.filter((arg) => !arg.startsWith('-'))
  if (first === undefined || !COMMANDS.includes(first)) return ''
  const subcommands = GROUPS[first]
  return subcommands && second !== undefined && subcommands.includes(second) ? `${first} ${second}` : first
}

/** Parses and runs a command line; resolves to the exit code. Errors go to stderr with a one-line hint. */
export async function runCli(args: string[], io: Io = processIo()): Promise<number> {
  if (args.length === 0) args = ['--help']
  const state: RunState = { started: false }
  const cli = buildCli(args, io, state)
  let helpOutput = ''
  try {
    await cli.parseAsync(args, {}, (error, _argv, output) => {
      if (!error && output) helpOutput = output
    })
    if (helpOutput) io.stdout.write(helpOutput.endsWith('\n') ? helpOutput : `${helpOutput}\n`)
    return 0
  } catch (error) {
    const style = createContext(io, { logLevel: 'error' }).style
    if (!state.started) {
      const command = commandPath(args)
      io.stderr.write(`${style.red('error:')} ${(error as Error).message}\n`)
      io.stderr.write(`${style.dim('hint:')} see infra ${command ? `${command} ` : ''}--help\n`)
      return 2
    }
    return reportError({ io, style }, error)
  }
}

export { CliError }
