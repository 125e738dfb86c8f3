#!/usr/bin/env bash
# Runs every benchmark (or the one named) against the emulator at $EMULATOR_URL and ends by
# printing one `metric: value` line per figure. Release build: the numbers are for shipped code.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
all=(lookup ingest alerts reconcile)
selected=("${@:-${all[@]}}")
[ "${#selected[@]}" -eq 0 ] || [ -n "${selected[0]}" ] || selected=("${all[@]}")
cargo build --release --quiet -p integration-tests --bin bench
out="$(mktemp)"
for b in "${selected[@]}"; do
  echo "bench: $b" >&2
  "$CARGO_TARGET_DIR/release/bench" "$b" | tee -a "$out" >&2
done
echo "---"
cat "$out"
rm -f "$out"
