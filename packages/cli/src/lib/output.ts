import type { Context } from './context.js'
import { loadYaml } from './modules.js'

export const FORMATS = ['table', 'json', 'yaml'] as const
export type Format = (typeof FORMATS)[number]

// eslint-disable-next-line no-control-regex -- ANSI color codes do not count toward column widths
const ANSI = /\u001b\[[0-9;]*m/g
const width = (text: string) => [...text.replace(ANSI, '')].length

/** Aligned columns with an upper-case header, two spaces apart; the last column is not padded. */
export function table(headers: string[], rows: string[][], style?: { bold(text: string): string }): string {
  const all = [headers.map((header) => header.toUpperCase()), ...rows]
  const widths = headers.map((_, column) => Math.max(...all.map((row) => width(row[column] ?? ''))))
  return all
    .map((row, index) => {
      const cells = row.map((cell, column) =>
        column === row.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - width(cell)),
      )
      const line = cells.join('  ').trimEnd()
      return index === 0 && style ? style.bold(line) : line
    })
    .join('\n')
    .concat('\n')
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
]

/** "3 hours ago", "in 30 days", "just now"; "never" for no date. */
export function relativeTime(date: string | Date | undefined, now: number = Date.now()): string {
  if (date === undefined) return 'never'
  const ms = (typeof date === 'string' ? Date.parse(date) : date.getTime()) - now
  if (!Number.isFinite(ms)) return 'unknown'
  const seconds = Math.round(ms / 1000)
  if (Math.abs(seconds) < 10) return 'just now'
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) {
      const count = Math.round(Math.abs(seconds) / size)
      const label = `${count} ${unit}${count === 1 ? '' : 's'}`
      return seconds < 0 ? `${label} ago` : `in ${label}`
    }
  }
  return 'just now'
}

export async function printData(ctx: Context, format: Format, data: unknown): Promise<void> {
  if (format === 'yaml') {
    const { stringify } = await loadYaml()
    ctx.io.stdout.write(stringify(data))
    return
  }
  ctx.io.stdout.write(`${JSON.stringify(data, null, 2)}\n`)
}

/** Prints a list as a table, or as JSON/YAML for scripts. */
export async function printList<T>(
  ctx: Context,
  format: Format | undefined,
  items: T[],
  headers: string[],
  row: (item: T) => string[],
  empty: string,
): Promise<void> {
  if (format === 'json' || format === 'yaml') return printData(ctx, format, items)
  if (items.length === 0) {
    ctx.io.stderr.write(`${empty}\n`)
    return
  }
  ctx.io.stdout.write(table(headers, items.map(row), ctx.outStyle))
}
