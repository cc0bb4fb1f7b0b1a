// The bench's 32-client proxy load against a connector running elsewhere, e.g. as a pod on the real node of
// .ci/cluster/run.sh: `node --import tsx bench/load-through.ts URL SECONDS` with the token in LOAD_TOKEN and
// the connector's CA (PEM) in LOAD_CA. Prints the result as JSON; exits 1 if any request failed.
import { load } from './load.js'

const [url, seconds = '20'] = process.argv.slice(2)
const token = process.env.LOAD_TOKEN
const ca = process.env.LOAD_CA
if (!url || !token || !ca) throw new Error('usage: LOAD_TOKEN=… LOAD_CA=… load-through.ts URL [SECONDS]')
const result = await load({ url, token, ca }, Number(seconds) * 1000)
console.log(JSON.stringify(result))
process.exit(result.errors === 0 && result.requests > 0 ? 0 : 1)
