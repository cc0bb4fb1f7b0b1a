import https from 'node:https'
import { percentile } from '../test/env.js'

export const CONCURRENCY = 32

export interface Target {
  url: string
  token: string
  ca: string
}

export interface LoadResult {
  requests: number
  errors: number
  rps: number
  p50: number
  p99: number
}

/** 32 clients, each sending the next `GET /api/v1/namespaces` when the last one is answered, over keep-alive TLS. */
export async function load(target: Target, durationMs: number): Promise<LoadResult> {
  const url = new URL(target.url)
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: target.ca })
  const latencies: number[] = []
  let errors = 0
  const get = () =>
    new Promise<number>((resolve) => {
      const request = https.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: '/api/v1/namespaces',
          headers: { authorization: `Bearer ${target.token}`, accept: 'application/json' },
        },
        (response) => {
          response.resume()
          response.on('end', () => resolve(response.statusCode ?? 0))
        },
      )
      request.on('error', () => resolve(0))
      request.end()
    })
  const started = performance.now()
  const end = Date.now() + durationMs
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const t0 = performance.now()
        const status = await get()
        latencies.push(performance.now() - t0)
        if (status !== 200) errors++
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  agent.destroy()
  return {
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  }
}
