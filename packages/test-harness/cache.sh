# Sourced by the harness's build scripts: one protocol for builds cached under a key of their inputs.
#
# cache_enter ROOT KEY READY [OUTPUT]: the build lives in ROOT/KEY (cache_dir); it is done when ROOT/KEY/READY
# exists. When it is, prints ROOT/KEY/OUTPUT (the directory itself without OUTPUT) and exits. Otherwise takes the
# directory's lock, so that concurrent callers (parallel jest workers) wait for one build, and checks again.
cache_enter() {
  cache_root=$1 cache_key=$2 cache_dir="$1/$2"
  local ready="$cache_dir/$3" output="$cache_dir${4:+/$4}"
  if [[ -e "$ready" ]]; then
    touch "$cache_dir" 2>/dev/null || true # recently used: see cache_prune
    echo "$output"
    exit 0
  fi
  mkdir -p "$cache_dir"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$cache_dir/.lock"
    flock 9
    if [[ -e "$ready" ]]; then
      echo "$output"
      exit 0
    fi
  fi
}

# Drops the builds of other keys not used for a week (each is hundreds of MB).
cache_prune() {
  find "$cache_root" -mindepth 1 -maxdepth 1 -type d ! -name "$cache_key" -mtime +7 -exec rm -rf {} + 2>/dev/null || true
}
