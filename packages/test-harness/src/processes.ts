// Small helpers every package's tests need: running a program, a free port, waiting for a condition.
import { execFile } from 'node:child_process'
import { createServer } from 'node:net'
import { inspect } from 'node:util'

export interface Result {
  code: number
  stdout: string
  stderr: string
}

/** Runs a program to its end; a non-zero exit is a result, not an error (a program that cannot start is). */
export function run(
  file: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`))
          return
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr })
      },
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
  })
}

/** A free TCP port on 127.0.0.1, e.g. so an endpoint can be named before its server listens. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

/**
 * Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs` saying
 * `what` was awaited and the last error the check threw.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  intervalMs = 10,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      // A check that never settles must not hang the test past its deadline.
      const value = await Promise.race([
        check(),
        new Promise<undefined>((resolve) => {
          const timer = setTimeout(
            resolve,
            Math.max(0, deadline - Date.now()) + 1_000,
          ) as unknown as NodeJS.Timeout
          timer.unref()
        }),
      ])
      if (value !== undefined && value !== false) return value
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} not met within ${timeoutMs} ms${lastError ? `: ${lastError instanceof Error ? String(lastError) : inspect(lastError)}` : ''}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
