import { afterAll, describe, expect, it } from '@jest/globals'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { cpuLimit, defaultWorkers } from '../src/bin/cpu-limit.js'

const made: string[] = []

afterAll(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))))

/** A cgroup mount and /proc/self/cgroup made of fixture files: `files` relative to the mount. */
async function fixture(selfCgroup: string, files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), 'cgroup-'))
  made.push(dir)
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, 'sys', path)), { recursive: true })
    await writeFile(join(dir, 'sys', path), `${content}\n`)
  }
  await writeFile(join(dir, 'self-cgroup'), selfCgroup)
  return cpuLimit(join(dir, 'sys'), join(dir, 'self-cgroup'))
}

describe('the container CPU limit', () => {
  it('is cgroup v2 cpu.max rounded down, at least 1', async () => {
    expect(await fixture('0::/\n', { 'cpu.max': '250000 100000' })).toBe(2)
    expect(await fixture('0::/\n', { 'cpu.max': '50000 100000' })).toBe(1)
    expect(await fixture('0::/\n', { 'cpu.max': 'max 100000' })).toBeUndefined()
  })

  it("is read in the process's own cgroup when the mount shows the host's", async () => {
    expect(
      await fixture('0::/kubepods/pod1/c1\n', {
        'cpu.max': 'max 100000',
        'kubepods/pod1/c1/cpu.max': '400000 100000',
      }),
    ).toBe(4)
  })

  it('is cgroup v1 cpu.cfs_quota_us over cpu.cfs_period_us, -1 meaning none', async () => {
    const v1 = '4:memory:/\n2:cpu,cpuacct:/\n0::/\n'
    expect(
      await fixture(v1, {
        'cpu,cpuacct/cpu.cfs_quota_us': '300000',
        'cpu,cpuacct/cpu.cfs_period_us': '100000',
      }),
    ).toBe(3)
    expect(await fixture(v1, { 'cpu/cpu.cfs_quota_us': '150000', 'cpu/cpu.cfs_period_us': '100000' })).toBe(1)
    expect(
      await fixture(v1, { 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' }),
    ).toBeUndefined()
  })

  it('is none without cgroup files', async () => {
    expect(await fixture('', {})).toBeUndefined()
  })
})

describe('the default number of workers', () => {
  it('is the CPUs available, within the limit', () => {
    expect(defaultWorkers(undefined)).toBe(availableParallelism())
    expect(defaultWorkers(1)).toBe(1)
    expect(defaultWorkers(availableParallelism() + 8)).toBe(availableParallelism())
  })
})
