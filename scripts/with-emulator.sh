#!/usr/bin/env bash
# Runs a command with a fresh emulator on $EMULATOR_PORT, then stops the emulator whatever happens.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export EMULATOR_PORT="${EMULATOR_PORT:-4567}"
"$root/scripts/emulator.sh" stop
trap '"$root/scripts/emulator.sh" stop' EXIT
"$root/scripts/emulator.sh" start
export EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT"
"$@"
