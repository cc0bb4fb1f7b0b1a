#!/usr/bin/env node
// `pnpm check:packages` (run by .ci/run after the build): every public workspace package, packed as `pnpm publish`
// would pack it, must carry the root LICENSE unchanged, ship every source its source and declaration maps point
// to, and pass publint and Are The Types Wrong (ESM-only profile: these packages are ESM and say so).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, normalize, relative } from 'node:path'
import { publicPackages } from './public-packages.mjs'

const root = join(import.meta.dirname, '..')
const license = readFileSync(join(root, 'LICENSE'), 'utf8')
const work = mkdtempSync(join(tmpdir(), 'infra-check-packages-'))
const failures = []

const run = (command, args, options = {}) =>
  execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options })

/** The package's files as the tarball holds them, relative to the package root. */
function unpack(tarball, into) {
  run('tar', ['-xzf', tarball, '-C', into])
  const files = []
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else files.push(relative(join(into, 'package'), path))
    }
  }
  walk(join(into, 'package'))
  return new Set(files)
}

function unshippedMapSources(files, unpacked) {
  const missing = []
  for (const file of files) {
    if (!file.endsWith('.map')) continue
    const { sources = [] } = JSON.parse(readFileSync(join(unpacked, file), 'utf8'))
    for (const source of sources) {
      const target = normalize(join(dirname(file), source))
      if (!files.has(target)) missing.push(`${file} → ${target}`)
    }
  }
  return missing
}

try {
  for (const pkg of publicPackages()) {
    const fail = (what) => failures.push(`${pkg.name}: ${what}`)
    const dir = mkdtempSync(join(work, 'pack-'))
    const ownLicense = join(pkg.path, 'LICENSE')
    if (!existsSync(ownLicense) || readFileSync(ownLicense, 'utf8') !== license)
      fail(`LICENSE missing or not the root's (copy it: cp LICENSE ${relative(root, pkg.path)}/)`)
    run('pnpm', ['pack', '--pack-destination', dir], { cwd: pkg.path })
    const tarball = join(
      dir,
      readdirSync(dir).find((name) => name.endsWith('.tgz')),
    )
    const files = unpack(tarball, dir)
    const missing = unshippedMapSources(files, join(dir, 'package'))
    if (missing.length > 0)
      fail(`maps point at files the package does not ship:\n  ${missing.slice(0, 5).join('\n  ')}`)
    for (const [tool, args] of [
      ['publint', ['run', '--strict', '--pack', 'false', join(dir, 'package')]],
      ...(pkg.manifest.exports ? [['attw', ['--profile', 'esm-only', '--format', 'ascii', tarball]]] : []),
    ]) {
      try {
        run(join(root, 'node_modules', '.bin', tool), args)
      } catch (error) {
        fail(`${tool} failed:\n${error.stdout}${error.stderr}`)
      }
    }
    console.log(`${pkg.name}: ${files.size} files checked`)
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
if (failures.length > 0) {
  console.error(failures.join('\n\n'))
  process.exit(1)
}
