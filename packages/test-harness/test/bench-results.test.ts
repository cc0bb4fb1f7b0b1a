import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { writeBenchResults, type Section } from '../src/bench-results.js'

let directory = ''
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'bench-results-'))
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

const throughput = (value: number, baseline: number, id = 'list'): Section => ({
  id,
  title: `Section ${id}`,
  description: 'What is measured.',
  baseline: 'bare Express',
  figures: [
    {
      id: 'throughput',
      label: 'requests/s',
      value,
      unit: 'requests/s',
      better: 'higher',
      baseline,
      target: { ratio: 0.5 },
    },
    { id: 'p99', label: 'p99', value: value / 100, unit: 'ms', better: 'lower', target: { value: 20 } },
  ],
})

const row = (markdown: string, label: string) =>
  markdown
    .split('\n')
    .find((line) => line.startsWith(`| ${label} `))
    ?.split('|')
    .map((cell) => cell.trim())
    .slice(1, -1)

describe('bench results', () => {
  it('shows each figure beside its baseline, its ratio and its target', async () => {
    const markdown = await writeBenchResults(directory, 'Benchmarks', 'Intro.', [throughput(400, 1000)])
    expect(row(markdown, 'requests/s')).toEqual([
      'requests/s',
      '400 requests/s',
      '1,000 requests/s',
      '0.40',
      '–',
      'first run',
      'ratio ≥ 0.50: **NOT met**',
    ])
    expect(row(markdown, 'p99')?.at(-1)).toBe('≤ 20 ms: met')
    expect(await readFile(join(directory, 'results.md'), 'utf8')).toBe(markdown)
  })

  it('compares each figure with the previous run, which way is better included', async () => {
    await writeBenchResults(directory, 'Benchmarks', 'Intro.', [throughput(400, 1000)])
    const markdown = await writeBenchResults(directory, 'Benchmarks', 'Intro.', [throughput(600, 1000)])
    expect(row(markdown, 'requests/s')?.slice(4, 6)).toEqual([
      '400 requests/s (ratio 0.40)',
      '+50.0 % (better)',
    ])
    // p99 rose from 4 to 6 ms: worse.
    expect(row(markdown, 'p99')?.slice(4, 6)).toEqual(['4 ms', '+50.0 % (worse)'])
  })

  it('keeps the last run of the sections not run this time', async () => {
    await writeBenchResults(directory, 'Benchmarks', 'Intro.', [
      throughput(400, 1000, 'a'),
      throughput(500, 1000, 'b'),
    ])
    const markdown = await writeBenchResults(directory, 'Benchmarks', 'Intro.', [throughput(700, 1000, 'b')])
    expect(markdown).toContain('## Section a')
    expect(markdown.indexOf('## Section b')).toBeLessThan(markdown.indexOf('## Section a'))
    expect(markdown).toContain('500 requests/s (ratio 0.50)')
  })
})
