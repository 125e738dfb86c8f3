#!/usr/bin/env bash
# Runs the README's walkthrough verbatim against a fresh local stack and checks what it prints:
# an LA uploads, an emergency department looks up, the LA receives the alert (in its inbox).
# The stack runs on $WALKTHROUGH_PORT (default 3000; the README's URLs are rewritten to it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
port="${WALKTHROUGH_PORT:-3000}"
emulator_port="${WALKTHROUGH_EMULATOR_PORT:-4568}"
state="$(mktemp -d)"
log="$state/dev.log"

script="$(awk '/<!-- walkthrough/{on=1; next} /<!-- \/walkthrough -->/{on=0} on' README.md |
  awk '/^```sh$/{inb=1; next} /^```$/{inb=0; next} inb' | sed "s#127.0.0.1:3000#127.0.0.1:$port#g")"
[ -n "$script" ] || { echo "walkthrough: no shell blocks found in README.md" >&2; exit 1; }

cleanup() {
  if [ -n "${dev_pid:-}" ]; then
    # Ctrl-C, as a person would; the stack then stops the emulator it started.
    kill -INT -- "-$dev_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$dev_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$dev_pid" 2>/dev/null || true
    wait "$dev_pid" 2>/dev/null || true
  fi
  EMULATOR_PORT="$emulator_port" scripts/emulator.sh stop
  rm -rf "$state"
}
trap cleanup EXIT

# In `make test`, the workspace build the emulator tests made (one feature set: nothing rebuilt);
# alone, just the local stack.
cargo build --quiet ${LOCAL_STACK_BUILD:--p local-stack}
EMULATOR_PORT="$emulator_port" scripts/emulator.sh stop
setsid env CPINDEX_STATE_DIR="$state" make --no-print-directory dev PORT="$port" DEV_EMULATOR_PORT="$emulator_port" >"$log" 2>&1 &
dev_pid=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 1
done
curl -sf "http://127.0.0.1:$port/health" >/dev/null || { echo "walkthrough: the stack did not come up" >&2; cat "$log" >&2; exit 1; }

# Tokens must be signed with the stack's keys for its issuers: point `make token` at the same
# state dir and port.
out="$(CPINDEX_STATE_DIR="$state" PORT="$port" bash -euo pipefail -c "$script")"
echo "$out"
fail() { echo "walkthrough: FAILED: $1" >&2; exit 1; }
grep -q '"outcome":"created"' <<<"$out" || fail "the LA's upload was not created"
grep -q '"hasPlan":true' <<<"$out" || fail "the lookup did not show the plan"
grep -q '"emergencyDutyPhone":"0113 535 0600"' <<<"$out" || fail "the lookup did not show the emergency-duty phone"
# The alert reaches Leeds' inbox within seconds (fan-out and delivery run in the stack).
LA_TOKEN="$(CPINDEX_STATE_DIR="$state" make -s token PORT="$port" ROLE=local_authority ORG=E08000035 USER=sw-1)"
for _ in $(seq 1 20); do
  inbox="$(curl -s "http://127.0.0.1:$port/v1/notifications" -H "authorization: Bearer $LA_TOKEN")"
  grep -q '"status":"inbox"' <<<"$inbox" && break
  sleep 0.5
done
grep -q '"status":"inbox"' <<<"$inbox" || fail "the alert did not reach Leeds' inbox: $inbox"
echo "walkthrough: 1 passed, 0 failed"
