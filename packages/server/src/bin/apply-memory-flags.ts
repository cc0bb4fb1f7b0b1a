// Imported first by the server's bin, so that the flags hold before any other module runs: npm's `infra-server`
// starts as a plain `node` (workers get them as real flags, see workers.ts).
import { setFlagsFromString } from 'node:v8'
import { missingMemoryFlags } from './memory-flags.js'

for (const flag of missingMemoryFlags(process.execArgv)) setFlagsFromString(flag)
