#!/usr/bin/env bash
# Usage: start.sh OUTDIR [extra kube-apiserver flags...]
# Builds (or reuses the cached) harness binary, then runs etcd + kube-apiserver
# on 127.0.0.1. Prints "ready" once /readyz is OK; OUTDIR then contains
# admin.kubeconfig, alice.kubeconfig, bob.kubeconfig and cluster.json.
# Runs until SIGTERM/SIGINT, then cleans up.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 OUTDIR [extra kube-apiserver flags...]" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$("$here/build.sh")"
exec "$bin" "$@"
