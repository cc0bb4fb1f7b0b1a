// Bundles the CLI into dist/ with esbuild: a small entry (dist/infra.js) and chunks loaded on demand, so
// `infra --help` and a cached `infra tokens add` load only what they use. Then writes dist/help.json, the
// help of every command as yargs prints it, which the entry point prints without loading yargs.
import { build } from 'esbuild'
import { rmSync, writeFileSync } from 'node:fs'

const dist = new URL('../dist/', import.meta.url)
rmSync(dist, { recursive: true, force: true })

await build({
  entryPoints: { infra: 'src/bin/infra.ts', 'help-index': 'src/help-index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  minify: process.env.INFRA_BUNDLE_MINIFY !== '0',
  legalComments: 'linked',
  // A native addon: installed as a dependency, loaded only when a key is stored or read.
  external: ['@napi-rs/keyring'],
  banner: {
    js: "import { createRequire as __infraCreateRequire } from 'node:module'; const require = __infraCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
})

const { generateHelp } = await import(new URL('help-index.js', dist).href)
writeFileSync(new URL('help.json', dist), `${JSON.stringify(await generateHelp())}\n`)
rmSync(new URL('help-index.js', dist))
