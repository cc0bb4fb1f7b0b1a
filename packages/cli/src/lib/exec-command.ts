import { accessSync, closeSync, constants, openSync, readSync, realpathSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { Io } from './context.js'

/** What kubectl runs to get a token: the exec plugin's `command` and the `args` before `tokens add`. */
export interface ExecCommand {
  command: string
  args: string[]
}

/** kubectl prints this when it cannot find the exec plugin's command. */
export const EXEC_INSTALL_HINT =
  'The Infra CLI gives kubectl its tokens: install it with npm install -g @infra/cli'

const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

const realpathOrUndefined = (path: string) => {
  try {
    return realpathSync(path)
  } catch {
    return undefined
  }
}

function hasShebang(path: string): boolean {
  const fd = openSync(path, 'r')
  try {
    const start = Buffer.alloc(2)
    return readSync(fd, start, 0, 2, 0) === 2 && start.toString('latin1') === '#!'
  } finally {
    closeSync(fd)
  }
}

/** The program kubectl would start as `infra`: the first executable `infra` on PATH, symlinks resolved. */
function infraOnPath(env: Io['env']): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, 'infra')
    if (isExecutable(candidate)) return realpathOrUndefined(candidate)
  }
  return undefined
}

/**
 * The command that starts this very CLI, however it was started: `infra` when that is what PATH finds (so an
 * upgrade in place keeps working), else the running script by its absolute path, through the node binary
 * running it unless the script runs by itself (`node path/to/infra.js` from the repository, a copy off PATH).
 */
export function execCommand(io: Io): ExecCommand {
  const override = io.env.INFRA_EXEC_COMMAND
  if (override) return { command: override, args: [] }
  const script = io.script === undefined ? undefined : realpathOrUndefined(io.script)
  if (script === undefined || infraOnPath(io.env) === script) return { command: 'infra', args: [] }
  if (isExecutable(script) && hasShebang(script)) return { command: script, args: [] }
  return { command: process.execPath, args: [script] }
}
