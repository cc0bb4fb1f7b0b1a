#!/usr/bin/env bash
# Property-based fuzz of the whole Infra API with schemathesis, driven by the committed OpenAPI document
# (packages/api-types/openapi.json): every operation, authenticated as admin, against a real server on a fresh
# database. Fails on any 5xx, any status code the document does not list, and any response off its schema.
#
#   bash packages/server/fuzz/run.sh
#
# Environment:
#   FUZZ_MAX_EXAMPLES   test cases per operation and phase (default 30)
#   FUZZ_SEED           a seed to replay a run (schemathesis prints the one it used)
#   FUZZ_WORKERS        concurrent schemathesis workers (default 1: hypothesis 6 caches are not thread-safe)
#   TEST_DATABASE_URL   a Postgres to create the fresh database on; without it an embedded Postgres runs
#   FUZZ_REPORT_DIR     where the JUnit report goes (default packages/server/fuzz/schemathesis-report)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
server_dir="$(dirname "$here")"
repo_root="$(cd "$server_dir/../.." && pwd)"
schema="$repo_root/packages/api-types/openapi.json"
report_dir="${FUZZ_REPORT_DIR:-$here/schemathesis-report}"
max_examples="${FUZZ_MAX_EXAMPLES:-30}"
workers="${FUZZ_WORKERS:-1}"
api_version="$(node -e 'console.log(require(process.argv[1]).info.version)' "$schema")"

log() { printf 'fuzz: %s\n' "$*" >&2; }

# 1. schemathesis, pinned, in a venv of its own (reinstalled when requirements.txt changes).
venv="$here/.venv"
stamp="$venv/.requirements.sha256"
wanted="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/schemathesis" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  log "installing schemathesis into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  echo "$wanted" >"$stamp"
fi

# 2. The server, built (a fresh clone has no dist yet; CI builds before this step).
if [ ! -f "$server_dir/dist/index.js" ]; then
  log "building @infra/server and its dependencies"
  (cd "$repo_root" && pnpm --filter '@infra/server...' build)
fi

# 3. A server on a fresh database, until this script exits.
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The server also seeds a few resources and writes a schemathesis config mixing their IDs into requests.
(cd "$here" && FUZZ_CONFIG_FILE="$work/schemathesis.toml" exec node start-server.mjs >"$work/server.out" 2>"$work/server.err") &
server_pid=$!
for _ in $(seq 1 600); do
  [ -s "$work/server.out" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    log "the server did not start:"
    cat "$work/server.err" >&2
    exit 1
  fi
  sleep 0.2
done
if [ ! -s "$work/server.out" ]; then
  log "the server did not start within 120s:"
  cat "$work/server.err" >&2
  exit 1
fi
field() { node -e 'let v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); for (const k of process.argv[2].split(".")) v = v[k]; console.log(Array.isArray(v) ? v.join(" ") : v)' "$work/server.out" "$1"; }
url="$(field url)"
log "server at $url"

checks=not_a_server_error,status_code_conformance,response_schema_conformance
common=(
  --url "$url"
  --checks "$checks"
  --max-examples "$max_examples"
  --workers "$workers"
  --header "Infra-Version: $api_version"
  --request-timeout 30
  --suppress-health-check all
  --output-sanitize true
)
[ -n "${FUZZ_SEED:-}" ] && common+=(--seed "$FUZZ_SEED")
mkdir -p "$report_dir"

# 4. The operations that take IDs, with IDs of resources that exist so that they get past 404; first, before
#    the other runs delete those resources. Each run has an admin key of its own (see start-server.mjs).
status=0
seeded=()
for operation in $(field seededOperations); do seeded+=(--include-operation-id "$operation"); done
log "fuzzing $((${#seeded[@]} / 2)) operations with the IDs of existing resources ($max_examples examples each)"
"$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$schema" "${common[@]}" \
  --header "Authorization: Bearer $(field runKeys.seeded)" \
  "${seeded[@]}" \
  --report junit --report-junit-path "$report_dir/junit-seeded.xml" || status=$?

# 5. Every operation but logout, with generated IDs.
log "fuzzing every operation but logout ($max_examples examples each)"
"$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run "$schema" "${common[@]}" \
  --header "Authorization: Bearer $(field runKeys.main)" \
  --exclude-operation-id logout \
  --report junit --report-junit-path "$report_dir/junit.xml" || status=$?

# 6. Logout revokes the key that calls it, so it goes last.
log "fuzzing logout"
"$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run "$schema" "${common[@]}" \
  --header "Authorization: Bearer $(field runKeys.logout)" \
  --include-operation-id logout \
  --report junit --report-junit-path "$report_dir/junit-logout.xml" || status=$?

# Anything the server logged at error level (an unhandled error is logged with its stack) is worth seeing.
if grep -q '"level":50' "$work/server.err" 2>/dev/null; then
  log "the server logged errors:"
  grep '"level":50' "$work/server.err" | head -20 >&2
  status=${status:-1}
  [ "$status" -eq 0 ] && status=1
fi

if [ "$status" -eq 0 ]; then log "passed"; else log "FAILED (exit $status)"; fi
exit "$status"
