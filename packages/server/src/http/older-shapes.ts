import type { RouteDefinition } from '@infra/api-types'

/** Current field name → the name the requesting client uses. */
export type FieldNames = ReadonlyMap<string, string>

const NO_RENAMES: FieldNames = new Map()

function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number)
  const right = b.split('.').map(Number)
  for (let at = 0; at < 3; at++) {
    const difference = (left[at] ?? 0) - (right[at] ?? 0)
    if (difference !== 0) return difference
  }
  return 0
}

/** The names a client of `version` uses on this route: those of every older shape still at or above it. */
export function fieldNamesFor(route: RouteDefinition, version: string | undefined): FieldNames {
  if (version === undefined || !route.olderShapes) return NO_RENAMES
  const names = new Map<string, string>()
  for (const shape of route.olderShapes) {
    if (compareVersions(version, shape.through) > 0) continue
    for (const [current, older] of Object.entries(shape.renamed)) names.set(current, older)
  }
  return names
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function renamed(value: Record<string, unknown>, from: (name: string) => string | undefined) {
  const result: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) result[from(key) ?? key] = item
  return result
}

/** A request's query or body with the client's names turned into the current ones. */
export function toCurrentNames(value: unknown, names: FieldNames): unknown {
  if (names.size === 0 || !isRecord(value)) return value
  const current = new Map([...names].map(([name, older]) => [older, name]))
  // A current name the client also sent wins over its older spelling.
  return renamed(value, (key) => {
    const name = current.get(key)
    return name !== undefined && !Object.hasOwn(value, name) ? name : undefined
  })
}

/** A response in the client's names: the resource itself, or each item of a listed page. */
export function toClientNames(body: unknown, names: FieldNames): unknown {
  if (names.size === 0 || !isRecord(body)) return body
  const rename = (item: unknown) => (isRecord(item) ? renamed(item, (key) => names.get(key)) : item)
  return Array.isArray(body.items) ? { ...body, items: body.items.map(rename) } : rename(body)
}
