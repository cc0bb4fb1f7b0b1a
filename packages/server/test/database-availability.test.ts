import { describe, expect, it } from '@jest/globals'
import { DatabaseAvailability } from '../src/db/availability.js'
import { isDatabaseUnreachable } from '../src/db/errors.js'
import { collectingLogger, eventually } from './helpers.js'

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })

describe('isDatabaseUnreachable', () => {
  it.each([
    ['a refused connection', refused],
    ['Prisma P1001', { code: 'P1001', message: "Can't reach database server" }],
    ['Prisma P2024 (pool timeout)', { code: 'P2024', message: 'Timed out fetching a new connection' }],
    [
      'a raw query the adapter could not send',
      { code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } } },
    ],
    ['an administrator shutdown (57P01)', { code: '57P01', message: 'terminating connection' }],
    ['a server starting up (57P03)', { code: '57P03', message: 'the database system is starting up' }],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
    ['a wrapped cause', new Error('query failed', { cause: refused })],
  ])('recognises %s', (_, error) => expect(isDatabaseUnreachable(error)).toBe(true))

  it.each([
    ['a unique violation', { code: 'P2002' }],
    ['a syntax error', { code: '42601', message: 'syntax error' }],
    ['a plain bug', new TypeError('x is undefined')],
    ['nothing', undefined],
  ])('leaves %s alone', (_, error) => expect(isDatabaseUnreachable(error)).toBe(false))
})

describe('DatabaseAvailability', () => {
  it('logs an outage once when it starts and once when a probe finds the database back', async () => {
    const logs = collectingLogger()
    let up = false
    const availability = new DatabaseAvailability(logs.logger, {
      probe: () => (up ? Promise.resolve() : Promise.reject(refused)),
      probeIntervalMs: 10,
    })
    try {
      for (let i = 0; i < 50; i++) expect(availability.noteFailure(refused)).toBe(true)
      availability.failed(refused, 'could not record key usage')
      expect(availability.reachable).toBe(false)
      expect(await availability.ready()).toBe(false)
      up = true
      await eventually(() => expect(availability.reachable).toBe(true))
      expect(await availability.ready()).toBe(true)
      const messages = logs
        .text()
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { msg: string }).msg)
      expect(messages).toEqual([
        'the database is unreachable; answering 503 until it is back',
        'the database is reachable again',
      ])
    } finally {
      availability.stop()
    }
  })

  it('logs other failures of background work as they come, and does not count them as an outage', () => {
    const logs = collectingLogger()
    const availability = new DatabaseAvailability(logs.logger, { probe: () => Promise.resolve() })
    availability.failed(new Error('disk full'), 'could not record key usage')
    expect(availability.reachable).toBe(true)
    expect(logs.text()).toContain('could not record key usage')
    availability.stop()
  })

  it('explains an error that does not say so by the database not answering now, and only then', async () => {
    const logs = collectingLogger()
    let up = true
    const availability = new DatabaseAvailability(logs.logger, {
      probe: () => (up ? Promise.resolve() : Promise.reject(refused)),
      probeIntervalMs: 10,
    })
    // What Prisma says of an interactive transaction whose connection died under it: no connection error.
    const closedTransaction = { code: 'P2028', message: 'Transaction API error: Transaction already closed' }
    try {
      expect(await availability.explains(closedTransaction)).toBe(false)
      up = false
      expect(await availability.explains(closedTransaction)).toBe(true)
      expect(availability.reachable).toBe(false)
      expect(await availability.explains(new TypeError('x is undefined'))).toBe(true)
    } finally {
      availability.stop()
    }
  })
})
