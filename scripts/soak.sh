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
started_emulator=""
cleanup() {
  [ -n "$stack_pid" ] && kill "$stack_pid" 2>/dev/null || true
  [ -n "$started_emulator" ] && "$root/scripts/emulator.sh" stop
  rm -rf "$state"
}
trap cleanup EXIT
# Its own emulator: one left answering on the port (another soak) would carry its data and load.
if "$root/scripts/emulator.sh" status; then
  echo "soak: an emulator already answers on :$EMULATOR_PORT; stop it (or set SOAK_EMULATOR_PORT)" >&2
  exit 2
fi
"$root/scripts/emulator.sh" start
started_emulator=1
emulator_pid="$(pgrep -f "moto_server -H 127.0.0.1 -p $EMULATOR_PORT" | tail -1 || true)"
# Reconciliation on a schedule of its own: a step every five minutes (the template's is every 15).
EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT" PORT="$port" CPINDEX_STATE_DIR="$state" \
  RECONCILE_EVERY_S="${SOAK_RECONCILE_EVERY_S:-300}" RUST_LOG=warn \
  "$CARGO_TARGET_DIR/debug/local-stack" >"$state/stack.log" 2>&1 &
stack_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.2
done
echo "soak: ${seconds}s against the local stack on :$port (pid $stack_pid), emulator :$EMULATOR_PORT" >&2
"$CARGO_TARGET_DIR/debug/soak" --api "http://127.0.0.1:$port" --state-dir "$state" \
  --seconds "$seconds" --stack-pid "$stack_pid" ${emulator_pid:+--emulator-pid "$emulator_pid"}
