// Writes packages/api-types/openapi.json from the built route table (run `pnpm build` first).
import { writeFileSync } from 'node:fs'
import { createOpenApiDocument } from '../dist/openapi.js'

const target = new URL('../openapi.json', import.meta.url)
writeFileSync(target, JSON.stringify(createOpenApiDocument(), null, 2) + '\n')
console.log(`wrote ${target.pathname}`)
