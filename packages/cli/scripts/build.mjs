// Bundles the CLI into dist/ with esbuild: a small entry (dist/infra.js) and chunks loaded on demand, so
// `infra --help` and a cached `infra tokens add` load only what they use.
import { build } from 'esbuild'
import { readFileSync, rmSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true })

await build({
  entryPoints: { infra: 'src/bin/infra.ts' },
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
  define: { __INFRA_CLI_VERSION__: JSON.stringify(pkg.version) },
  banner: {
    js: "import { createRequire as __infraCreateRequire } from 'node:module'; const require = __infraCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
})
