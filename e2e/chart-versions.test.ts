// The release's chart step (.ci/sync-chart-versions.mjs, run by `pnpm version-packages` after `changeset version`):
// each package's Helm charts take the package's version as `version` and `appVersion`.
import { run } from '@infra/test-harness'
import { afterEach, describe, expect, it } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ROOT } from './system.js'

const SCRIPT = join(ROOT, '.ci', 'sync-chart-versions.mjs')

let dirs: string[] = []
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  dirs = []
})

/** A repository root holding the given files (path → text). */
function repository(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'infra-chart-versions-'))
  dirs.push(dir)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  return dir
}

const manifest = (version: string) => JSON.stringify({ name: 'x', version })
const sync = (dir: string) => run(process.execPath, [SCRIPT, dir])

describe('syncing the charts to the package versions', () => {
  it('sets version and appVersion of every chart to its own package version, leaving the rest as it was', async () => {
    const connectorChart = [
      'apiVersion: v2',
      'name: infra-connector',
      '# the chart of the connector',
      'version: 0.1.0',
      "appVersion: '0.1.0'",
      'keywords: [infra]',
      '',
    ].join('\n')
    const dir = repository({
      'packages/connector/package.json': manifest('1.4.0'),
      'packages/connector/helm/infra-connector/Chart.yaml': connectorChart,
      'packages/server/package.json': manifest('1.4.0-rc.1'),
      'packages/server/helm/infra-server/Chart.yaml':
        'name: infra-server\nversion: 0.9.0\nappVersion: "0.9.0"\n',
      'packages/scheduling/package.json': manifest('1.4.0'),
    })

    expect(await sync(dir)).toEqual({
      code: 0,
      stdout:
        'packages/connector/helm/infra-connector/Chart.yaml: 1.4.0\n' +
        'packages/server/helm/infra-server/Chart.yaml: 1.4.0-rc.1\n',
      stderr: '',
    })
    expect(readFileSync(join(dir, 'packages/connector/helm/infra-connector/Chart.yaml'), 'utf8')).toBe(
      connectorChart.replace('version: 0.1.0', 'version: 1.4.0').replace("'0.1.0'", "'1.4.0'"),
    )
    expect(readFileSync(join(dir, 'packages/server/helm/infra-server/Chart.yaml'), 'utf8')).toBe(
      'name: infra-server\nversion: 1.4.0-rc.1\nappVersion: "1.4.0-rc.1"\n',
    )
    // Synced already: a second run changes nothing.
    expect((await sync(dir)).code).toBe(0)
    expect(readFileSync(join(dir, 'packages/server/helm/infra-server/Chart.yaml'), 'utf8')).toContain(
      'version: 1.4.0-rc.1\n',
    )
  })

  it('works with only one of the charts present', async () => {
    const dir = repository({
      'packages/connector/package.json': manifest('2.0.0'),
      'packages/connector/helm/infra-connector/Chart.yaml': 'version: 0.1.0\nappVersion: 0.1.0\n',
      'packages/server/package.json': manifest('2.0.0'),
    })
    expect((await sync(dir)).stdout).toBe('packages/connector/helm/infra-connector/Chart.yaml: 2.0.0\n')
    expect(readFileSync(join(dir, 'packages/connector/helm/infra-connector/Chart.yaml'), 'utf8')).toBe(
      'version: 2.0.0\nappVersion: 2.0.0\n',
    )
  })

  it('refuses a chart without appVersion, and a repository without charts, instead of syncing nothing', async () => {
    const noAppVersion = repository({
      'packages/connector/package.json': manifest('2.0.0'),
      'packages/connector/helm/infra-connector/Chart.yaml': 'version: 0.1.0\n',
    })
    const failed = await sync(noAppVersion)
    expect(failed.code).not.toBe(0)
    expect(failed.stderr).toContain(
      'packages/connector/helm/infra-connector/Chart.yaml has no top-level "appVersion:" line',
    )

    const noCharts = await sync(repository({ 'packages/server/package.json': manifest('2.0.0') }))
    expect(noCharts.code).not.toBe(0)
    expect(noCharts.stderr).toContain('no packages/*/helm/*/Chart.yaml')
  })

  it("keeps this repository's charts at their packages' versions", () => {
    const packages = join(ROOT, 'packages')
    const charts = readdirSync(packages).flatMap((pkg) => {
      const helm = join(packages, pkg, 'helm')
      if (!existsSync(helm)) return []
      // A package's helm/ may hold other files than charts (the test harness keeps its helm fixture there).
      const names = readdirSync(helm).filter((entry) => existsSync(join(helm, entry, 'Chart.yaml')))
      const { version } = JSON.parse(readFileSync(join(packages, pkg, 'package.json'), 'utf8')) as {
        version: string
      }
      return names.map((chart) => {
        const text = readFileSync(join(packages, pkg, 'helm', chart, 'Chart.yaml'), 'utf8')
        const field = (key: string) => new RegExp(`^${key}: *['"]?([^'"\\s]+)`, 'm').exec(text)?.[1]
        return { chart, version: field('version'), appVersion: field('appVersion'), expected: version }
      })
    })
    expect(charts.map(({ chart }) => chart).sort()).toEqual(['infra-connector', 'infra-server'])
    for (const chart of charts)
      expect(chart).toEqual({ ...chart, version: chart.expected, appVersion: chart.expected })
  })
})
