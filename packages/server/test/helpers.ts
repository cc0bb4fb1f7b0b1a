import { ErrorBody, routes, type Page, type RouteName } from '@infra/api-types'
import { expect, jest } from '@jest/globals'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import type { ApiResponse, RequestOptions, TestServer } from './harness.js'

export type { Page }

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** The documented error body `{code, message, fieldErrors?}` with `status`; returns the fields named in fieldErrors. */
export function expectError(response: ApiResponse, status: number): string[] {
  expect({ status: response.status, body: response.body }).toEqual({ status, body: expect.anything() })
  const body = ErrorBody.parse(response.body)
  expect(body.code).toBe(status)
  expect(body.message.length).toBeGreaterThan(0)
  return (body.fieldErrors ?? []).map((entry) => entry.fieldName)
}

/** A 400 whose fieldErrors name exactly `fields`, one entry per field. */
export function expectFieldErrors(response: ApiResponse, fields: string[]): void {
  const named = expectError(response, 400)
  expect([...named].sort()).toEqual([...fields].sort())
  for (const entry of (response.body as ErrorBody).fieldErrors ?? [])
    expect(entry.errors.length).toBeGreaterThan(0)
}

/** The response has the route's success status and a body its documented schema accepts. */
export function expectConforms<T = any>(name: RouteName, response: ApiResponse<T>): T {
  const route = routes[name]
  expect({ status: response.status, body: response.body }).toEqual({
    status: route.successStatus,
    body: route.response === null ? undefined : expect.anything(),
  })
  if (route.response !== null) {
    const parsed = route.response.safeParse(response.body)
    if (!parsed.success) throw new Error(`${name} answered off its schema: ${parsed.error.message}`)
  }
  return response.body
}

/** Reads every page of a list with `limit`, checking each page's counts against the first one. */
export async function walkPages<T extends { id: string }>(
  t: TestServer,
  name: RouteName,
  limit: number,
  options: RequestOptions = {},
): Promise<T[]> {
  const path = routes[name].path
  const first = expectConforms<Page<T>>(
    name,
    await t.request('GET', path, { ...options, query: { ...options.query, limit, page: 1 } }),
  )
  const pages = Math.ceil(first.totalCount / limit)
  expect(first.totalPages).toBe(pages)
  const items = [...first.items]
  for (let page = 2; page <= pages + 1; page++) {
    const body = expectConforms<Page<T>>(
      name,
      await t.request('GET', path, { ...options, query: { ...options.query, limit, page } }),
    )
    expect(body).toMatchObject({ page, limit, totalCount: first.totalCount, totalPages: pages })
    const expected = page <= pages ? Math.min(limit, first.totalCount - (page - 1) * limit) : 0
    expect(body.count).toBe(expected)
    expect(body.items).toHaveLength(expected)
    items.push(...body.items)
  }
  expect(first.count).toBe(first.items.length)
  return items
}

export const idsOf = (items: { id: string }[]) => items.map((item) => item.id)

/** Waits until `check` passes (it throws until then), for effects the server applies asynchronously. */
export async function eventually(
  check: () => void | Promise<void>,
  timeoutMs = 3000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await check()
      return
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(everyMs)
    }
  }
}

/** What `startServer` writes to stderr while `run` runs. */
export async function capturingStderr<T>(run: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  let stderr = ''
  const write = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()
      const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined
      done?.()
      return true
    })
  try {
    return { result: await run(), stderr }
  } finally {
    write.mockRestore()
  }
}

export function collectingLogger() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk))
      done()
    },
  })
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') }
}
