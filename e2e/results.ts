// The fault and soak suites keep their figures in a results file beside them, as the benchmarks do: each case
// rewrites its own section when it runs, so a run of one case leaves the others' last figures in place.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'

const SECTION = /^## /m

/** Replaces (or appends) the section `## {title}` of the markdown file `file` with `body`, stamped with the run. */
export function recordResults(file: string, fileTitle: string, title: string, body: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : `# ${fileTitle}\n`
  const [head = '', ...sections] = text.split(SECTION)
  const stamp = `Run on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores, Node ${process.version}.`
  const section = `${title}\n\n${stamp}\n\n${body.trim()}\n\n`
  const index = sections.findIndex((existing) => existing.split('\n', 1)[0] === title)
  if (index === -1) sections.push(section)
  else sections[index] = section
  writeFileSync(file, [head.trimEnd() + '\n\n', ...sections].join('## ').trimEnd() + '\n')
}

export { table } from '@infra/test-harness/bench'
