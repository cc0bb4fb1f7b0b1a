#!/usr/bin/env node
// Run by a package's build, in that package: writes src/generated/version.ts from its package.json, the one
// source of every package's version. Compiled in (and inlined by the CLI's bundler), so nothing reads
// package.json at run time.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'

const { version } = JSON.parse(readFileSync('package.json', 'utf8'))
const text = `// Written from package.json by infra-write-version (@infra/config) at build time.\nexport const VERSION = ${JSON.stringify(version)}\n`
const file = 'src/generated/version.ts'
let current
try {
  current = readFileSync(file, 'utf8')
} catch {
  current = undefined
}
if (current !== text) {
  mkdirSync('src/generated', { recursive: true })
  writeFileSync(file, text)
}
