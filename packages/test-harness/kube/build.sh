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
source "$here/../cache.sh"
cache_enter "${INFRA_KUBE_CACHE:-$HOME/.cache/infra-kube}" "$key" kube-apiserver-harness kube-apiserver-harness
bin="$cache_dir/kube-apiserver-harness"

echo "build.sh: building kube-apiserver harness -> $bin" >&2
echo "build.sh: the first build takes several minutes; later runs use the cache" >&2
start=$(date +%s)
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$tmp" . >&2
mv -f "$tmp" "$bin"
cache_prune
echo "build.sh: built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
