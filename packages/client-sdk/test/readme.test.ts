import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startTestServer, type TestServer } from './harness.js'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')

let infra: TestServer
beforeAll(async () => {
  infra = await startTestServer()
})
afterAll(() => infra.close())

it('runs the README example as written against a real server', async () => {
  if (!existsSync(join(packageDir, 'dist', 'node.js'))) {
    throw new Error('the README example imports the built package: run `pnpm build` first')
  }
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8')
  const example = /## Example\s+```js\n([\s\S]*?)```/.exec(readme)?.[1]
  expect(example).toBeDefined()
  expect(example?.trim().split('\n').length).toBeLessThanOrEqual(12)

  await infra.admin.grants.create({ user: 'self', privilege: 'view', resource: 'prod.web' })

  // Inside the package, so that `@infra/client-sdk` resolves to this very package through its exports map.
  const script = join(packageDir, `.readme-example-${process.pid}.mjs`)
  await writeFile(script, example ?? '')
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      env: {
        PATH: process.env.PATH ?? '',
        INFRA_SERVER: infra.url,
        INFRA_ACCESS_KEY: infra.adminKey,
      },
      timeout: 20_000,
    })
    expect(stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^Connected to Infra \S+$/),
      'admin admin@infra view@prod.web',
    ])
  } finally {
    await rm(script, { force: true })
  }
})
