#!/usr/bin/env bash
# `make soak`: a fresh emulator and local stack on ports of their own, a mixed bounded load for
# SOAK_SECONDS (default 600), then the counts (`metric: value`). Exits non-zero if a target
# fails (a 5xx other than 503, an alert lost or doubled, a plan missing, memory growing).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${SOAK_SECONDS:-600}"
port="${SOAK_PORT:-3090}"
export EMULATOR_PORT="${SOAK_EMULATOR_PORT:-4590}"
state="$(mktemp -d)"
cargo build --quiet -p local-stack -p integration-tests --bin local-stack --bin soak
stack_pid=""
cleanup() {
  [ -n "$stack_pid" ] && kill "$stack_pid" 2>/dev/null || true
  "$root/scripts/emulator.sh" stop
  rm -rf "$state"
}
trap cleanup EXIT
"$root/scripts/emulator.sh" start
emulator_pid="$(pgrep -g "$(cat "$root/.local/emulator-$EMULATOR_PORT.pid")" -f moto_server | tail -1 || true)"
# Reconciliation on a schedule of its own, a step a minute (as the template's is, scaled).
EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT" PORT="$port" CPINDEX_STATE_DIR="$state" \
  RECONCILE_EVERY_S="${SOAK_RECONCILE_EVERY_S:-60}" RUST_LOG=warn \
  "$CARGO_TARGET_DIR/debug/local-stack" >"$state/stack.log" 2>&1 &
stack_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.2
done
echo "soak: ${seconds}s against the local stack on :$port (pid $stack_pid), emulator :$EMULATOR_PORT" >&2
"$CARGO_TARGET_DIR/debug/soak" --api "http://127.0.0.1:$port" --state-dir "$state" \
  --seconds "$seconds" --stack-pid "$stack_pid" ${emulator_pid:+--emulator-pid "$emulator_pid"}
