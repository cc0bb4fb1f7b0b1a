#!/usr/bin/env bash
# Builds the kube-apiserver test harness (etcd + kube-apiserver in one binary)
# if it is not cached yet, and prints the binary's path on stdout.
# Build output goes to stderr. Cache: ${INFRA_KUBE_CACHE:-$HOME/.cache/infra-kube}/<sha256>/
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

# Report the real Kubernetes version (from go.mod) on /version.
ldflags="$(bash "$here/version-ldflags.sh" go.mod)"

command -v go >/dev/null 2>&1 || { echo "build.sh: 'go' not found in PATH (Go >= 1.24 required)" >&2; exit 1; }

key="$( { cat go.mod go.sum main.go; go env GOVERSION GOOS GOARCH; echo "$ldflags"; } | sha256sum | cut -d' ' -f1)"
cache="${INFRA_KUBE_CACHE:-$HOME/.cache/infra-kube}"
dir="$cache/$key"
bin="$dir/kube-apiserver-harness"

if [[ -x "$bin" ]]; then
  touch "$dir" 2>/dev/null || true # mark as recently used (see pruning below)
  echo "$bin"
  exit 0
fi

mkdir -p "$dir"
# Serialize concurrent builds of the same version (e.g. parallel jest workers).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dir/.lock"
  flock 9
  if [[ -x "$bin" ]]; then
    echo "$bin"
    exit 0
  fi
fi

echo "build.sh: building kube-apiserver harness -> $bin" >&2
echo "build.sh: the first build takes several minutes; later runs use the cache" >&2
start=$(date +%s)
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$tmp" . >&2
mv -f "$tmp" "$bin"
# Drop builds of other versions not used for a week (each is ~100 MB).
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -mtime +7 -exec rm -rf {} + 2>/dev/null || true
echo "build.sh: built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
