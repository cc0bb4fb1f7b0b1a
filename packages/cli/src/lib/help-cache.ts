import { readFileSync } from 'node:fs'

/**
 * The help text for `infra [command...] --help` (or plain `infra`), from the file the build generated with
 * yargs; undefined when the arguments ask for anything else or there is no such file (running from source).
 */
export function cachedHelp(args: string[], file: URL): string | undefined {
  const last = args.at(-1)
  let words: string[]
  if (args.length === 0) words = []
  else if (last === '--help' || last === '-h') words = args.slice(0, -1)
  else return undefined
  if (words.some((word) => word.startsWith('-'))) return undefined
  try {
    const help = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>
    return help[words.join(' ')]
  } catch {
    return undefined
  }
}
