import { describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { readFile, readdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
// The default (browser) entry point only: the Node one, which adds TLS, is not loaded in this file.
import { InfraClient, SDK_VERSION } from '../src/index.js'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(packageDir, 'dist')

interface PackageJson {
  version: string
  exports: Record<string, string | Record<string, string>>
}
const readPackage = async () =>
  JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as PackageJson

/** The module specifiers a built file imports (dynamic imports too if asked), following relative ones. */
async function importGraph(
  entry: string,
  dynamic: boolean,
): Promise<{ files: Set<string>; bare: Set<string> }> {
  const files = new Set<string>()
  const bare = new Set<string>()
  const patterns = [
    /^(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^import\s*['"]([^'"]+)['"]/gm,
    ...(dynamic ? [/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g] : []),
  ]
  const visit = async (file: string) => {
    if (files.has(file)) return
    files.add(file)
    const source = await readFile(file, 'utf8')
    for (const [, specifier] of patterns.flatMap((pattern) => [...source.matchAll(pattern)])) {
      if (!specifier) continue
      if (specifier.startsWith('.')) await visit(resolve(dirname(file), specifier))
      else bare.add(specifier)
    }
  }
  await visit(entry)
  return { files, bare }
}

describe('the package', () => {
  it('has the version of package.json in its User-Agent', async () => {
    expect(SDK_VERSION).toBe((await readPackage()).version)
  })

  it('maps Node to the entry point with TLS, and everything else to the plain one', async () => {
    const { exports } = await readPackage()
    expect(exports['.']).toEqual({
      types: './dist/index.d.ts',
      node: './dist/node.js',
      default: './dist/index.js',
    })
    expect(exports['./node']).toEqual({ types: './dist/node.d.ts', default: './dist/node.js' })
  })

  const requireBuild = () => {
    if (!existsSync(join(dist, 'node.js')))
      throw new Error('these checks read the built package: run `pnpm build` first')
  }

  it('keeps every Node-only import off the default entry point', async () => {
    requireBuild()
    const browser = await importGraph(join(dist, 'index.js'), true)
    expect([...browser.bare].sort()).toEqual(['@infra/api-types', 'ky'])
    expect([...browser.files].map((file) => file.slice(dist.length + 1))).not.toContain('tls-node.js')

    // The Node entry reaches undici only through a dynamic import, taken when a client asks for TLS options.
    const nodeStatic = await importGraph(join(dist, 'node.js'), false)
    expect([...nodeStatic.bare].sort()).toEqual(['@infra/api-types', 'ky'])
    const nodeAll = await importGraph(join(dist, 'node.js'), true)
    expect([...nodeAll.bare].sort()).toEqual(['@infra/api-types', 'ky', 'node:crypto', 'node:tls', 'undici'])
  })

  it('declares no `any` in its public types', async () => {
    requireBuild()
    for (const file of (await readdir(dist)).filter((name) => name.endsWith('.d.ts'))) {
      const declarations = await readFile(join(dist, file), 'utf8')
      expect({ file, any: /\bany\b/.test(declarations.replace(/\/\*\*[\s\S]*?\*\//g, '')) }).toEqual({
        file,
        any: false,
      })
    }
  })

  it('explains that the TLS options need Node when loaded through the default entry point', () => {
    expect(() => new InfraClient({ server: 'infra.example.com', skipTLSVerify: true })).toThrow(
      /need Node\.js.*@infra\/client-sdk\/node/,
    )
    // Without TLS options, the default entry point works anywhere.
    expect(new InfraClient({ server: 'infra.example.com' }).serverUrl).toBe('https://infra.example.com')
  })
})
