/** Background work run on an interval: never two runs at once, and `stop()` waits for the run in progress. */
export interface Periodic {
  stop(): Promise<void>
}

/** Runs `work` every `intervalMs` (without keeping the process alive for it), reporting its failures to `failed`. */
export function runEvery(
  intervalMs: number,
  work: () => Promise<unknown>,
  failed: (error: unknown) => void,
): Periodic {
  let running: Promise<void> | undefined
  const timer = setInterval(() => {
    running ??= work()
      .then(() => undefined, failed)
      .finally(() => (running = undefined))
  }, intervalMs)
  timer.unref()
  return {
    stop: async () => {
      clearInterval(timer)
      await running
    },
  }
}
