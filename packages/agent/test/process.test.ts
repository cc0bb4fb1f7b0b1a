import { afterEach, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { agentFiles, isAlive, onAgentReplaced, runningAgent, startAgent, stopAgent } from '../src/index.js'

const homes: string[] = []
const newHome = () => {
  const home = mkdtempSync(join(tmpdir(), 'infra-agent-test-'))
  homes.push(home)
  return home
}
// A stand-in for `infra agent`: prints, then waits until it is stopped.
const sleeper = ['-e', 'console.log("agent up"); setInterval(() => {}, 1000)']
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

afterEach(() => {
  for (const home of homes.splice(0)) {
    stopAgent(home)
    rmSync(home, { recursive: true, force: true })
  }
})

describe('the agent process', () => {
  it('starts detached with its output in the log, one per home, and stops', async () => {
    const home = newHome()
    const first = startAgent(home, process.execPath, sleeper, process.env)
    expect(runningAgent(home)).toBe(first)
    const { logFile, pidFile } = agentFiles(home)
    expect(statSync(pidFile).mode & 0o777).toBe(0o600)
    await until(() => readFileSync(logFile, 'utf8').includes('agent up'))

    const second = startAgent(home, process.execPath, sleeper, process.env)
    await until(() => !isAlive(first))
    expect(runningAgent(home)).toBe(second)

    expect(stopAgent(home)).toBe(true)
    await until(() => !isAlive(second))
    expect(runningAgent(home)).toBeUndefined()
    expect(stopAgent(home)).toBe(false)
  })

  it('starts a new log once the last one grew past 1 MiB, keeping the previous one', async () => {
    const home = newHome()
    const { logFile } = agentFiles(home)
    mkdirSync(join(home, 'logs'))
    writeFileSync(logFile, 'x'.repeat(1024 * 1024 + 1))
    startAgent(home, process.execPath, sleeper, process.env)
    expect(statSync(`${logFile}.1`).size).toBe(1024 * 1024 + 1)
    await until(() => readFileSync(logFile, 'utf8') === 'agent up\n')
  })

  it('ignores a pid file naming a process that is gone', () => {
    const home = newHome()
    writeFileSync(agentFiles(home).pidFile, '2147483646\n')
    expect(runningAgent(home)).toBeUndefined()
    expect(stopAgent(home)).toBe(false)
  })

  it('tells the agent when it has been replaced or its home removed', async () => {
    const home = newHome()
    writeFileSync(agentFiles(home).pidFile, `${process.pid}\n`)
    let replaced = false
    const stop = onAgentReplaced(home, () => (replaced = true), 20)
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(replaced).toBe(false)
    rmSync(home, { recursive: true, force: true })
    await until(() => replaced)
    stop()
  })
})
