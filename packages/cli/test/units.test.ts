import { withDefaultScheme } from '@infra/api-types/server-url'
import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sameFingerprint } from '../src/lib/certificate.js'
import { cachedHelp } from '../src/lib/help-cache.js'
import { kubeconfigPath } from '../src/lib/kubeconfig.js'
import { relativeTime, table } from '../src/lib/output.js'
import {
  execCredential,
  quickServerUrl,
  readCachedToken,
  REFRESH_MARGIN_MS,
  writeCachedToken,
} from '../src/lib/token-cache.js'

describe('output', () => {
  it('aligns columns under an upper-case header', () => {
    expect(
      table(
        ['name', 'last seen'],
        [
          ['a', 'never'],
          ['longer-name', 'just now'],
        ],
      ),
    ).toBe('NAME         LAST SEEN\na            never\nlonger-name  just now\n')
  })

  it('writes relative times', () => {
    const now = Date.parse('2026-01-01T12:00:00Z')
    const at = (ms: number) => new Date(now + ms).toISOString()
    expect(relativeTime(undefined, now)).toBe('never')
    expect(relativeTime(at(-3_000), now)).toBe('just now')
    expect(relativeTime(at(-45_000), now)).toBe('45 seconds ago')
    expect(relativeTime(at(-3 * 3_600_000), now)).toBe('3 hours ago')
    expect(relativeTime(at(12 * 3_600_000 - 50), now)).toBe('in 12 hours')
    expect(relativeTime(at(30 * 24 * 3_600_000), now)).toBe('in 1 month')
    expect(relativeTime(at(-1 * 24 * 3_600_000), now)).toBe('1 day ago')
  })
})

describe('token cache', () => {
  it('uses a token until shortly before it expires', () => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-cache-'))
    try {
      const path = join(dir, 'token.json')
      const now = Date.parse('2026-01-01T12:00:00Z')
      const expires = new Date(now + 5 * 60_000).toISOString()
      writeCachedToken(path, { token: 't', expires })
      expect(readCachedToken(path, now)).toEqual({ token: 't', expires })
      expect(readCachedToken(path, now + 5 * 60_000 - REFRESH_MARGIN_MS - 1)).toEqual({ token: 't', expires })
      expect(readCachedToken(path, now + 5 * 60_000 - REFRESH_MARGIN_MS)).toBeUndefined()
      writeFileSync(path, 'not json')
      expect(readCachedToken(path, now)).toBeUndefined()
      expect(readCachedToken(join(dir, 'missing.json'), now)).toBeUndefined()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('prints an ExecCredential in the version kubectl asked for, v1 by default', () => {
    const token = { token: 'abc', expires: '2026-01-01T12:05:00.000Z' }
    expect(JSON.parse(execCredential(token, {}))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: 'abc', expirationTimestamp: '2026-01-01T12:05:00.000Z' },
    })
    const info = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1' })
    expect(JSON.parse(execCredential(token, { KUBERNETES_EXEC_INFO: info })).apiVersion).toBe(
      'client.authentication.k8s.io/v1beta1',
    )
    expect(
      JSON.parse(execCredential(token, { KUBERNETES_EXEC_INFO: '{"apiVersion":"evil/v1"}' })).apiVersion,
    ).toBe('client.authentication.k8s.io/v1')
  })

  it('finds servers the way they were written', () => {
    expect(quickServerUrl('infra.example.com')).toBe('https://infra.example.com')
    expect(quickServerUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080')
  })
})

describe('help requests', () => {
  it('are only plain `[command...] --help`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-help-'))
    try {
      const file = join(dir, 'help.json')
      writeFileSync(file, JSON.stringify({ '': 'root', 'users add': 'users add help' }))
      const url = new URL(`file://${file}`)
      expect(cachedHelp([], url)).toBe('root')
      expect(cachedHelp(['--help'], url)).toBe('root')
      expect(cachedHelp(['-h'], url)).toBe('root')
      expect(cachedHelp(['users', 'add', '--help'], url)).toBe('users add help')
      expect(cachedHelp(['users', 'add', '--log-level', 'debug', '--help'], url)).toBeUndefined()
      expect(cachedHelp(['users', 'add'], url)).toBeUndefined()
      expect(cachedHelp(['nope', '--help'], url)).toBeUndefined()
      expect(cachedHelp(['--help'], new URL(`file://${dir}/missing.json`))).toBeUndefined()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('kubeconfig and certificates', () => {
  it('writes to the first file of KUBECONFIG, else ~/.kube/config', () => {
    expect(kubeconfigPath({ KUBECONFIG: '/a/config:/b/config', HOME: '/home/x' })).toBe('/a/config')
    expect(kubeconfigPath({ HOME: '/home/x' })).toBe('/home/x/.kube/config')
    expect(withDefaultScheme('10.0.0.1:6443')).toBe('https://10.0.0.1:6443')
    expect(withDefaultScheme('http://localhost:8080')).toBe('http://localhost:8080')
  })

  it('compares fingerprints whatever their case and separators', () => {
    expect(sameFingerprint('AB:CD:01', 'abcd01')).toBe(true)
    expect(sameFingerprint('AB:CD:01', 'AB:CD:02')).toBe(false)
    expect(sameFingerprint('', '')).toBe(false)
  })
})
