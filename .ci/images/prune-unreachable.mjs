// Usage: node prune-unreachable.mjs DIR PACKAGE...
// In a `pnpm deploy` folder DIR, unlinks the named packages wherever they are linked, then removes every package
// of node_modules/.pnpm no longer reachable from DIR/node_modules. pnpm keeps an optional peer such as
// @prisma/client's `prisma` and `typescript` (build tools, 70 MB) in a production deploy.
import { existsSync, lstatSync, readdirSync, realpathSync, rmSync } from 'node:fs'
import { join, relative, sep } from 'node:path'

const [dir, ...dropped] = process.argv.slice(2)
const store = join(dir, 'node_modules', '.pnpm')

/** The package folders linked from a node_modules folder (scoped ones included). */
function linked(nodeModules) {
  if (!existsSync(nodeModules)) return []
  return readdirSync(nodeModules)
    .flatMap((name) => {
      if (name === '.pnpm' || name === '.bin') return []
      if (name.startsWith('@'))
        return readdirSync(join(nodeModules, name)).map((scoped) => `${name}/${scoped}`)
      return [name]
    })
    .map((name) => join(nodeModules, name))
}

for (const nodeModules of [
  join(dir, 'node_modules'),
  ...readdirSync(store).map((entry) => join(store, entry, 'node_modules')),
]) {
  for (const link of linked(nodeModules)) {
    const name = relative(nodeModules, link).split(sep).join('/')
    if (dropped.includes(name) && lstatSync(link).isSymbolicLink()) rmSync(link, { force: true })
  }
}

const reachable = new Set()
const pending = linked(join(dir, 'node_modules'))
while (pending.length > 0) {
  const link = pending.pop()
  if (!existsSync(link)) continue
  const entry = relative(store, realpathSync(link)).split(sep)[0]
  if (entry.startsWith('..') || reachable.has(entry)) continue
  reachable.add(entry)
  pending.push(...linked(join(store, entry, 'node_modules')))
}
for (const entry of readdirSync(store)) {
  if (!reachable.has(entry) && entry !== 'node_modules' && entry !== 'lock.yaml')
    rmSync(join(store, entry), { recursive: true, force: true })
}
