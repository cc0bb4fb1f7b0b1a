// The packages published to npm: every workspace package not marked `"private": true`.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** @returns {{ name: string, path: string, manifest: Record<string, unknown> }[]} */
export function publicPackages() {
  const listed = JSON.parse(
    execFileSync('pnpm', ['-r', 'ls', '--json', '--depth', '-1'], {
      cwd: join(import.meta.dirname, '..'),
      encoding: 'utf8',
    }),
  )
  return listed
    .filter((pkg) => !pkg.private)
    .map((pkg) => ({
      name: pkg.name,
      path: pkg.path,
      manifest: JSON.parse(readFileSync(join(pkg.path, 'package.json'), 'utf8')),
    }))
}

// Run directly (as the pack-and-install test does): their names and directories, as JSON.
if (process.argv[1] === import.meta.filename)
  console.log(JSON.stringify(publicPackages().map(({ name, path }) => ({ name, path }))))
