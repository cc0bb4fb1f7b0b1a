// Startup benchmark: wall time of the bundled `infra --help` and of a cached `infra tokens add` (what kubectl
// runs before each request), as a ratio to `node -e 0` measured in the same run; and how many token calls
// kubectl processes starting at once on N clusters make (one per cluster). Writes bench/results.json and .md.
// Uses hyperfine when installed (apt-get install hyperfine), else times child processes itself.
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeBenchResults } from '@infra/test-harness/bench'

const RUNS = Number(process.env.BENCH_RUNS ?? 40)
const WARMUP = 5
const here = fileURLToPath(new URL('.', import.meta.url))
const bin = join(here, '..', 'dist', 'infra.js')
const home = mkdtempSync(join(tmpdir(), 'infra-bench-'))

// A logged-in HOME whose token cache is filled by one real `infra tokens add` against a stub server, which
// counts the token calls by the destination they name.
const tokenCalls = new Map()
const stub = createServer((req, res) => {
  let body = ''
  req.on('data', (chunk) => (body += chunk))
  req.on('end', () => {
    const destination = JSON.parse(body || '{}').destination ?? '(none)'
    tokenCalls.set(destination, (tokenCalls.get(destination) ?? 0) + 1)
    res.setHeader('Content-Type', 'application/json')
    res.statusCode = 201
    res.end(
      JSON.stringify({ token: 'bench.token.value', expires: new Date(Date.now() + 3_600_000).toISOString() }),
    )
  })
})
await new Promise((resolve) => stub.listen(0, '127.0.0.1', resolve))
const server = `http://127.0.0.1:${stub.address().port}`
mkdirSync(join(home, '.infra'), { recursive: true })
writeFileSync(
  join(home, '.infra', 'config'),
  JSON.stringify({
    version: 1,
    current: server,
    servers: [{ url: server, user: 'bench', keyID: 'BenchKey01', keyStore: 'file' }],
  }),
)
writeFileSync(
  join(home, '.infra', 'credentials'),
  JSON.stringify({ keys: { [server]: 'BenchKey01.abcdefghijklmnopqrstuvwx' } }),
)
const env = { ...process.env, HOME: home, INFRA_KEYRING: 'file' }
// Asynchronously: the stub answers from this process's event loop.
const tokensAdd = (destination) =>
  promisify(execFile)(process.execPath, [bin, 'tokens', 'add', '--destination', destination], {
    env,
    encoding: 'utf8',
  })

// kubectl on N clusters at once, from an empty cache: PER_CLUSTER exec plugin processes per cluster, all started
// together, as parallel kubectl (or a tool fanning out over clusters) starts them.
const PER_CLUSTER = Number(process.env.BENCH_PER_CLUSTER ?? 10)
const fanOut = []
for (const clusters of [1, 2, 4]) {
  rmSync(join(home, '.infra', 'cache'), { recursive: true, force: true })
  tokenCalls.clear()
  const destinations = Array.from({ length: clusters }, (_, index) => `cluster-${index + 1}`)
  const started = process.hrtime.bigint()
  const runs = await Promise.all(
    destinations.flatMap((name) => Array.from({ length: PER_CLUSTER }, () => tokensAdd(name))),
  )
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (!runs.every((run) => run.stdout.includes('ExecCredential'))) throw new Error('a token call failed')
  const calls = [...tokenCalls.values()].reduce((sum, count) => sum + count, 0)
  if (calls !== clusters || destinations.some((name) => tokenCalls.get(name) !== 1)) {
    throw new Error(`${clusters} clusters made token calls ${JSON.stringify(Object.fromEntries(tokenCalls))}`)
  }
  fanOut.push({ clusters, processes: runs.length, calls, ms })
}

// The cache the startup measurement reads.
const fill = await tokensAdd('bench')
await new Promise((resolve) => stub.close(resolve))
if (!fill.stdout.includes('ExecCredential')) throw new Error(`could not fill the token cache: ${fill.stderr}`)

const node = process.execPath
const commands = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'infra --help', args: [bin, '--help'] },
  { name: 'infra tokens add (cached)', args: [bin, 'tokens', 'add', '--destination', 'bench'] },
]

function hasHyperfine() {
  try {
    execFileSync('hyperfine', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const stats = (name, times) => {
  const sorted = [...times].sort((a, b) => a - b)
  const mean = sorted.reduce((sum, ms) => sum + ms, 0) / sorted.length
  const stddev = Math.sqrt(sorted.reduce((sum, ms) => sum + (ms - mean) ** 2, 0) / sorted.length)
  return { name, mean, stddev, median: sorted[Math.floor(sorted.length / 2)] }
}

// Interleaved: one run of each command in turn, so a busy moment of the machine hits all of them alike.
function interleaved() {
  const times = commands.map(() => [])
  for (let round = 0; round < WARMUP + RUNS; round++) {
    commands.forEach((command, index) => {
      const started = process.hrtime.bigint()
      const run = spawnSync(node, command.args, { env, stdio: 'ignore' })
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (run.status !== 0) throw new Error(`${command.name} failed`)
      if (round >= WARMUP) times[index].push(ms)
    })
  }
  return commands.map((command, index) => stats(command.name, times[index]))
}

const quote = (arg) => `'${arg.replace(/'/g, `'\\''`)}'`
function hyperfine() {
  const exported = join(home, 'hyperfine.json')
  execFileSync(
    'hyperfine',
    [
      '-N',
      '--warmup',
      String(WARMUP),
      '--runs',
      String(RUNS),
      '--export-json',
      exported,
      ...commands.map((command) => [node, ...command.args].map(quote).join(' ')),
    ],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  return JSON.parse(readFileSync(exported, 'utf8')).results.map((result, index) => ({
    name: commands[index].name,
    mean: result.mean * 1000,
    stddev: (result.stddev ?? 0) * 1000,
    median: result.median * 1000,
  }))
}

const tables = [{ id: 'startup', tool: 'child processes timed by node, interleaved', results: interleaved() }]
if (hasHyperfine()) {
  const version = execFileSync('hyperfine', ['--version'], { encoding: 'utf8' }).trim()
  tables.push({
    id: 'startup-hyperfine',
    tool: `${version} (-N, one command after the other)`,
    results: hyperfine(),
  })
}
rmSync(home, { recursive: true, force: true })

const startupSection = ({ id, tool, results }) => {
  const [base] = results
  return {
    id,
    title: `Startup, ${tool}`,
    description:
      `Wall time of the bundled CLI (\`dist/infra.js\`) against \`node -e 0\`, ${RUNS} runs each after ${WARMUP} ` +
      'warmup runs. `infra --help` prints the help text generated at build time, and a cached `infra tokens add` ' +
      'reads only the config and its cache file: neither loads yargs, the SDK or zod.',
    baseline: '`node -e 0`',
    figures: results.slice(1).flatMap((result) => [
      {
        id: `${result.name}-median`,
        label: `\`${result.name}\`, median`,
        value: result.median,
        unit: 'ms',
        better: 'lower',
        baseline: base.median,
        target: { ratio: 1.3 },
      },
      {
        id: `${result.name}-mean`,
        label: `\`${result.name}\`, mean (σ ${result.stddev.toFixed(1)} ms)`,
        value: result.mean,
        unit: 'ms',
        better: 'lower',
        baseline: base.mean,
      },
    ]),
  }
}
const fanOutSection = {
  id: 'token-fan-out',
  title: 'Token calls of kubectl on N clusters at once',
  description:
    `${PER_CLUSTER} \`infra tokens add --destination\` processes per cluster (what kubectl runs), all started at ` +
    'once from an empty token cache, against a stub server counting the calls. A token is for one cluster, so ' +
    'each cluster costs one call: its first process asks while the others wait on that cluster’s lock and then ' +
    'read its cache. The wall time is mostly starting that many node processes at once on this machine.',
  figures: fanOut.flatMap((row) => [
    {
      id: `calls-${row.clusters}`,
      label: `${row.clusters} cluster(s), ${row.processes} processes: token calls`,
      value: row.calls,
      unit: '',
      better: 'lower',
      target: { value: row.clusters },
    },
    {
      id: `wall-${row.clusters}`,
      label: `${row.clusters} cluster(s), ${row.processes} processes: wall time`,
      value: row.ms,
      unit: 'ms',
      better: 'lower',
    },
  ]),
}
process.stdout.write(
  await writeBenchResults(
    here,
    'CLI benchmarks',
    'Run with `pnpm --filter @infra/cli bench`: child processes of the bundled CLI on this machine, each figure ' +
      'beside `node -e 0` measured in the same run. Target: at most 1.3x `node -e 0`.',
    [...tables.map(startupSection), fanOutSection],
  ),
)
