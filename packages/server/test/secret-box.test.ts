import { describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadRootKey, SecretBox } from '../src/auth/secret-box.js'

describe('secrets at rest', () => {
  it('round-trips with AES-256-GCM and fails under another root key or when tampered with', () => {
    const box = new SecretBox('a root key of enough length')
    const sealed = box.encrypt('{"d":"private"}')
    expect(Buffer.from(sealed).toString('utf8')).not.toContain('private')
    expect(box.decrypt(sealed)).toBe('{"d":"private"}')
    expect(() => new SecretBox('another root key, also long').decrypt(sealed)).toThrow()
    const tampered = Uint8Array.from(sealed)
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1
    expect(() => box.decrypt(tampered)).toThrow()
  })

  it('generates the root key file once, readable by its owner only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'infra-root-key-'))
    try {
      const file = join(dir, 'nested', 'root.key')
      const first = await loadRootKey({ rootKeyFile: file })
      expect(first.length).toBeGreaterThanOrEqual(32)
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      expect(await loadRootKey({ rootKeyFile: file })).toBe(first)
      expect((await readFile(file, 'utf8')).trim()).toBe(first)
      expect(await loadRootKey({ rootKey: 'from-the-environment-variable', rootKeyFile: file })).toBe(
        'from-the-environment-variable',
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
