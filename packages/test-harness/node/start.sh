#!/usr/bin/env bash
# Usage: start.sh WORKDIR
# A real one-node Kubernetes cluster around the test harness's kube-apiserver: containerd (CRI), kubelet,
# kube-controller-manager, kube-scheduler and kube-proxy (iptables), pods on a bridge (cni0, 10.244.0.0/24).
# Prints "ready" once the node is Ready; WORKDIR then holds admin.kubeconfig (cluster-admin) and
# containerd.sock (for `ctr -n k8s.io images import`; containerd keeps images between runs). Runs until SIGTERM/SIGINT, then tears everything down:
# its processes by PID, the pods' containers, mounts, network namespaces, cni0, kube-proxy's rules.
# Needs root (it installs containerd, runc and the CNI plugins with apt-get when they are missing). One node per
# machine (fixed kubelet ports, cni0, node name = host name): a second run waits for the first to finish.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 WORKDIR" >&2
  exit 2
fi
if [[ "$(id -u)" != 0 ]]; then
  echo "node/start.sh: needs root (containerd, kubelet, iptables)" >&2
  exit 1
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mkdir -p "$1" && cd "$1" && pwd)"
pod_cidr=10.244.0.0/24
node_name="$(hostname | tr '[:upper:]' '[:lower:]')"
# Short: a unix socket path must fit in 108 bytes.
run_dir=/run/infra-node
# containerd's content and images outlive a run: loading the same image again costs nothing, and removing
# hundreds of MB of layers at every teardown would cost more than the rest of it.
containerd_root="${INFRA_NODE_CONTAINERD_ROOT:-/var/lib/infra-node/containerd}"
log() { printf 'node: %s\n' "$*" >&2; }

exec 8>/run/lock/infra-node.lock
if ! flock -n 8; then
  log "another node runs on this machine; waiting for it to stop"
  flock 8
fi

if ! command -v containerd >/dev/null || ! command -v runc >/dev/null || [[ ! -x /usr/lib/cni/bridge ]]; then
  log "installing containerd, runc and the CNI plugins"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    containerd runc containernetworking-plugins iptables iproute2 >/dev/null
fi
bin="$(bash "$here/build.sh")"

pids=()
# Started without the lock's descriptor, so that the lock goes with this script.
daemon() { # name command...
  "${@:2}" >"$work/$1.log" 2>&1 8>&- &
  pids+=($!)
}

apiserver_dnat=()
teardown() {
  local started=$SECONDS
  trap - EXIT INT TERM
  # The pods' containers first, while containerd can still stop them (and their shims with them).
  if [[ -S "$run_dir/containerd.sock" ]]; then
    local ctr=(ctr --address "$run_dir/containerd.sock" -n k8s.io)
    for task in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true; done
    for task in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks delete -f "$task" >/dev/null 2>&1 || true; done
    for container in $("${ctr[@]}" containers ls -q 2>/dev/null); do "${ctr[@]}" containers delete "$container" >/dev/null 2>&1 || true; done
  fi
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Deepest first: volumes inside pods' directories, then containerd's snapshots and the sandboxes' /dev/shm.
  grep -oE " ($work|$run_dir|$containerd_root)/[^ ]*" /proc/self/mounts | sort -r | while read -r mount; do
    umount -l "$mount" 2>/dev/null || true
  done
  for netns in $(ip netns list 2>/dev/null | awk '$1 ~ /^cni-/ { print $1 }'); do ip netns delete "$netns" 2>/dev/null || true; done
  ip link delete cni0 2>/dev/null || true
  [[ -z "$bin" ]] || "$bin/kube-proxy" --cleanup >/dev/null 2>&1 || true
  if [[ ${#apiserver_dnat[@]} -gt 0 ]]; then
    iptables -t nat -D OUTPUT "${apiserver_dnat[@]}" 2>/dev/null || true
    iptables -t nat -D PREROUTING "${apiserver_dnat[@]}" 2>/dev/null || true
  fi
  iptables -t nat -D POSTROUTING -s "$pod_cidr" ! -o cni0 -j MASQUERADE 2>/dev/null || true
  rm -rf "$run_dir" "$work/kubelet"
  log "stopped in $((SECONDS - started)) s"
}
trap teardown EXIT
trap 'exit 0' INT TERM

mkdir -p "$run_dir" "$work/cni/net.d" "$work/cni/ipam"
started=$SECONDS

# The harness's API server stops with this script (it dies with its parent).
daemon apiserver bash "$here/../kube/start.sh" "$work/kube"
for _ in $(seq 1200); do grep -q '^ready' "$work/apiserver.log" && break; sleep 0.1; done
grep -q '^ready' "$work/apiserver.log" || { cat "$work/apiserver.log" >&2; log "the API server did not start"; exit 1; }
kubeconfig="$work/kube/admin.kubeconfig"
cp "$kubeconfig" "$work/admin.kubeconfig"
node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).ca)' \
  "$work/kube/cluster.json" >"$work/ca.crt"
apiserver_port="$(node -e 'console.log(new URL(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).server).port)' "$work/kube/cluster.json")"

# Pods reach the API server at the kubernetes Service (10.0.0.1:443); the harness listens on loopback only.
sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.ip_forward=1
apiserver_dnat=(-d 10.0.0.1/32 -p tcp --dport 443 -j DNAT --to-destination "127.0.0.1:$apiserver_port")
iptables -t nat -I OUTPUT "${apiserver_dnat[@]}"
iptables -t nat -I PREROUTING "${apiserver_dnat[@]}"
# Replies from the loopback listener must go back through the bridge: masquerade pods' traffic leaving it.
iptables -t nat -I POSTROUTING -s "$pod_cidr" ! -o cni0 -j MASQUERADE

pause_tag="$(cat "$bin/pause.tag")"
cat >"$work/containerd.toml" <<EOF
version = 2
root = "$containerd_root"
state = "$run_dir/containerd"
[grpc]
  address = "$run_dir/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:$pause_tag"
  # root lacks CAP_SYS_RESOURCE here: runc cannot give sandboxes the oom_score_adj of -998.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$work/cni/net.d"
EOF
cat >"$work/cni/net.d/10-infra-node.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "infra-node",
  "plugins": [
    { "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$work/cni/ipam", "ranges": [[{ "subnet": "$pod_cidr" }]],
                "routes": [{ "dst": "0.0.0.0/0" }] } },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "loopback" }
  ]
}
EOF
daemon containerd containerd --config "$work/containerd.toml"
for _ in $(seq 100); do [[ -S "$run_dir/containerd.sock" ]] && break; sleep 0.1; done
ctr=(ctr --address "$run_dir/containerd.sock" -n k8s.io)

# The sandbox image cannot be pulled: make it from the pause binary, as a docker-archive (one layer, FROM scratch).
pause_dir="$work/pause-image"
mkdir -p "$pause_dir/rootfs"
cp "$bin/pause" "$pause_dir/rootfs/pause"
tar -C "$pause_dir/rootfs" --owner=0 --group=0 -cf "$pause_dir/layer.tar" pause
layer_digest="$(sha256sum "$pause_dir/layer.tar" | cut -d' ' -f1)"
printf '{"architecture":"%s","os":"linux","config":{"Entrypoint":["/pause"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$(go env GOARCH)" "$layer_digest" >"$pause_dir/config.json"
printf '[{"Config":"config.json","RepoTags":["registry.k8s.io/pause:%s"],"Layers":["layer.tar"]}]' "$pause_tag" \
  >"$pause_dir/manifest.json"
tar -C "$pause_dir" -cf "$pause_dir/image.tar" manifest.json config.json layer.tar
"${ctr[@]}" images import "$pause_dir/image.tar" >/dev/null

cat >"$work/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
authentication:
  anonymous: { enabled: true }
  webhook: { enabled: false }
authorization: { mode: AlwaysAllow }
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
containerRuntimeEndpoint: unix://$run_dir/containerd.sock
podCIDR: $pod_cidr
resolvConf: /etc/resolv.conf
serializeImagePulls: false
# A test machine's disk may be fuller than a cluster's: never evict the test's pods for it.
evictionHard: { memory.available: 1Mi, nodefs.available: 1%, imagefs.available: 1% }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
daemon kubelet "$bin/kubelet" --config "$work/kubelet.yaml" --kubeconfig "$kubeconfig" \
  --root-dir "$work/kubelet" --cert-dir "$work/kubelet/pki" --hostname-override "$node_name"
# The controllers the harness runs itself (aggregation, namespaces, service accounts) stay off; no token
# controller (the harness gives no private key file: pods get projected tokens from the kubelet).
daemon controller-manager "$bin/kube-controller-manager" --kubeconfig "$kubeconfig" --leader-elect=false \
  --bind-address 127.0.0.1 --secure-port 0 --root-ca-file "$work/ca.crt" --use-service-account-credentials=false \
  --controllers '*,-clusterrole-aggregation,-namespace,-serviceaccount,-serviceaccount-token,-nodeipam'
daemon scheduler "$bin/kube-scheduler" --kubeconfig "$kubeconfig" --leader-elect=false \
  --bind-address 127.0.0.1 --secure-port 0
daemon kube-proxy "$bin/kube-proxy" --kubeconfig "$kubeconfig" --hostname-override "$node_name" \
  --cluster-cidr "$pod_cidr" --proxy-mode iptables --oom-score-adj=0 --conntrack-max-per-core=0 \
  --healthz-bind-address 127.0.0.1:10256 --metrics-bind-address 127.0.0.1:10249

for _ in $(seq 600); do
  kubectl --kubeconfig "$kubeconfig" wait --for=condition=Ready "node/$node_name" --timeout=1s >/dev/null 2>&1 && break
  sleep 0.2
done
if ! kubectl --kubeconfig "$kubeconfig" wait --for=condition=Ready "node/$node_name" --timeout=1s >/dev/null 2>&1; then
  tail -n 30 "$work/kubelet.log" >&2
  log "the node did not become Ready"
  exit 1
fi
ln -sf "$run_dir/containerd.sock" "$work/containerd.sock"
log "node $node_name Ready in $((SECONDS - started)) s (logs in $work)"
echo ready
parent=$PPID
while true; do
  # Like the API server, the node goes with the process that started it.
  kill -0 "$parent" 2>/dev/null || exit 0
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "a node process ($pid) exited; see the logs in $work"
      exit 1
    fi
  done
  sleep 1 &
  wait $! || true
done
