// The connector reads kubeconfigs itself (see src/kube/kubeconfig.ts); these are the forms it must read as
// kubectl does, and the exec plugin it leaves to @kubernetes/client-node.
import { describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadKubeTarget } from '../src/kube/kubeconfig.js'

const builtKubeconfig = new URL('../dist/kube/kubeconfig.js', import.meta.url).href
const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-test-'))
const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

function kubeconfig(name: string, text: string): string {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

const twoContexts = (user: string) =>
  `apiVersion: v1
kind: Config
current-context: first
clusters:
- name: one
  cluster:
    server: https://one.example:6443
    certificate-authority: certs/ca.pem
- name: two
  cluster:
    server: https://two.example
    insecure-skip-tls-verify: true
    tls-server-name: api.two
users:
- name: u
  user:
${user}
contexts:
- name: first
  context: { cluster: one, user: u, namespace: team }
- name: second
  context: { cluster: two, user: u }
`

describe('kubeconfig', () => {
  mkdirSync(join(dir, 'certs'))
  writeFileSync(join(dir, 'certs/ca.pem'), pem)
  writeFileSync(join(dir, 'certs/token'), 'file-token\n')

  it('reads the current context, with files relative to the kubeconfig', async () => {
    const target = loadKubeTarget({
      kubeconfig: kubeconfig(
        'token.yaml',
        twoContexts('    token-file: certs/token\n    client-key-data: a2V5'),
      ),
    })
    expect(target.server.href).toBe('https://one.example:6443/')
    expect(target.caPem).toBe(pem)
    expect(target.namespace).toBe('team')
    expect(target.inCluster).toBe(false)
    const credentials = await target.credentials()
    expect(credentials.authorization).toBe('Bearer file-token')
    expect(credentials.ca?.toString()).toBe(pem)
    expect(credentials.key?.toString()).toBe('key')
  })

  it('takes another context, basic auth and skipped TLS checks', async () => {
    const target = loadKubeTarget({
      kubeconfig: kubeconfig('basic.yaml', twoContexts('    username: ann\n    password: pw')),
      context: 'second',
    })
    expect(target.server.host).toBe('two.example')
    expect(target.caPem).toBe('')
    expect(await target.credentials()).toEqual({
      rejectUnauthorized: false,
      servername: 'api.two',
      authorization: `Basic ${Buffer.from('ann:pw').toString('base64')}`,
    })
  })

  it('refuses a context that is not there, and a file that is not a kubeconfig', () => {
    const file = kubeconfig('plain.yaml', twoContexts('    token: t'))
    expect(() => loadKubeTarget({ kubeconfig: file, context: 'third' })).toThrow(
      'the kubeconfig has no current cluster',
    )
    expect(() => loadKubeTarget({ kubeconfig: kubeconfig('bad.yaml', 'clusters: [{ name: 1 }]\n') })).toThrow(
      /not a usable kubeconfig/,
    )
  })

  it('runs an exec plugin through @kubernetes/client-node', () => {
    const plugin = join(dir, 'plugin.sh')
    writeFileSync(
      plugin,
      '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",' +
        '"status":{"token":"from-plugin"}}\'\n',
    )
    chmodSync(plugin, 0o755)
    const file = kubeconfig(
      'exec.yaml',
      twoContexts(
        `    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ${plugin}\n` +
          '      interactiveMode: Never',
      ),
    )
    // In a process of its own (the built connector): @kubernetes/client-node changes Node's shared state
    // (https), which later test files of this jest worker would meet.
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { loadKubeTarget } from ${JSON.stringify(builtKubeconfig)}
         const credentials = await loadKubeTarget({ kubeconfig: process.env.KUBECONFIG_FILE }).credentials()
         console.log(JSON.stringify({ authorization: credentials.authorization, ca: String(credentials.ca) }))`,
      ],
      { env: { ...process.env, KUBECONFIG_FILE: file }, encoding: 'utf8' },
    )
    expect(run.stderr).toBe('')
    const credentials = JSON.parse(run.stdout) as { authorization: string; ca: string }
    expect(credentials.authorization).toBe('Bearer from-plugin')
    expect(credentials.ca).toBe(pem)
  })
})
