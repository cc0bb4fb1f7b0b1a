#!/usr/bin/env bash
# Usage: version-ldflags.sh GO_MOD
# Prints the go build -ldflags that stamp the Kubernetes version of GO_MOD's k8s.io/kubernetes requirement into
# Kubernetes binaries (what /version and `kubelet --version` report). Shared by kube/build.sh and node/build.sh.
set -euo pipefail
version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == "k8s.io/kubernetes" { print $3; exit }' "$1")"
[[ "$version" =~ ^v([0-9]+)\.([0-9]+)\. ]] || { echo "version-ldflags.sh: cannot find k8s.io/kubernetes version in $1" >&2; exit 1; }
ldflags="-s -w"
ldflags+=" -X k8s.io/component-base/version.gitVersion=${version}"
ldflags+=" -X k8s.io/component-base/version.gitMajor=${BASH_REMATCH[1]}"
ldflags+=" -X k8s.io/component-base/version.gitMinor=${BASH_REMATCH[2]}"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
echo "$ldflags"
