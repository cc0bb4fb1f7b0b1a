// Every command, in the order `infra --help` lists them. yargs, the prebuilt help and completion read this list.
import agent from './agent.js'
import audit from './audit/index.js'
import completion from './completion.js'
import type { Command, CommandGroup } from './define.js'
import destinations from './destinations/index.js'
import grants from './grants/index.js'
import groups from './groups/index.js'
import keys from './keys/index.js'
import list from './list.js'
import login from './login.js'
import logout from './logout.js'
import providers from './providers/index.js'
import about from './system/about.js'
import info from './system/info.js'
import version from './system/version.js'
import tokens from './tokens/index.js'
import use from './use.js'
import users from './users/index.js'

export const COMMANDS: (Command | CommandGroup)[] = [
  login,
  logout,
  list,
  use,
  destinations,
  grants,
  users,
  groups,
  keys,
  providers,
  tokens,
  audit,
  info,
  version,
  about,
  completion,
  agent,
]

/** `users` for `users [USER]`. */
export const nameOf = (command: Command) => command.command.split(' ')[0] ?? ''

/** The visible commands and subcommands as typed: `''` (plain `infra`), `login`, `users add` … */
export const COMMAND_PATHS: string[] = [
  '',
  ...COMMANDS.flatMap((entry) =>
    'subcommands' in entry
      ? [entry.name, ...entry.subcommands.map((command) => `${entry.name} ${nameOf(command)}`)]
      : entry.describe === false
        ? []
        : [nameOf(entry)],
  ),
]
