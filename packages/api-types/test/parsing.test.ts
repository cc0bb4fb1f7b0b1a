import { describe, expect, it } from '@jest/globals'
import {
  decodeBase58,
  encodeBase58,
  formatDuration,
  GrantRequest,
  Id,
  ListGrantsQuery,
  ListUsersQuery,
  LoginRequest,
  parseDuration,
  parseResource,
} from '../src/index.js'

describe('query coercion', () => {
  it('defaults page and limit and parses text numbers and booleans', () => {
    expect(ListGrantsQuery.parse({})).toMatchObject({ page: 1, limit: 100 })
    expect(
      ListGrantsQuery.parse({ page: '3', limit: '1000', showInherited: 'true', showSystem: '0' }),
    ).toMatchObject({ page: 3, limit: 1000, showInherited: true, showSystem: false })
    expect(ListGrantsQuery.parse({ showInherited: false, limit: 5 })).toMatchObject({
      showInherited: false,
      limit: 5,
    })
  })

  it('reads page 0 and limit 0 as the defaults, as Infra clients send them', () => {
    expect(ListGrantsQuery.parse({ page: '0', limit: '0' })).toMatchObject({ page: 1, limit: 100 })
    expect(ListGrantsQuery.parse({ page: 0, limit: 0 })).toMatchObject({ page: 1, limit: 100 })
  })

  it('rejects limits above 1000, negative pages, non-numbers and unknown booleans', () => {
    for (const bad of [
      { limit: '1001' },
      { limit: '-1' },
      { page: '-1' },
      { page: 'two' },
      { page: '1.5' },
      { showSystem: 'yes' },
    ]) {
      expect(ListGrantsQuery.safeParse(bad).success).toBe(false)
    }
  })

  it('turns a single or repeated ids parameter into a list', () => {
    expect(ListUsersQuery.parse({ ids: '4yJ3n3D8E2' }).ids).toEqual(['4yJ3n3D8E2'])
    expect(ListUsersQuery.parse({ ids: ['4yJ3n3D8E2', '3w9XyTrkzk'] }).ids).toEqual([
      '4yJ3n3D8E2',
      '3w9XyTrkzk',
    ])
    expect(ListUsersQuery.safeParse({ ids: ['not-base58!'] }).success).toBe(false)
  })

  it('accepts self wherever a user ID is accepted', () => {
    expect(ListGrantsQuery.parse({ user: 'self' }).user).toBe('self')
  })
})

describe('base58 IDs', () => {
  it('round-trips 64-bit numbers', () => {
    for (const n of [0n, 1n, 57n, 58n, 123456789012345n, (1n << 64n) - 1n]) {
      expect(decodeBase58(encodeBase58(n))).toBe(n)
      expect(Id.safeParse(encodeBase58(n)).success).toBe(true)
    }
    expect(encodeBase58((1n << 64n) - 1n)).toHaveLength(11)
  })

  it('rejects characters outside the alphabet and values past 64 bits', () => {
    expect(() => decodeBase58('0OIl')).toThrow(SyntaxError)
    expect(() => decodeBase58('zzzzzzzzzzzz')).toThrow(RangeError)
    expect(() => encodeBase58(-1n)).toThrow(RangeError)
    expect(Id.safeParse('0abc').success).toBe(false)
    expect(Id.safeParse('').success).toBe(false)
  })
})

describe('resource notation', () => {
  it('parses destination and destination.namespace', () => {
    expect(parseResource('production')).toEqual({ ok: true, value: { destination: 'production' } })
    expect(parseResource('prod_1.web-app')).toEqual({
      ok: true,
      value: { destination: 'prod_1', namespace: 'web-app' },
    })
  })

  it('rejects bad destinations and namespaces', () => {
    for (const bad of [
      '',
      'has space',
      'a.B',
      'a.',
      'a.-x',
      'a.b.c',
      'infra.default',
      `a.${'n'.repeat(64)}`,
    ]) {
      expect(parseResource(bad).ok).toBe(false)
    }
  })

  it('only allows Infra roles on the resource infra', () => {
    expect(GrantRequest.safeParse({ user: 'self', privilege: 'admin', resource: 'infra' }).success).toBe(true)
    expect(
      GrantRequest.safeParse({ user: 'self', privilege: 'cluster-admin', resource: 'infra' }).success,
    ).toBe(false)
  })

  it('requires exactly one subject', () => {
    expect(GrantRequest.safeParse({ privilege: 'view', resource: 'prod' }).success).toBe(false)
    expect(
      GrantRequest.safeParse({ user: 'self', groupName: 'devs', privilege: 'view', resource: 'prod' })
        .success,
    ).toBe(false)
    expect(
      GrantRequest.safeParse({ userName: 'bob@example.com', privilege: 'view', resource: 'prod' }).success,
    ).toBe(true)
  })
})

describe('durations', () => {
  it('parses Go-style durations', () => {
    expect(parseDuration('12h')).toBe(12 * 3_600_000)
    expect(parseDuration('30m')).toBe(30 * 60_000)
    expect(parseDuration('720h0m0s')).toBe(720 * 3_600_000)
    expect(parseDuration('1h30m')).toBe(90 * 60_000)
    expect(parseDuration('1.5h')).toBe(90 * 60_000)
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('30d')).toBe(30 * 86_400_000)
  })

  it('rejects malformed durations', () => {
    for (const bad of ['', '12', 'h', '12w', '1h 30m', '-5m', 'abc'])
      expect(() => parseDuration(bad)).toThrow(SyntaxError)
  })

  it('formats like Go', () => {
    expect(formatDuration(720 * 3_600_000)).toBe('720h0m0s')
    expect(formatDuration(90_000)).toBe('1m30s')
  })
})

describe('login request', () => {
  it('takes exactly one method', () => {
    expect(LoginRequest.safeParse({ accessKey: 'abcdefghij.abcdefghijklmnopqrstuvwx' }).success).toBe(true)
    expect(LoginRequest.safeParse({}).success).toBe(false)
    expect(
      LoginRequest.safeParse({
        accessKey: 'abcdefghij.abcdefghijklmnopqrstuvwx',
        passwordCredentials: { name: 'a', password: 'b' },
      }).success,
    ).toBe(false)
  })
})
