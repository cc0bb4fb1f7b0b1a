#!/usr/bin/env node
// Run by `pnpm version-packages` right after `changeset version`: every Helm chart of a package
// (packages/<package>/helm/<chart>/Chart.yaml, today infra-connector and infra-server) takes that package's version
// as its `version` and `appVersion`, so a release's charts, images (tagged with appVersion) and npm packages agree.
// Usage: sync-chart-versions.mjs [ROOT] (the repository root by default).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = process.argv[2] ?? join(import.meta.dirname, '..')
const packagesDir = join(root, 'packages')

/** Replaces a top-level `key: value` line's value, keeping the value's quotes. */
function setField(text, key, value, file) {
  const line = new RegExp(`^${key}:[ \\t]*(['"]?)[^'"\\s#]*\\1`, 'm')
  if (!line.test(text)) fail(`${file} has no top-level "${key}:" line`)
  return text.replace(line, (_match, quote) => `${key}: ${quote}${value}${quote}`)
}

function fail(message) {
  console.error(`sync-chart-versions: ${message}`)
  process.exit(1)
}

let charts = 0
for (const pkg of readdirSync(packagesDir).sort()) {
  const helmDir = join(packagesDir, pkg, 'helm')
  if (!existsSync(helmDir)) continue
  const { version } = JSON.parse(readFileSync(join(packagesDir, pkg, 'package.json'), 'utf8'))
  for (const chart of readdirSync(helmDir).sort()) {
    const file = join(helmDir, chart, 'Chart.yaml')
    if (!existsSync(file)) continue
    const name = relative(root, file)
    const before = readFileSync(file, 'utf8')
    const after = setField(setField(before, 'version', version, name), 'appVersion', version, name)
    if (after !== before) writeFileSync(file, after)
    console.log(`${name}: ${version}`)
    charts += 1
  }
}
if (charts === 0) fail(`no packages/*/helm/*/Chart.yaml under ${root}`)
