// The baseline: Express serving at BENCH_PATH the same JSON as the Infra server, with no auth, database or validation.
import express from 'express'
import { readFileSync } from 'node:fs'

const body = JSON.parse(readFileSync(process.env.BENCH_BODY_FILE ?? '', 'utf8')) as unknown
const app = express()
app.get(process.env.BENCH_PATH ?? '/', (_req, res) => {
  res.json(body)
})
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`)
})
