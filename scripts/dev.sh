#!/usr/bin/env bash
# `make dev`: emulator up, resources created, the local stack serving on 127.0.0.1:$1, its data
# loaded from (and kept in) $CPINDEX_STATE_DIR/data (FRESH=1 starts empty).
# Ctrl-C stops the stack, and the emulator if this run started it. A second `make dev` on the
# same port says so and leaves the first (and its emulator) alone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${1:-3000}"
export EMULATOR_PORT="${EMULATOR_PORT:-4566}"
mkdir -p "$root/.local"
pidfile="$root/.local/dev-$port.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "make dev is already running (pid $(cat "$pidfile"), port $port): use http://127.0.0.1:$port/, or stop it (Ctrl-C in its terminal) first" >&2
  exit 0
fi
# In `make test`, the workspace build the emulator tests made (one feature set: nothing rebuilt);
# alone, just the local stack.
cargo build --quiet ${LOCAL_STACK_BUILD:--p local-stack}
# Only an emulator this run started is stopped when it ends.
owned=0
"$root/scripts/emulator.sh" status || owned=1
echo $$ >"$pidfile"
cleanup() {
  rm -f "$pidfile"
  if [ "$owned" = 1 ]; then "$root/scripts/emulator.sh" stop; fi
}
trap cleanup EXIT
"$root/scripts/emulator.sh" start
EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT" PORT="$port" CPINDEX_START_EMPTY="${FRESH:-}" \
  "$CARGO_TARGET_DIR/debug/local-stack"
