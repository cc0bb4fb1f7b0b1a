#!/usr/bin/env bash
# Both Helm charts of this repository on a real one-node cluster (packages/test-harness/node), as the README's
# "Install both charts on a cluster" says: the images of .ci/images/run.sh loaded into the node's containerd,
# `helm install` of the server chart, a user logging in through its Service with the CLI (the repository's
# build) and getting a grant from the admin, `helm install` of the connector chart, kubectl through the
# connector; `helm upgrade` of the server to a second build keeping the data; `helm uninstall` of both leaving
# nothing behind. Needs root, podman and containerd (installed with apt-get when missing), and `pnpm build`.
# The node has no cluster DNS: the connector reaches the server at its Service's ClusterIP (fixed, so that the
# chart's certificate names it; the README uses the Service's DNS name), and the host reaches both Services
# through kube-proxy's iptables rules.
set -euo pipefail
cd "$(dirname "$0")/../.."

skip() {
  printf '\n*****************************************************************\n'
  printf '*** SKIPPED: the Helm charts on a real cluster: %s\n' "$1"
  printf '*****************************************************************\n\n'
  exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root (containerd, kubelet, iptables)"
if ! command -v podman >/dev/null || ! command -v containerd >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    podman containerd runc containernetworking-plugins >/dev/null; } ||
    skip "podman or containerd is missing and apt-get cannot install them"
fi

VERSION=$(node -p 'require("./packages/server/package.json").version')
SERVER_IMAGE=localhost/infra-server:$VERSION
# The "second build" the upgrade moves to: the same server with one more layer, under another tag.
SERVER_IMAGE_2=localhost/infra-server:$VERSION-upgrade
CONNECTOR_IMAGE=localhost/infra-connector:$VERSION
NAMESPACE=infra
DESTINATION=cluster-test
CONNECTOR_NODE_PORT=30443
STORAGE_CLASS=infra-cluster-test
# Fixed, so that the chart's certificate names it: the node has no DNS for the Service's names.
SERVER_IP=10.0.0.200
WORK=$(mktemp -d /tmp/infra-cluster.XXXXXX)
HELM=$(bash packages/test-harness/helm/helm.sh)
NODE_PID=

step() { printf '\n=== cluster: %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
timed() { # what command...
  local start=$SECONDS
  step "$1"
  "${@:2}"
  echo "($1: $((SECONDS - start)) s)"
}

# After a failure: the pods, and what the ones not ready say.
diagnose() {
  echo "--- the node's logs are kept in $WORK/node"
  [ -n "${KUBECONFIG:-}" ] || return 0
  kubectl get pods -A -o wide
  kubectl get pods -A -o jsonpath='{range .items[?(@.status.phase!="Succeeded")]}{.metadata.namespace} {.metadata.name}{"\n"}{end}' |
    while read -r namespace pod; do
      kubectl get pod -n "$namespace" "$pod" -o jsonpath='{.status.containerStatuses[*].ready}' | grep -q false || continue
      kubectl describe pod -n "$namespace" "$pod" | sed -n '/^Events:/,$p' | tail -n 8
      kubectl logs -n "$namespace" "$pod" --all-containers --tail 15 2>&1 | cut -c1-300
    done
}

cleanup() {
  local code=$?
  if [ -n "$NODE_PID" ]; then
    [ "$code" = 0 ] || (diagnose) || true
    kill "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
  fi
  podman rmi -f "$SERVER_IMAGE_2" >/dev/null 2>&1 || true
  [ "$code" != 0 ] || rm -rf "$WORK"
}
trap cleanup EXIT

# limit_containers DIR
source .ci/images/limit-containers.sh

images() {
  if ! podman image exists "$SERVER_IMAGE" || ! podman image exists "$CONNECTOR_IMAGE"; then
    bash .ci/images/run.sh build
  fi
  printf 'FROM %s\nLABEL org.opencontainers.image.revision=upgrade\n' "$SERVER_IMAGE" |
    podman build --pull=never --format docker --quiet -t "$SERVER_IMAGE_2" -f - "$WORK" >/dev/null
}

start_node() {
  bash packages/test-harness/node/start.sh "$WORK/node" >"$WORK/node.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1500); do
    grep -q '^ready' "$WORK/node.log" && break
    kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/node.log"; return 1; }
    sleep 0.2
  done
  grep -q '^ready' "$WORK/node.log" || { cat "$WORK/node.log"; return 1; }
  export KUBECONFIG=$WORK/node/admin.kubeconfig
  grep '^node:' "$WORK/node.log" || true
}

# Each image once: containerd keeps them between runs, labelled with podman's image ID. One archive for those
# missing, so that the layers they share are written and read once.
load_images() {
  local image ctr=(ctr --address "$WORK/node/containerd.sock" -n k8s.io) missing=()
  declare -A ids
  for image in "$SERVER_IMAGE" "$SERVER_IMAGE_2" "$CONNECTOR_IMAGE"; do
    ids[$image]=$(podman image inspect --format '{{.Id}}' "$image")
    # One filter, comma-separated: separate filters would match either.
    if "${ctr[@]}" images ls -q "name==$image,labels.\"infrahq.com/podman-id\"==${ids[$image]}" | grep -q .; then
      echo "$image: already in the node"
    else
      missing+=("$image")
    fi
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  podman save --quiet --multi-image-archive -o "$WORK/images.tar" "${missing[@]}"
  "${ctr[@]}" images import "$WORK/images.tar" >/dev/null
  for image in "${missing[@]}"; do
    "${ctr[@]}" images label "$image" "infrahq.com/podman-id=${ids[$image]}" >/dev/null
  done
  rm "$WORK/images.tar"
}

# The node has no volume provisioner: a hostPath volume of the test's class for each claim ($1: its name).
provide_volume() {
  install -d -o 1000 -g 1000 -m 0700 "$WORK/$1"
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: { name: $1 }
spec:
  storageClassName: $STORAGE_CLASS
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: { path: $WORK/$1, type: Directory }
EOF
}

# The user running the CLI ($1, a home of their own), from the repository's build.
as() { HOME=$WORK/$1 KUBECONFIG=$WORK/$1/kubeconfig node packages/cli/dist/infra.js "${@:2}"; }
kubectl_as() { HOME=$WORK/$1 KUBECONFIG=$WORK/$1/kubeconfig kubectl --context "infra:$DESTINATION" "${@:2}"; }

server_install() { # helm install|upgrade, image tag
  "$HELM" "$1" infra-server packages/server/helm/infra-server --namespace "$NAMESPACE" --create-namespace \
    --set image.repository=localhost/infra-server --set image.tag="$2" --set image.pullPolicy=Never \
    --set persistence.storageClass="$STORAGE_CLASS" --set persistence.size=1Gi --set service.clusterIP="$SERVER_IP" --wait --timeout 3m >"$WORK/helm.out"
}

install_server() {
  server_install install "$VERSION"
  sed -n '/^NOTES:/,$p' "$WORK/helm.out"
  SERVER="https://$SERVER_IP"
  # What NOTES.txt tells the admin to run.
  ADMIN_KEY=$(kubectl get secret -n "$NAMESPACE" infra-server-admin-access-key -o jsonpath='{.data.access-key}' | base64 -d)
  kubectl get secret -n "$NAMESPACE" infra-server-tls -o jsonpath='{.data.tls\.crt}' | base64 -d >"$WORK/server.crt"
  FINGERPRINT=$(openssl x509 -in "$WORK/server.crt" -noout -fingerprint -sha256 | cut -d= -f2)
}

log_in() {
  mkdir -p "$WORK/admin" "$WORK/alice"
  as admin login "$SERVER" --key "$ADMIN_KEY" --tls-trusted-fingerprint "$FINGERPRINT" --no-agent --non-interactive
  as admin users add alice@example.com >/dev/null
  ALICE_KEY=$(as admin keys add alice@example.com 2>/dev/null | tail -n 1)
  as alice login "$SERVER" --key "$ALICE_KEY" --tls-trusted-fingerprint "$FINGERPRINT" --no-agent --non-interactive
}

install_connector() {
  local key
  key=$(as admin keys add connector 2>/dev/null | tail -n 1)
  "$HELM" install infra-connector packages/connector/helm/infra-connector --namespace "$NAMESPACE" \
    --set image.repository=localhost/infra-connector --set image.tag="$VERSION" --set image.pullPolicy=Never \
    --set server.url="$SERVER" --set-file server.ca="$WORK/server.crt" --set name="$DESTINATION" \
    --set endpoint="127.0.0.1:$CONNECTOR_NODE_PORT" --set service.type=NodePort \
    --set service.nodePort="$CONNECTOR_NODE_PORT" --set accessKey.value="$key" --wait --timeout 3m >/dev/null
  for _ in $(seq 100); do as admin destinations list | grep -q "^$DESTINATION .* yes" && break; sleep 0.3; done
  as admin destinations list
}

kubectl_through_connector() {
  as admin grants add alice@example.com "$DESTINATION" --role view
  as alice login "$SERVER" --key "$ALICE_KEY" --tls-trusted-fingerprint "$FINGERPRINT" --no-agent --non-interactive >/dev/null
  for _ in $(seq 100); do kubectl_as alice get pods -n "$NAMESPACE" >/dev/null 2>&1 && break; sleep 0.3; done
  kubectl_as alice get pods -n "$NAMESPACE"
  [ "$(kubectl_as alice auth whoami -o jsonpath='{.status.userInfo.username}')" = alice@example.com ]
  if kubectl_as alice delete pods -n "$NAMESPACE" --all --dry-run=server >/dev/null 2>&1; then
    echo "alice, granted view, could delete pods" >&2
    return 1
  fi
}

# The bench's 32-client proxy load (packages/connector/bench) through the connector pod, which runs with the
# chart's default resources: it is neither OOM-killed nor restarted, and its cgroup's peak memory stays under
# the limit.
connector_memory() {
  local pod token ca limit peak='' restarts
  pod=$(kubectl get pods -n "$NAMESPACE" -l app.kubernetes.io/instance=infra-connector -o jsonpath='{.items[0].metadata.name}')
  token=$(as alice tokens add --destination "$DESTINATION" | node -pe 'JSON.parse(require("fs").readFileSync(0)).status.token')
  ca=$(KUBECONFIG=$WORK/alice/kubeconfig kubectl config view --raw --minify --context "infra:$DESTINATION" \
    -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d)
  (cd packages/connector && LOAD_TOKEN=$token LOAD_CA=$ca node --import tsx bench/load-through.ts \
    "https://127.0.0.1:$CONNECTOR_NODE_PORT" 30)
  limit=$(kubectl get pod -n "$NAMESPACE" "$pod" -o jsonpath='{.spec.containers[0].resources.limits.memory}')
  restarts=$(kubectl get pod -n "$NAMESPACE" "$pod" \
    -o jsonpath='{.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].lastState.terminated.reason}')
  echo "connector pod $pod: limit $limit, restarts and last termination: $restarts"
  [ "$restarts" = "0 " ] || { echo "the connector restarted under load ($restarts)" >&2; return 1; }
  # cgroup v1 (this node: cgroupfs driver) keeps the peak as memory.max_usage_in_bytes, v2 as memory.peak.
  local cgroup uid
  uid=$(kubectl get pod -n "$NAMESPACE" "$pod" -o jsonpath='{.metadata.uid}')
  # Under v1 the pod has a directory in every controller's hierarchy; only the memory one has the figure.
  for cgroup in $(find /sys/fs/cgroup -type d -name "pod$uid"); do
    peak=$(cat "$cgroup/memory.max_usage_in_bytes" 2>/dev/null || cat "$cgroup/memory.peak" 2>/dev/null) && break
  done
  if [ -z "$peak" ]; then
    echo "(the pod's cgroup peak memory is not readable here: only the restart check applies)"
    return 0
  fi
  echo "the pod's peak memory (cgroup, page cache included): $((peak / 1048576)) MiB of $limit"
  [ "$peak" -lt "$(numfmt --from=iec-i "$limit")" ] ||
    { echo "the connector's peak memory reached its limit" >&2; return 1; }
}

# kubectl exec through the connector into a real container (the server's, whose image has node): the audit log
# records its session's start and end, naming alice, the pod, and the start in the end.
exec_audited() {
  local pod sessions=''
  as admin grants add alice@example.com "$DESTINATION.$NAMESPACE" --role edit
  pod=$(kubectl get pods -n "$NAMESPACE" -l app.kubernetes.io/instance=infra-server -o jsonpath='{.items[0].metadata.name}')
  for _ in $(seq 100); do
    [ "$(kubectl_as alice auth can-i create pods/exec -n "$NAMESPACE" 2>/dev/null)" = yes ] && break
    sleep 0.3
  done
  [ "$(kubectl_as alice exec -n "$NAMESPACE" "$pod" -- node -e 'process.stdout.write("exec works")')" = "exec works" ]
  for _ in $(seq 50); do
    sessions=$(as admin audit list --destination "$DESTINATION" --type kube.session.started \
      --type kube.session.ended --format ndjson)
    [ "$(grep -c "\"pod\":\"$pod\"" <<<"$sessions")" -ge 2 ] && break
    sleep 0.3
  done
  POD=$pod node -e '
    const events = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean).map(JSON.parse)
    const ofPod = events.filter((event) => event.details.pod === process.env.POD && event.details.kind === "exec")
    const started = ofPod.find((event) => event.type === "kube.session.started")
    const ended = ofPod.find((event) => event.type === "kube.session.ended")
    if (!started || !ended || started.actor.name !== "alice@example.com" || ended.details.session !== started.id) {
      console.error("the exec session is not in the audit log as it should be:", JSON.stringify(events, null, 1))
      process.exit(1)
    }
    console.log(`recorded: exec into ${process.env.POD} by ${started.actor.name}, ${started.id} → ${ended.id}`)
  ' <<<"$sessions"
  as admin grants remove alice@example.com "$DESTINATION.$NAMESPACE" --role edit
}

upgrade_server() {
  server_install upgrade "$VERSION-upgrade"
  kubectl get pods -n "$NAMESPACE" -l app.kubernetes.io/instance=infra-server \
    -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' | grep -qx "$SERVER_IMAGE_2"
  # The same user, grant and certificate on the new Pod: alice logs in again and kubectl still works.
  as alice login "$SERVER" --key "$ALICE_KEY" --tls-trusted-fingerprint "$FINGERPRINT" --no-agent --non-interactive >/dev/null
  as admin grants list | grep alice@example.com
  kubectl_as alice get pods -n "$NAMESPACE" >/dev/null
}

uninstall() {
  "$HELM" uninstall infra-connector --namespace "$NAMESPACE" --wait >/dev/null
  "$HELM" uninstall infra-server --namespace "$NAMESPACE" --wait >/dev/null
  # helm waits for what it deletes, not for the Pods their ReplicaSets leave terminating: a connector that has
  # just served a load can take some seconds to close its connections and be removed by the kubelet.
  kubectl wait --for=delete pods -n "$NAMESPACE" -l 'app.kubernetes.io/instance in (infra-server,infra-connector)' \
    --timeout=60s >/dev/null 2>&1 || true
  local left
  left=$(kubectl get all,secrets,configmaps,pvc,ingresses,serviceaccounts,roles,rolebindings -n "$NAMESPACE" \
    -l 'app.kubernetes.io/instance in (infra-server,infra-connector)' -o name
    kubectl get clusterroles,clusterrolebindings -l 'app.kubernetes.io/instance in (infra-server,infra-connector)' -o name
    # The bindings the connector made for grants: its ClusterRole owns them, the garbage collector removes them.
    for _ in $(seq 50); do
      kubectl get clusterrolebindings,rolebindings -A -l app.kubernetes.io/managed-by=infra-connector -o name | grep -q . || break
      sleep 0.2
    done
    kubectl get clusterrolebindings,rolebindings -A -l app.kubernetes.io/managed-by=infra-connector -o name
    kubectl get secrets -n "$NAMESPACE" -o name | grep -v '^secret/sh.helm' || true)
  if [ -n "$left" ]; then
    printf 'left behind by helm uninstall:\n%s\n' "$left" >&2
    return 1
  fi
  kubectl delete persistentvolume infra-cluster-test >/dev/null
}

# Two replicas on the bundled Postgres: both serve the same certificate and keys from the chart's Secrets.
replicas() {
  local release=infra-replicas namespace=infra-replicas pod expected key api_version
  provide_volume infra-cluster-test-postgresql
  "$HELM" install "$release" packages/server/helm/infra-server --namespace "$namespace" --create-namespace \
    --set image.repository=localhost/infra-server --set image.tag="$VERSION" --set image.pullPolicy=Never \
    --set replicaCount=2 --set postgresql.enabled=true --set postgresql.persistence.storageClass="$STORAGE_CLASS" \
    --set postgresql.persistence.size=1Gi --wait --timeout 3m >/dev/null
  kubectl get pods -n "$namespace" -o wide
  expected=$(kubectl get secret -n "$namespace" "$release-infra-server-tls" -o jsonpath='{.data.tls\.crt}' |
    base64 -d | openssl x509 -noout -fingerprint -sha256)
  key=$(kubectl get secret -n "$namespace" "$release-infra-server-admin-access-key" -o jsonpath='{.data.access-key}' | base64 -d)
  api_version=$(cd packages/cli && node --input-type=module -e 'import { API_VERSION } from "@infra/api-types"; console.log(API_VERSION)')
  for pod in $(kubectl get pods -n "$namespace" -l app.kubernetes.io/component=server -o jsonpath='{.items[*].status.podIP}'); do
    # Each replica serves the chart's certificate and knows the admin: one database, one set of Secrets.
    [ "$(openssl s_client -connect "$pod:8443" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256)" = "$expected" ]
    curl -fsS --insecure -o /dev/null -H "Authorization: Bearer $key" -H "Infra-Version: $api_version" \
      "https://$pod:8443/api/users"
  done
  "$HELM" uninstall "$release" --namespace "$namespace" --wait >/dev/null
  # The StatefulSet's claim goes with it (persistentVolumeClaimRetentionPolicy), once the controller gets to it.
  for _ in $(seq 100); do kubectl get pvc -n "$namespace" -o name | grep -q . || break; sleep 0.2; done
  local left
  left=$(kubectl get all,secrets,configmaps,pvc -n "$namespace" -o name | grep -v '^configmap/kube-root-ca.crt$' || true)
  if [ -n "$left" ]; then
    printf 'left behind by helm uninstall:\n%s\n' "$left" >&2
    return 1
  fi
  kubectl delete persistentvolume infra-cluster-test-postgresql >/dev/null
}

stop_node() {
  kill "$NODE_PID"
  wait "$NODE_PID" || true
  NODE_PID=
  grep '^node: stopped' "$WORK/node.log"
}

limit_containers "$WORK"
timed "images (reused, or built by .ci/images/run.sh build)" images
timed "node binaries (built once, then cached)" bash packages/test-harness/node/build.sh
timed "node (kubelet, containerd, controller-manager, scheduler, kube-proxy)" start_node
timed "images into the node's containerd" load_images
provide_volume infra-cluster-test
timed "helm install infra-server" install_server
timed "CLI login through the Service" log_in
timed "helm install infra-connector" install_connector
timed "kubectl through the connector" kubectl_through_connector
timed "the connector under proxy load within its default memory limit" connector_memory
timed "kubectl exec into a real container, in the audit log" exec_audited
timed "helm upgrade infra-server to a second build" upgrade_server
timed "helm uninstall" uninstall
timed "two replicas on the bundled Postgres: install, each serving, uninstall" replicas
timed "node teardown" stop_node
step "done in $SECONDS s"
