// jest globalSetup: build (or find in the cache) the kube-apiserver harness
// before any test runs. Build output is shown on stderr.
import { execFileSync } from 'node:child_process'
import path from 'node:path'

export default function buildKubeHarness() {
  if (process.env.INFRA_TEST_KUBECONFIG) return
  const script = path.join(decodeURIComponent(new URL('.', import.meta.url).pathname), 'build.sh')
  execFileSync('bash', [script], { stdio: ['ignore', 'ignore', 'inherit'] })
}
