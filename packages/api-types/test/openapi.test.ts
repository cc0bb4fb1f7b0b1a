import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { Validator } from '@seriousme/openapi-schema-validator'
import { routes } from '../src/index.js'
import { createOpenApiDocument } from '../src/openapi.js'

const committed = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { operationId: string }>>
}

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate({ ...createOpenApiDocument() })
    expect(result.errors).toBeUndefined()
    expect(result.valid).toBe(true)
  })

  it('covers every route of the route table', () => {
    for (const [name, route] of Object.entries(routes)) {
      expect(committed.paths[route.path]?.[route.method.toLowerCase()]?.operationId).toBe(name)
    }
  })

  it('is committed up to date (run `pnpm --filter @infra/api-types openapi`)', () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(createOpenApiDocument())))
  })
})
