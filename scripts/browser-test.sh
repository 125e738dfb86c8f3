#!/usr/bin/env bash
# The web app in headless Chromium (Debian's, installed here if missing) against a fresh local
# stack on ports of its own, with @playwright/test (web/playwright.config.mjs): a trace of every
# failed test in web/test-results. SCREENSHOTS=docs/screenshots keeps an image of every page and
# state.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${BROWSER_PORT:-3078}"
export EMULATOR_PORT="${BROWSER_EMULATOR_PORT:-4578}"
# Debian's chromium, and Liberation fonts (metric-compatible with the Arial NHS.UK falls back to).
if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi liberation; then
  echo "browser: installing Debian's chromium and fonts-liberation" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq chromium fonts-liberation >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq chromium fonts-liberation >/dev/null; }
fi
"$root/scripts/web-build.sh"
# In `make test`, the workspace build the emulator tests made (one feature set: nothing rebuilt);
# alone, just the local stack.
cargo build --quiet ${LOCAL_STACK_BUILD:--p local-stack}
state="$(mktemp -d)"
stack_pid=""
cleanup() {
  [ -n "$stack_pid" ] && kill "$stack_pid" 2>/dev/null || true
  "$root/scripts/emulator.sh" stop
  rm -rf "$state"
}
trap cleanup EXIT
"$root/scripts/emulator.sh" start
EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT" PORT="$port" CPINDEX_STATE_DIR="$state" \
  RECONCILE_EVERY_S=3600 "$CARGO_TARGET_DIR/debug/local-stack" >"$state/stack.log" 2>&1 &
stack_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.2
done
# The stack must serve this checkout's app: CARGO_TARGET_DIR may be shared with other checkouts,
# whose builds embed their own web/dist into the same binary.
(cd "$root/web/dist" && find . -type f | while read -r f; do
  curl -sf "http://127.0.0.1:$port/app/${f#./}" | cmp -s - "$f" \
    || { echo "browser: the local stack does not serve web/dist/${f#./} as built (another checkout's build?): run again" >&2; exit 1; }
done)
BASE_URL="http://127.0.0.1:$port" CHROMIUM="$(command -v chromium)" \
  STOP_STORE="EMULATOR_PORT=$EMULATOR_PORT $root/scripts/emulator.sh stop" \
  SCREENSHOTS="${SCREENSHOTS:+$(cd "$root" && mkdir -p "$SCREENSHOTS" && cd "$SCREENSHOTS" && pwd)}" \
  "$root/web/node_modules/.bin/playwright" test --config "$root/web/playwright.config.mjs" \
  || { echo "browser: failed (traces: web/test-results/*/trace.zip, npx playwright show-trace <file>); the stack's log:" >&2
       tail -30 "$state/stack.log" >&2; exit 1; }
