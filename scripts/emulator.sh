#!/usr/bin/env bash
# Installs, starts and stops the local DynamoDB + SQS emulator (moto's server mode).
# Everything lives in the clone: the venv in .venv/, state (pid, log) in .local/.
#   scripts/emulator.sh install   .venv with the pinned moto (scripts/python-env.sh emulator)
#   scripts/emulator.sh start     start on 127.0.0.1:$EMULATOR_PORT and wait until it answers
#   scripts/emulator.sh stop      stop its whole process group (TERM, then KILL after a grace)
#   scripts/emulator.sh status    exit 0 if it answers
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
state="$root/.local"
port="${EMULATOR_PORT:-4566}"
pidfile="$state/emulator-$port.pid"
logfile="$state/emulator-$port.log"
url="http://127.0.0.1:$port"

install() {
  "$root/scripts/python-env.sh" emulator >/dev/null
}

answers() {
  python3 - "$url" <<'PY' 2>/dev/null
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1)
except Exception:
    sys.exit(1)
PY
}

start() {
  install
  mkdir -p "$state"
  if answers; then
    echo "emulator: already answering at $url" >&2
    return 0
  fi
  # setsid gives moto its own process group, so stop can take its forked child with it.
  setsid bash -c "echo \$\$ > '$pidfile'; exec '$venv/bin/moto_server' -H 127.0.0.1 -p '$port'" \
    >"$logfile" 2>&1 </dev/null &
  for _ in $(seq 1 150); do
    if answers; then
      echo "emulator: answering at $url (log: .local/emulator-$port.log)" >&2
      return 0
    fi
    sleep 0.2
  done
  echo "emulator: did not answer at $url within 30 s; see $logfile" >&2
  tail -20 "$logfile" >&2 || true
  stop
  return 1
}

stop() {
  [ -f "$pidfile" ] || return 0
  local pgid
  pgid="$(cat "$pidfile")"
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for _ in $(seq 1 20); do
    kill -0 -- "-$pgid" 2>/dev/null || break
    sleep 0.1
  done
  # A busy moto ignores SIGTERM; its forked child would keep the port.
  kill -KILL -- "-$pgid" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) answers ;;
  url) echo "$url" ;;
  *) echo "usage: $0 install|start|stop|status|url" >&2; exit 2 ;;
esac
