const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const PART = /(\d+(?:\.\d+)?)(ms|d|h|m|s)/gy

/** Parses a Go-style duration (`12h`, `30m`, `1h30m`, `720h0m0s`), or days (`30d`), into milliseconds. */
export function parseDuration(text: string): number {
  const input = text.trim()
  if (input === '') throw new SyntaxError('empty duration')
  PART.lastIndex = 0
  let total = 0
  let consumed = 0
  for (let match = PART.exec(input); match; match = PART.exec(input)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number)
    consumed = PART.lastIndex
  }
  if (consumed !== input.length) {
    throw new SyntaxError(
      `invalid duration "${text}": use a number and a unit (d, h, m, s, ms), e.g. 30d, 12h or 720h0m0s`,
    )
  }
  return Math.round(total)
}

/** Writes milliseconds the way Go prints durations, e.g. `720h0m0s`. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.floor(ms / 1000)
  const hours = Math.floor(totalSeconds / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const seconds = totalSeconds % 60
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`
  if (minutes > 0) return `${minutes}m${seconds}s`
  return `${seconds}s`
}
