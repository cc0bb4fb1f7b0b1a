import { describe, expect, it } from '@jest/globals'
import { InfraApiError, InfraNetworkError } from '../src/errors.js'
import {
  networkErrorCode,
  normalizeRetry,
  parseRetryAfter,
  toSearchParams,
  DEFAULT_RETRY,
} from '../src/http.js'

describe('toSearchParams', () => {
  it('writes numbers, booleans and lists, and leaves out undefined', () => {
    const params = toSearchParams({ page: 2, showSystem: true, ids: ['a', 'b'], name: undefined, q: 'x y' })
    expect(params.toString()).toBe('page=2&showSystem=true&ids=a&ids=b&q=x+y')
  })
})

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000)
    expect(parseRetryAfter('0')).toBe(0)
    const now = Date.parse('2030-01-01T00:00:00Z')
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Mon, 31 Dec 2029 00:00:00 GMT', now)).toBe(0)
  })

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null)).toBeUndefined()
    expect(parseRetryAfter('')).toBeUndefined()
    expect(parseRetryAfter('soon')).toBeUndefined()
  })
})

describe('normalizeRetry', () => {
  it('takes a number as the limit and fills in defaults', () => {
    expect(normalizeRetry(5, DEFAULT_RETRY)).toEqual({ ...DEFAULT_RETRY, limit: 5 })
    expect(normalizeRetry({ initialDelayMs: 1 }, DEFAULT_RETRY)).toEqual({
      ...DEFAULT_RETRY,
      initialDelayMs: 1,
    })
    expect(normalizeRetry(undefined, DEFAULT_RETRY)).toBe(DEFAULT_RETRY)
  })
})

describe('networkErrorCode', () => {
  it('finds the code however deep fetch wrapped it', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    expect(networkErrorCode(new TypeError('fetch failed', { cause: refused }))).toBe('ECONNREFUSED')
    const aggregate = new AggregateError([refused], 'all addresses failed')
    expect(networkErrorCode(new TypeError('fetch failed', { cause: aggregate }))).toBe('ECONNREFUSED')
    expect(networkErrorCode(new TypeError('Failed to fetch'))).toBeUndefined()
  })
})

describe('InfraApiError', () => {
  const error = (status: number) =>
    new InfraApiError({ method: 'GET', url: 'https://x/api/users', status, message: 'no' })

  it('answers what kind of failure it is', () => {
    expect(error(400).isBadRequest()).toBe(true)
    expect(error(401).isUnauthorized()).toBe(true)
    expect(error(403).isForbidden()).toBe(true)
    expect(error(404).isNotFound()).toBe(true)
    expect(error(409).isConflict()).toBe(true)
    expect(error(429).isRateLimited()).toBe(true)
    expect(error(503).isServerError()).toBe(true)
    expect(error(404).isConflict()).toBe(false)
    expect(error(404).code).toBe(404)
    expect(error(404).name).toBe('InfraApiError')
  })

  it('merges the messages of a field', () => {
    const invalid = new InfraApiError({
      method: 'POST',
      url: 'https://x/api/users',
      status: 400,
      message: 'invalid body: name',
      fieldErrors: [
        { fieldName: 'name', errors: ['must not be empty'] },
        { fieldName: 'other', errors: ['x'] },
        { fieldName: 'name', errors: ['is too short'] },
      ],
    })
    expect(invalid.errorsFor('name')).toEqual(['must not be empty', 'is too short'])
    expect(invalid.errorsFor('missing')).toEqual([])
  })
})

describe('InfraNetworkError', () => {
  it('tells TLS failures apart', () => {
    const make = (code?: string) => new InfraNetworkError('x', 'GET', 'https://x', { cause: undefined, code })
    expect(make('SELF_SIGNED_CERT_IN_CHAIN').isTLSError()).toBe(true)
    expect(make('UNABLE_TO_VERIFY_LEAF_SIGNATURE').isTLSError()).toBe(true)
    expect(make('ERR_TLS_CERT_ALTNAME_INVALID').isTLSError()).toBe(true)
    expect(make('ECONNRESET').isTLSError()).toBe(false)
    expect(make().isTLSError()).toBe(false)
  })
})
