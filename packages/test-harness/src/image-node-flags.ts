import { readFileSync } from 'node:fs'

/**
 * The Node flags the image of `bin` (`infra-server`, `infra-connector`) runs it with: those between `node` and the
 * script in its ENTRYPOINT in the repository's Dockerfile, so that a benchmark runs the program as its image does.
 */
export function imageNodeFlags(bin: string): string[] {
  const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8')
  const script = `/app/dist/bin/${bin}.js`
  const entrypoint = /^ENTRYPOINT (\[.*\])$/gm
  for (const [, line] of dockerfile.matchAll(entrypoint)) {
    const words = JSON.parse(line!) as string[]
    if (words[0] === 'node' && words.at(-1) === script) return words.slice(1, -1)
  }
  throw new Error(`the Dockerfile has no ENTRYPOINT running ${script} with node`)
}
