// CommonJS packages in a code-split bundle load as `{ default: module.exports }`, without named exports;
// under plain Node (tests) they have both. These pick whichever holds the functions.

import type * as Yaml from 'yaml'
import type * as Lockfile from 'proper-lockfile'

function interop<T extends object>(namespace: T, probe: keyof T): T {
  const fallback = (namespace as { default?: T }).default
  return typeof namespace[probe] === 'function' || !fallback ? namespace : fallback
}

export async function loadYaml(): Promise<typeof Yaml> {
  return interop(await import('yaml'), 'stringify')
}

export async function loadLockfile(): Promise<typeof Lockfile> {
  return interop(await import('proper-lockfile'), 'lock')
}
