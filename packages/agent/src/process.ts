import { spawn } from 'node:child_process'
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'

/** Past this size the log is kept as `agent.log.1` (replacing an older one) and a new one is started. */
const LOG_ROTATE_BYTES = 1024 * 1024

function rotateLog(logFile: string): void {
  try {
    if (statSync(logFile).size > LOG_ROTATE_BYTES) renameSync(logFile, `${logFile}.1`)
  } catch {
    // no log yet
  }
}

/** Where the running agent of an Infra home (`~/.infra`) writes its process id, and its log. */
export function agentFiles(home: string): { pidFile: string; logFile: string } {
  return { pidFile: join(home, 'agent.pid'), logFile: join(home, 'logs', 'agent.log') }
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** Whether a process with this id exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, but is someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The process id of the home's agent when one is running. */
export function runningAgent(home: string): number | undefined {
  const pid = readPid(agentFiles(home).pidFile)
  return pid !== undefined && pid !== process.pid && isAlive(pid) ? pid : undefined
}

/** Stops the home's agent, if one runs, and forgets it. */
export function stopAgent(home: string): boolean {
  const { pidFile } = agentFiles(home)
  const pid = runningAgent(home)
  rmSync(pidFile, { force: true })
  if (pid === undefined) return false
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    // gone meanwhile
  }
  return true
}

/**
 * Starts `command args` as the home's agent: detached from the terminal, output appended to the agent log
 * (rotated at each start once past 1 MiB), after stopping the previous agent. Returns its process id.
 */
export function startAgent(
  home: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): number {
  stopAgent(home)
  const { pidFile, logFile } = agentFiles(home)
  mkdirSync(join(home, 'logs'), { recursive: true, mode: 0o700 })
  rotateLog(logFile)
  const log = openSync(logFile, 'a', 0o600)
  try {
    const child = spawn(command, [...args], { detached: true, stdio: ['ignore', log, log], env })
    child.unref()
    if (child.pid === undefined) throw new Error(`could not start the agent (${command})`)
    writeFileSync(pidFile, `${child.pid}\n`, { mode: 0o600 })
    return child.pid
  } finally {
    closeSync(log)
  }
}

/**
 * For the agent itself: calls `onReplaced` once this process is no longer the home's agent (logout stopped
 * it, another login started a new one, or the home is gone), checking every `intervalMs`. Returns a stop
 * function.
 */
export function onAgentReplaced(home: string, onReplaced: () => void, intervalMs = 2000): () => void {
  const timer = setInterval(() => {
    if (readPid(agentFiles(home).pidFile) === process.pid) return
    clearInterval(timer)
    onReplaced()
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
