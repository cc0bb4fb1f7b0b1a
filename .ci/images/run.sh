#!/usr/bin/env bash
# Builds the server and connector images with podman and smoke-tests them, on a machine with no image registry:
# the base image `node:20-bookworm-slim` is stood in for by one made from Debian's packages and the Node.js binary
# from npm (made once, then kept in podman's storage). Needs root (podman, apt-get) and a `pnpm build` done.
set -euo pipefail
cd "$(dirname "$0")/../.."

BASE_IMAGE=docker.io/library/node:20-bookworm-slim
NODE_VERSION=20.20.2
VERSION=$(node -p 'require("./packages/server/package.json").version')
SERVER_IMAGE=localhost/infra-server:$VERSION
CONNECTOR_IMAGE=localhost/infra-connector:$VERSION
WORK=$(mktemp -d)
CONTAINERS=()
KUBE_PID=
cleanup() {
  for container in "${CONTAINERS[@]}"; do podman rm -f -v -t 2 "$container" >/dev/null 2>&1 || true; done
  podman volume rm -f "infra-smoke-$$" >/dev/null 2>&1 || true
  [ -z "$KUBE_PID" ] || { kill "$KUBE_PID" 2>/dev/null; wait "$KUBE_PID" 2>/dev/null || true; }
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n=== images: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

install_tools() {
  command -v podman >/dev/null && command -v mmdebstrap >/dev/null && command -v runc >/dev/null && return
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman runc mmdebstrap >/dev/null
}

# limit_containers DIR
source .ci/images/limit-containers.sh

# What the real base image offers the Dockerfile: Debian bookworm, node in /usr/local/bin, user node (1000).
make_base_image() {
  if podman image exists "$BASE_IMAGE"; then
    echo "$BASE_IMAGE present"
    return
  fi
  local rootfs=$WORK/rootfs node_arch
  case "$(dpkg --print-architecture)" in
    amd64) node_arch=x64 ;;
    arm64) node_arch=arm64 ;;
    *) echo "no Node.js binary for $(dpkg --print-architecture)" >&2; exit 1 ;;
  esac
  mmdebstrap --quiet --variant=minbase --include=usr-is-merged bookworm "$rootfs"
  # Debian's own images have usr-is-merged only; mmdebstrap adds usrmerge, which brings perl (50 MB).
  chroot "$rootfs" dpkg --purge usrmerge libfile-find-rule-perl libnumber-compare-perl libtext-glob-perl perl \
    perl-modules-5.36 libperl5.36 libgdbm-compat4 >/dev/null
  rm -rf "$rootfs"/usr/share/{doc,man,info,locale}/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*
  (cd "$WORK" && npm pack --silent "node-linux-$node_arch@$NODE_VERSION" >/dev/null)
  tar -xzf "$WORK"/node-linux-*.tgz -C "$WORK"
  install -m 0755 "$WORK/package/bin/node" "$rootfs/usr/local/bin/node"
  chroot "$rootfs" /usr/sbin/groupadd --gid 1000 node
  chroot "$rootfs" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  tar -C "$rootfs" -c . | podman import --quiet --change 'CMD ["node"]' --change "ENV NODE_VERSION=$NODE_VERSION" - "$BASE_IMAGE" >/dev/null
}

build_image() { # package image
  bash .ci/images/context.sh "$1" "$WORK/$1"
  podman build --pull=never --format docker --quiet --build-arg TARGETARCH="$(podman info --format '{{.Host.Arch}}')" \
    --build-arg VERSION="$VERSION" --layers=false --target "$1" -t "$2" -f "$PWD/Dockerfile" "$WORK/$1" >/dev/null
  podman image inspect --format "$2: {{.Size}} bytes" "$2"
}

free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })'
}

# Polls a URL until it answers 2xx, for up to 60 s. Unverified (-k), as a probe: the server's self-signed
# certificate is checked by the CLI's login, by the fingerprint the server printed.
wait_for() {
  for _ in $(seq 300); do
    curl -kfsS -o /dev/null "$1" 2>/dev/null && return
    sleep 0.2
  done
  echo "no answer from $1" >&2
  return 1
}

# Starts a detached container named $1 with the remaining arguments; podman's complaint that there is no systemd
# to time HEALTHCHECKs is dropped (the smoke test runs them itself).
run_container() {
  CONTAINERS+=("$1")
  podman run -d --name "$@" 2>/dev/null >/dev/null
}

# The CLI as its users get it: the packed @infra/cli, installed with `npm install -g` into a prefix of its own.
install_cli() {
  pnpm --dir packages/cli pack --pack-destination "$WORK/cli-package" >/dev/null
  npm install -g --silent --no-audit --no-fund --prefix "$WORK/cli" "$WORK"/cli-package/*.tgz
  infra --version
}

infra() { HOME=$WORK/home KUBECONFIG=$WORK/home/kubeconfig "$WORK/cli/bin/infra" "$@"; }

# Read-only root filesystem, a tmpfs for /tmp (as `docker run --read-only --tmpfs /tmp`), data in a volume.
run_server() { # name port
  run_container "$1" --read-only --read-only-tmpfs=false --tmpfs /tmp -v "infra-smoke-$$:/data" \
    -p "127.0.0.1:$2:8443" "$SERVER_IMAGE"
  wait_for "https://127.0.0.1:$2/healthz"
}

# The SHA-256 fingerprint container $1 printed for its certificate.
printed_fingerprint() {
  podman logs "$1" 2>&1 | grep -A2 'SHA-256 fingerprint is' | grep -oE '([0-9A-F]{2}:){31}[0-9A-F]{2}' | head -n 1
}

test_server() {
  podman run --rm "$SERVER_IMAGE" --help 2>/dev/null | grep -q 'Runs the Infra server'
  SERVER_PORT=$(free_port)
  run_server infra-smoke-server "$SERVER_PORT"
  podman healthcheck run infra-smoke-server
  # The command the first start prints, as the README has the reader copy it: key and fingerprint.
  local command key fingerprint
  command=$(podman logs infra-smoke-server 2>&1 | grep -o 'infra login localhost:8443 --key .*')
  key=$(awk '{ print $5 }' <<<"$command")
  fingerprint=$(awk '{ print $7 }' <<<"$command")
  [ -n "$key" ] && [ "$fingerprint" = "$(printed_fingerprint infra-smoke-server)" ] || {
    podman logs infra-smoke-server
    echo "no login command with the admin key and the certificate's fingerprint printed" >&2
    exit 1
  }
  mkdir -p "$WORK/home"
  infra login "localhost:$SERVER_PORT" --key "$key" --tls-trusted-fingerprint "$fingerprint" --no-agent --non-interactive
  infra users list | grep -q admin
  # A second container on the same volume keeps the data and the certificate: no new admin key, the same
  # fingerprint (though the container's host name changed), and the first key still works.
  podman rm -f -t 5 infra-smoke-server >/dev/null 2>&1
  run_server infra-smoke-server-again "$SERVER_PORT"
  if podman logs infra-smoke-server-again 2>&1 | grep -q -- '--key'; then
    echo "a second start on the same volume printed a new admin key" >&2
    exit 1
  fi
  [ "$(printed_fingerprint infra-smoke-server-again)" = "$fingerprint" ] || {
    echo "a second start on the same volume made a new certificate" >&2
    exit 1
  }
  infra users list | grep -q admin
  infra login "localhost:$SERVER_PORT" --key "$key" --no-agent --non-interactive
  podman exec infra-smoke-server-again cat /data/tls/cert.pem >"$WORK/server.pem"
  chmod 0644 "$WORK/server.pem"
}

# The connector registers with the server container and watches the test harness's real kube-apiserver.
test_connector() {
  podman run --rm "$CONNECTOR_IMAGE" --help 2>/dev/null | grep -q 'Usage: infra-connector'
  local key health_port proxy_port
  key=$(infra keys add connector | tail -n 1)
  bash packages/test-harness/kube/start.sh "$WORK/kube" >"$WORK/kube.log" 2>&1 &
  KUBE_PID=$!
  for _ in $(seq 600); do grep -q '^ready' "$WORK/kube.log" && break; sleep 0.2; done
  install -m 0644 "$WORK/kube/admin.kubeconfig" "$WORK/kubeconfig"
  health_port=$(free_port)
  proxy_port=$(free_port)
  run_container infra-smoke-connector --network host --read-only --read-only-tmpfs=false -v /data \
    -v "$WORK/kubeconfig:/kube/config:ro" -v "$WORK/server.pem:/tls/server.pem:ro" "$CONNECTOR_IMAGE" \
    --kubeconfig /kube/config --server "https://127.0.0.1:$SERVER_PORT" --server-ca /tls/server.pem \
    --access-key "$key" --name image-smoke \
    --endpoint "127.0.0.1:$proxy_port" --listen "127.0.0.1:$proxy_port" --health-listen "127.0.0.1:$health_port"
  wait_for "http://127.0.0.1:$health_port/healthz"
  wait_for "http://127.0.0.1:$health_port/readyz"
  infra destinations list | grep -q image-smoke
}

timed() { # what command...
  local start=$SECONDS
  step "$1"
  "${@:2}"
  echo "($1: $((SECONDS - start)) s)"
}

timed tools install_tools
limit_containers "$WORK"
timed "base image" make_base_image
timed "server image" build_image server "$SERVER_IMAGE"
timed "connector image" build_image connector "$CONNECTOR_IMAGE"
# `run.sh build`: the images only (e.g. for .ci/cluster/run.sh), without the smoke tests.
[ "${1:-}" != build ] || { step "built in $SECONDS s"; exit 0; }
timed "CLI from its npm package" install_cli
timed "server smoke test" test_server
timed "connector smoke test" test_connector
step "done in $SECONDS s"
