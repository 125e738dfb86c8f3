#!/usr/bin/env bash
# `make dev` as a person uses it, on ports of its own: a second `make dev` on the same port says
# it is already running and leaves the first (and its emulator) answering; a plan, a profile and
# the child key survive Ctrl-C and a restart; `make demo` then leaves that LA's own profile and
# plans alone; `make dev FRESH=1` starts empty.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
port="${DEV_CHECK_PORT:-3079}"
emulator_port="${DEV_CHECK_EMULATOR_PORT:-4579}"
state="$(mktemp -d)"
base="http://127.0.0.1:$port"
child=9990000018

fail() { echo "dev-check: FAILED: $1" >&2; [ -f "$state/dev.log" ] && tail -30 "$state/dev.log" >&2; exit 1; }

start() {
  setsid env CPINDEX_STATE_DIR="$state" FRESH="${1:-}" make --no-print-directory dev \
    PORT="$port" DEV_EMULATOR_PORT="$emulator_port" >"$state/dev.log" 2>&1 &
  dev_pid=$!
  for _ in $(seq 1 120); do
    curl -sf "$base/health" >/dev/null 2>&1 && return 0
    kill -0 "$dev_pid" 2>/dev/null || fail "make dev exited before answering"
    sleep 0.5
  done
  fail "the stack did not come up"
}

# Ctrl-C, as a person would: the stack keeps its data and stops the emulator it started.
stop() {
  [ -n "${dev_pid:-}" ] || return 0
  kill -INT -- "-$dev_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 -- "-$dev_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$dev_pid" 2>/dev/null || true
  wait "$dev_pid" 2>/dev/null || true
  dev_pid=""
}

cleanup() {
  stop
  EMULATOR_PORT="$emulator_port" scripts/emulator.sh stop
  rm -rf "$state"
}
trap cleanup EXIT

token() { CPINDEX_STATE_DIR="$state" make -s token PORT="$port" ROLE="$1" ORG="$2" USER=dev-check; }
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# In `make test`, the workspace build the emulator tests made (one feature set: nothing rebuilt);
# alone, just the local stack.
cargo build --quiet ${LOCAL_STACK_BUILD:--p local-stack}
EMULATOR_PORT="$emulator_port" scripts/emulator.sh stop

# --- a second make dev leaves the first alone -------------------------------------------------
start
second="$(env CPINDEX_STATE_DIR="$state" make --no-print-directory dev PORT="$port" DEV_EMULATOR_PORT="$emulator_port" 2>&1)" \
  || fail "the second make dev failed: $second"
grep -q "make dev is already running (pid [0-9]*, port $port)" <<<"$second" || fail "the second make dev said: $second"
op="$(token operator X26)"
[ "$(status -X PUT "$base/v1/la-profiles/E08000035" -H "authorization: Bearer $op" -H 'content-type: application/json' \
  -d '{"name": "Leeds City Council", "team": "Children'"'"'s Front Door", "emergencyDutyPhone": "0113 535 0600"}')" = 200 ] \
  || fail "the first stack stopped answering after the second make dev"

# --- data kept across a restart -----------------------------------------------------------------
la="$(token local_authority E08000035)"
[ "$(status -X PUT "$base/v1/plans/DEV-CHECK-1" -H "authorization: Bearer $la" -H 'content-type: application/json' \
  -d "{\"nhsNumber\": \"$child\", \"planType\": \"CPP\", \"startDate\": \"2026-01-10\", \"sourceVersion\": 3}")" = 201 ] \
  || fail "the plan was not recorded"
stop
EMULATOR_PORT="$emulator_port" scripts/emulator.sh status && fail "the emulator make dev started outlived it"
start
grep -q "restored [0-9]* items" "$state/dev.log" || fail "the restart did not say what it restored"
plan="$(curl -s "$base/v1/plans/DEV-CHECK-1" -H "authorization: Bearer $(token local_authority E08000035)")"
grep -q '"sourceVersion":3' <<<"$plan" || fail "the plan did not survive the restart: $plan"
ed="$(token unscheduled_care RR801)"
answer="$(curl -s "$base/v1/children/$child" -H "authorization: Bearer $ed")"
grep -q '"hasPlan":true' <<<"$answer" || fail "a lookup after the restart does not find the plan: $answer"
grep -q '"emergencyDutyPhone":"0113 535 0600"' <<<"$answer" || fail "the profile did not survive the restart: $answer"

# --- make demo leaves the LA's own trial data alone ----------------------------------------------
demo="$(CPINDEX_STATE_DIR="$state" make -s demo PORT="$port" 2>&1)" || fail "make demo failed: $demo"
grep -q "E08000035 already has a profile the demo did not write (Leeds City Council): kept" <<<"$demo" \
  || fail "make demo did not say it kept Leeds' profile: $demo"
profile="$(curl -s "$base/v1/la-profiles/E08000035" -H "authorization: Bearer $op")"
grep -q '"webhook"' <<<"$profile" && fail "make demo replaced Leeds' own profile: $profile"
run="$(curl -s -X POST "$base/v1/reconciliation-runs" -H "authorization: Bearer $op" -H 'content-type: application/json' -d '{}')"
grep -q '"complete":true' <<<"$run" || fail "the reconciliation step did not complete: $run"
report="$(curl -s "$base/v1/reconciliation-reports/latest" -H "authorization: Bearer $(token local_authority E08000035)")"
grep -q '"extract":null\|"notInExtract":{"total":0' <<<"$report" \
  || fail "after make demo, Leeds' own plan reads as missing from an extract: $report"
stop

# --- FRESH=1 starts empty ---------------------------------------------------------------------
start 1
grep -q "starting empty" "$state/dev.log" || fail "FRESH=1 did not say it starts empty"
[ "$(status "$base/v1/plans/DEV-CHECK-1" -H "authorization: Bearer $(token local_authority E08000035)")" = 404 ] \
  || fail "FRESH=1 still holds the plan"
stop
echo "dev-check: 4 passed, 0 failed"
