// Resident memory of a benchmarked process, read from /proc (Linux), as the kernel and a container's memory
// limit count it.
import { readFile, writeFile } from 'node:fs/promises'
import type { Figure } from './bench-results.js'

async function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
}

/** Resident memory of a process now, in MiB. */
export async function residentMemoryMiB(pid: number): Promise<number> {
  return (await statusKiB(pid, 'VmRSS')) / 1024
}

export interface PeakResidentMemory {
  /** The highest resident memory (MiB) since the sampler started. */
  stop(): Promise<number>
}

/**
 * Starts watching a process's peak resident memory. The kernel's own peak (VmHWM) is reset first when this
 * process may (`/proc/PID/clear_refs`), so no short spike between samples is missed; samples every
 * `intervalMs` cover the case where it may not.
 */
export async function peakResidentMemory(pid: number, intervalMs = 100): Promise<PeakResidentMemory> {
  const kernelPeak = await writeFile(`/proc/${pid}/clear_refs`, '5').then(
    () => true,
    () => false,
  )
  let peakKiB = await statusKiB(pid, 'VmRSS')
  const sample = () =>
    statusKiB(pid, 'VmRSS').then(
      (kib) => (peakKiB = Math.max(peakKiB, kib)),
      () => undefined, // the process has exited: its last sample stands
    )
  const timer = setInterval(() => void sample(), intervalMs)
  return {
    async stop() {
      clearInterval(timer)
      await sample()
      if (kernelPeak) peakKiB = Math.max(peakKiB, await statusKiB(pid, 'VmHWM').catch(() => 0))
      return peakKiB / 1024
    },
  }
}

/** What `run` returns, and the process's peak resident memory (MiB) while it ran. */
export async function peakDuring<T>(pid: number, run: () => Promise<T>): Promise<[T, number]> {
  const peak = await peakResidentMemory(pid)
  const result = await run()
  return [result, await peak.stop()]
}

/** A peak-memory figure beside the same process idle, with its ceiling. */
export const peakMemoryFigure = (
  id: string,
  label: string,
  peakMiB: number,
  idleMiB: number,
  targetMiB: number,
): Figure => ({
  id,
  label,
  value: peakMiB,
  unit: 'MiB',
  better: 'lower',
  baseline: idleMiB,
  target: { value: targetMiB },
})
