// Every benchmark reports each figure beside the baseline measured in the same run and beside its previous run.
// The figures are kept in results.json (the record the next run compares with); results.md is rendered from it,
// so a run of some sections leaves the others' last figures in place.
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { format, resolveConfig } from 'prettier'

export interface Figure {
  /** Names the figure within its section across runs: the previous run's value is found by it. */
  id: string
  label: string
  value: number
  unit: string
  /** Which way is an improvement. */
  better: 'higher' | 'lower'
  /** The same measure of the section's baseline, taken in the same run. */
  baseline?: number
  /** At least this (`better: 'higher'`) or at most this (`'lower'`): of the ratio to the baseline, or of the value. */
  target?: { ratio: number } | { value: number }
}

export interface Section {
  /** Names the section across runs. */
  id: string
  title: string
  /** What is measured, how, and what the baseline is. */
  description: string
  /** What the baseline column holds, e.g. "bare Express, same JSON". */
  baseline?: string
  figures: Figure[]
  /** What the figures mean, below the table. */
  notes?: string
}

/** A figure's value and baseline, as its next run compares with. */
interface Measured {
  value: number
  baseline?: number | undefined
}

interface RecordedSection extends Section {
  ranOn: string
  previous: Record<string, Measured>
}

interface Record_ {
  title: string
  intro: string
  sections: RecordedSection[]
}

const machine = () =>
  `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${availableParallelism()} cores ` +
  `(${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ` +
  `load average ${loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')}`

function number(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en')
  const magnitude = Math.abs(value)
  const digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2
  return value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

const withUnit = (value: number, unit: string) => (unit ? `${number(value)} ${unit}` : number(value))

function targetCell(figure: Figure): string {
  if (!figure.target) return ''
  const sign = figure.better === 'higher' ? '≥' : '≤'
  const measured =
    'ratio' in figure.target ? (figure.baseline ? figure.value / figure.baseline : undefined) : figure.value
  const goal = 'ratio' in figure.target ? figure.target.ratio : figure.target.value
  const wanted =
    'ratio' in figure.target ? `ratio ${sign} ${number(goal)}` : `${sign} ${withUnit(goal, figure.unit)}`
  if (measured === undefined) return wanted
  const met = figure.better === 'higher' ? measured >= goal : measured <= goal
  return `${wanted}: ${met ? 'met' : '**NOT met**'}`
}

function changeCell(figure: Figure, previous: Measured | undefined): string {
  if (!previous || previous.value === 0) return 'first run'
  const change = (figure.value - previous.value) / Math.abs(previous.value)
  if (Math.abs(change) < 0.005) return 'same'
  const improved = change > 0 === (figure.better === 'higher')
  return `${change > 0 ? '+' : '−'}${(Math.abs(change) * 100).toFixed(1)} % (${improved ? 'better' : 'worse'})`
}

function renderSection(section: RecordedSection): string {
  const hasBaseline = section.figures.some((figure) => figure.baseline !== undefined)
  const header = [
    'figure',
    'this run',
    ...(hasBaseline ? [`baseline: ${section.baseline ?? 'same run'}`, 'ratio'] : []),
    'previous run',
    'change',
    'target',
  ]
  const rows = section.figures.map((figure) => {
    const previous = section.previous[figure.id]
    const ratio = (of: Measured) => (of.baseline ? ` (ratio ${number(of.value / of.baseline)})` : '')
    return [
      figure.label,
      withUnit(figure.value, figure.unit),
      ...(hasBaseline
        ? [
            figure.baseline === undefined ? '–' : withUnit(figure.baseline, figure.unit),
            figure.baseline ? number(figure.value / figure.baseline) : '–',
          ]
        : []),
      previous ? `${withUnit(previous.value, figure.unit)}${ratio(previous)}` : '–',
      changeCell(figure, previous),
      targetCell(figure),
    ]
  })
  return [
    `## ${section.title}`,
    '',
    `Run ${section.ranOn}.`,
    '',
    section.description.trim(),
    '',
    table(header, rows),
    ...(section.notes ? ['', section.notes.trim()] : []),
  ].join('\n')
}

/** A markdown table from a header row and data rows. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

/**
 * Writes `results.json` and `results.md` in `directory`: the sections run now replace their previous runs,
 * which become their "previous run" column; sections not run now stay as they were. Returns the markdown.
 */
export async function writeBenchResults(
  directory: string,
  title: string,
  intro: string,
  sections: Section[],
): Promise<string> {
  const jsonFile = join(directory, 'results.json')
  const old: Record_ | undefined = existsSync(jsonFile)
    ? (JSON.parse(await readFile(jsonFile, 'utf8')) as Record_)
    : undefined
  const ranOn = machine()
  const recorded: RecordedSection[] =
    old?.sections.filter((kept) => !sections.some((section) => section.id === kept.id)) ?? []
  for (const section of sections) {
    const before = old?.sections.find((kept) => kept.id === section.id)
    const previous = Object.fromEntries(
      (before?.figures ?? []).map((figure) => [
        figure.id,
        { value: figure.value, baseline: figure.baseline } satisfies Measured,
      ]),
    )
    recorded.push({ ...section, ranOn, previous })
  }
  const order = (id: string) => {
    const index = sections.findIndex((section) => section.id === id)
    return index === -1 ? Number.MAX_SAFE_INTEGER : index
  }
  recorded.sort((a, b) => order(a.id) - order(b.id))
  const record: Record_ = { title, intro, sections: recorded }
  // Formatted as the repository's prettier would, so that a run's results are committed as written.
  const markdownFile = join(directory, 'results.md')
  const markdown = await format(
    [`# ${title}`, '', intro.trim(), '', ...recorded.map(renderSection).flatMap((text) => [text, ''])].join(
      '\n',
    ),
    { ...(await resolveConfig(markdownFile)), filepath: markdownFile },
  )
  await writeFile(
    jsonFile,
    await format(JSON.stringify(record), { ...(await resolveConfig(jsonFile)), filepath: jsonFile }),
  )
  await writeFile(markdownFile, markdown)
  return markdown
}
