import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { parseAccessLog, type AccessLog } from '../src/http/access-log.js'
import { startTestServer, uniqueName, type TestServer } from './harness.js'

/** A server whose log lines land in `lines`. */
async function serverLogging(accessLog: AccessLog) {
  const lines: { msg: string; method?: string; path?: string; status?: number }[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as (typeof lines)[number]),
      )
      done()
    },
  })
  const server = await startTestServer({ logger: pino({ level: 'info' }, stream), settings: { accessLog } })
  return { server, requests: () => lines.filter((line) => line.msg === 'request') }
}

describe('the access log with a share of 0', () => {
  let logged: Awaited<ReturnType<typeof serverLogging>>
  beforeAll(async () => (logged = await serverLogging(0)))
  afterAll(() => logged.server.close())

  it('leaves out successful reads, and logs every write and every answer of 400 and above', async () => {
    const t: TestServer = logged.server
    for (let read = 0; read < 20; read++) expect((await t.request('GET', '/api/users/self')).status).toBe(200)
    const name = uniqueName('logged')
    expect((await t.request('POST', '/api/users', { body: { name } })).status).toBe(201)
    expect((await t.request('GET', '/api/users/self', { key: null })).status).toBe(401)
    expect((await t.request('GET', '/api/no-such-thing')).status).toBe(404)
    // Logged when each answer finishes; by the next request's answer, the previous line is written.
    expect((await t.request('GET', '/api/no-such-thing-either')).status).toBe(404)
    expect(logged.requests().map(({ method, path, status }) => ({ method, path, status }))).toEqual([
      { method: 'POST', path: '/api/users', status: 201 },
      { method: 'GET', path: '/api/users/self', status: 401 },
      { method: 'GET', path: '/api/no-such-thing', status: 404 },
      { method: 'GET', path: '/api/no-such-thing-either', status: 404 },
    ])
  })
})

describe('the access log turned off', () => {
  let logged: Awaited<ReturnType<typeof serverLogging>>
  beforeAll(async () => (logged = await serverLogging('off')))
  afterAll(() => logged.server.close())

  it('logs no request, not even a failed one', async () => {
    const t: TestServer = logged.server
    expect((await t.request('POST', '/api/users', { body: { name: uniqueName('unlogged') } })).status).toBe(
      201,
    )
    expect((await t.request('GET', '/api/no-such-thing')).status).toBe(404)
    expect(logged.requests()).toEqual([])
  })
})

describe('--access-log', () => {
  it('takes off, all or a share from 0 to 1', () => {
    expect(parseAccessLog('off')).toBe('off')
    expect(parseAccessLog('all')).toBe(1)
    expect(parseAccessLog('0.05')).toBe(0.05)
    expect(parseAccessLog('0')).toBe(0)
    expect(parseAccessLog('1')).toBe(1)
    for (const wrong of ['1.5', '-0.1', 'some', '', '5%']) {
      expect(() => parseAccessLog(wrong)).toThrow(
        `the access log is off, all or a share from 0 to 1, not "${wrong}"`,
      )
    }
  })
})
