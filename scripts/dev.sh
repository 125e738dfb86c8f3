#!/usr/bin/env bash
# `make dev`: emulator up, resources created, the local stack serving on 127.0.0.1:$1.
# Ctrl-C stops the stack and the emulator it started.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${1:-3000}"
export EMULATOR_PORT="${EMULATOR_PORT:-4566}"
cargo build --quiet -p local-stack
trap '"$root/scripts/emulator.sh" stop' EXIT
"$root/scripts/emulator.sh" start
EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT" PORT="$port" "$CARGO_TARGET_DIR/debug/local-stack"
