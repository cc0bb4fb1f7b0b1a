import cluster, { type Worker } from 'node:cluster'
import type { Logger } from '../http/logger.js'
import { SHUTDOWN_GRACE_MS } from '../server.js'
import { missingMemoryFlags } from './memory-flags.js'

export interface Workers {
  /** The port the workers listen on together. */
  port: number
  /** Stops every worker gracefully (SIGTERM, then SIGKILL after the shutdown grace and a margin). */
  stop(): Promise<void>
}

/** A worker that dies sooner than this after its start counts as a crash loop: its replacement waits longer. */
const STABLE_AFTER_MS = 30_000
const FIRST_RESTART_DELAY_MS = 250
const MAX_RESTART_DELAY_MS = 30_000
/** After SIGTERM, how long a worker may take beyond the shutdown grace before it is killed. */
const STOP_MARGIN_MS = 5_000

/**
 * Forks `count` workers of this same program (each a whole server: its own pool and notification listener)
 * sharing one port, and replaces any that dies, waiting longer after each quick death. Resolves when all listen;
 * rejects (having stopped the others) if one exits first.
 */
export function startWorkers(count: number, env: Record<string, string>, logger: Logger): Promise<Workers> {
  let stopping = false
  let quickDeaths = 0
  const restarts = new Set<NodeJS.Timeout>()

  const stop = async () => {
    stopping = true
    for (const timer of restarts) clearTimeout(timer)
    const running = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => !!worker)
    await Promise.all(running.map(stopWorker))
  }

  // Set before the heap is: a flag set at run time only shapes what V8 allocates from then on.
  cluster.setupPrimary({ execArgv: [...process.execArgv, ...missingMemoryFlags(process.execArgv)] })
  return new Promise((resolve, reject) => {
    let listening = 0
    let failed = false
    const fork = () => {
      const worker = cluster.fork(env)
      const forkedAt = Date.now()
      worker.once('listening', (address) => {
        if (++listening === count) resolve({ port: address.port, stop })
      })
      worker.once('exit', (code, signal) => {
        if (stopping) return
        if (listening < count) {
          if (failed) return
          failed = true
          void stop().then(() =>
            reject(new Error(`a worker exited (${signal ?? `code ${code}`}) before it listened`)),
          )
          return
        }
        quickDeaths = Date.now() - forkedAt < STABLE_AFTER_MS ? quickDeaths + 1 : 0
        const delay =
          quickDeaths === 0
            ? 0
            : Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (quickDeaths - 1))
        logger.error(
          { worker: worker.process.pid, code, signal, restartInMs: delay },
          'an infra-server worker exited; starting another',
        )
        const timer = setTimeout(() => {
          restarts.delete(timer)
          fork()
        }, delay)
        restarts.add(timer)
      })
    }
    for (let started = 0; started < count; started++) fork()
  })
}

function stopWorker(worker: Worker): Promise<void> {
  if (worker.isDead()) return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => worker.process.kill('SIGKILL'), SHUTDOWN_GRACE_MS + STOP_MARGIN_MS)
    worker.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    worker.process.kill('SIGTERM')
  })
}
