#!/usr/bin/env bash
# Builds the node's binaries if they are not cached yet and prints their directory on stdout: kubelet,
# kube-controller-manager, kube-scheduler and kube-proxy (upstream cmd/* mains, the tools of go.mod, with the same
# Kubernetes pins as kube/go.mod, which this checks), and `pause`, the sandbox binary compiled from the Kubernetes
# module's build/pause/linux/pause.c (no image registry to pull registry.k8s.io/pause from).
# Build output goes to stderr. Cache: ${INFRA_NODE_CACHE:-$HOME/.cache/infra-node}/<sha256>/
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

# One set of pins: the apiserver's go.mod is the declaration; this module must replace every k8s.io module alike.
pins() { sed -n '/^replace (/,/^)/p' "$1"; awk '$1 == "k8s.io/kubernetes" || ($1 == "require" && $2 == "k8s.io/kubernetes")' "$1" | grep -o 'v[0-9.]*$'; }
if ! diff <(pins ../kube/go.mod) <(pins go.mod) >&2; then
  echo "node/build.sh: go.mod's Kubernetes pins differ from kube/go.mod's; make them the same" >&2
  exit 1
fi

command -v go >/dev/null 2>&1 || { echo "node/build.sh: 'go' not found in PATH (Go >= 1.24 required)" >&2; exit 1; }
command -v gcc >/dev/null 2>&1 || { echo "node/build.sh: 'gcc' not found in PATH (it compiles pause.c)" >&2; exit 1; }
ldflags="$(bash ../kube/version-ldflags.sh go.mod)"
tools=(kubelet kube-controller-manager kube-scheduler kube-proxy)

key="$( { cat go.mod go.sum; go env GOVERSION GOOS GOARCH; gcc --version | head -n 1; echo "$ldflags"; } | sha256sum | cut -d' ' -f1)"
source "$here/../cache.sh"
cache_enter "${INFRA_NODE_CACHE:-$HOME/.cache/infra-node}" "$key" .done
dir="$cache_dir"

echo "node/build.sh: building ${tools[*]} and pause -> $dir" >&2
echo "node/build.sh: ~3 minutes after the apiserver build warmed the Go cache, ~6 cold; later runs use the cache" >&2
start=$(date +%s)
tmp="$dir/tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$tmp/" "${tools[@]/#/k8s.io/kubernetes/cmd/}" >&2
kubernetes="$(go list -mod=readonly -m -f '{{.Dir}}' k8s.io/kubernetes)"
# The tag kubelet asks containerd for (its default sandbox image) is the one upstream's Makefile builds.
pause_tag="$(awk '$1 == "TAG" && $2 == "?=" { print $3 }' "$kubernetes/build/pause/Makefile")"
gcc -Os -Wall -static -DVERSION="v$pause_tag" -o "$tmp/pause" "$kubernetes/build/pause/linux/pause.c" >&2
echo "$pause_tag" >"$tmp/pause.tag"
strip "$tmp/pause"
mv -f "$tmp"/* "$dir/"
touch "$dir/.done"
cache_prune
echo "node/build.sh: built in $(( $(date +%s) - start ))s" >&2
echo "$dir"
