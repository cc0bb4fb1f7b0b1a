import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, expect, it } from '@jest/globals'
import { peakResidentMemory, residentMemoryMiB } from '../src/resident-memory.js'

describe('peak resident memory', () => {
  it('counts memory a process touched after it started, with no sample in between', async () => {
    // 64 MiB touched on the signal, then idle until killed.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `process.stdout.write('ready\\n');
         process.on('SIGUSR2', () => { globalThis.b = Buffer.alloc(64 * 1024 * 1024, 1); process.stdout.write('done\\n') });
         setInterval(() => {}, 1000)`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    try {
      await once(child.stdout, 'data')
      const pid = child.pid as number
      const before = await residentMemoryMiB(pid)
      const peak = await peakResidentMemory(pid, 10_000) // no sample in between: only the kernel's peak can see it
      child.kill('SIGUSR2')
      await once(child.stdout, 'data')
      const highest = await peak.stop()
      expect(highest).toBeGreaterThan(before + 48)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
