#!/usr/bin/env bash
# `make fuzz-contract`: schemathesis (pinned, in .venv-tools/) against infra/openapi.yaml
# on a fresh local stack and emulator of its own, once per role, time-bounded; any finding fails.
#   FUZZ_SECONDS_PER_ROLE (default 30)   time budget per role
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
port="${FUZZ_PORT:-3078}"
export EMULATOR_PORT="${FUZZ_EMULATOR_PORT:-4569}"
state="$(mktemp -d)"

python="$(scripts/python-env.sh tools)/python"

cleanup() {
  if [ -n "${stack_pid:-}" ]; then
    kill -TERM -- "-$stack_pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 -- "-$stack_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$stack_pid" 2>/dev/null || true
  fi
  scripts/emulator.sh stop
  rm -rf "$state"
}
trap cleanup EXIT

# In `make test`, the workspace build the emulator tests made (one feature set: nothing rebuilt);
# alone, just the local stack.
cargo build --quiet ${LOCAL_STACK_BUILD:--p local-stack}
stack="$CARGO_TARGET_DIR/debug/local-stack"
scripts/emulator.sh stop
scripts/emulator.sh start
setsid env EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT" PORT="$port" CPINDEX_STATE_DIR="$state" \
  RUST_LOG=info "$stack" >"$state/stack.log" 2>&1 &
stack_pid=$!
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/health" >/dev/null || { echo "fuzz: the stack did not come up" >&2; cat "$state/stack.log" >&2; exit 1; }

# The LA the fuzzer acts as has a profile, as an LA that records plans must.
op="$(env CPINDEX_STATE_DIR="$state" "$stack" token --api "http://127.0.0.1:$port" --role operator --org X26 --user fuzz-setup)"
curl -sf -X PUT "http://127.0.0.1:$port/v1/la-profiles/E08000035" -H "authorization: Bearer $op" \
  -H 'content-type: application/json' \
  -d '{"name": "Leeds City Council", "team": "Children'"'"'s Front Door", "emergencyDutyPhone": "0113 535 0600"}' >/dev/null \
  || { echo "fuzz: could not set up the LA's profile" >&2; exit 1; }

mkdir -p .local/schemathesis
"$python" scripts/fuzz-contract.py --url "http://127.0.0.1:$port" \
  --token-cmd "env CPINDEX_STATE_DIR=$state $stack token --api http://127.0.0.1:$port" \
  --seconds-per-role "${FUZZ_SECONDS_PER_ROLE:-30}" --report-dir .local/schemathesis
# Thousands of generated requests went through the stack: its log holds no NHS number in clear.
mkdir -p .local/fuzz-logs && cp "$state/stack.log" .local/fuzz-logs/stack.log
"$python" scripts/scan-logs.py .local/fuzz-logs
