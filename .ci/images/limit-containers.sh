# Sourced by the scripts that run podman here: `limit_containers DIR` writes DIR/containers.conf and points
# CONTAINERS_CONF at it. root here lacks CAP_SYS_RESOURCE: podman's default nofile/nproc limits exceed the hard
# limits and runc fails ("error setting rlimit"); ask for no more than the hard limits. crun refuses this host's
# hybrid cgroups: runc.
limit_containers() {
  local nproc
  nproc=$(ulimit -Hu)
  [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n[engine]\nruntime = "runc"\n' \
    "$(ulimit -Hn)" "$(ulimit -Hn)" "$nproc" "$nproc" >"$1/containers.conf"
  export CONTAINERS_CONF=$1/containers.conf
}
