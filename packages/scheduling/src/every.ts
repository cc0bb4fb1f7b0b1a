/** Calls `tick` every `intervalMs` without keeping the process alive for it; returns a function that stops it. */
export function every(intervalMs: number, tick: () => void): () => void {
  const timer = setInterval(tick, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
