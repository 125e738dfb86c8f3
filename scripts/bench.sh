#!/usr/bin/env bash
# Runs every benchmark (or the one named) against the emulator at $EMULATOR_URL and ends by
# printing one `metric: value` line per figure. Release build: the numbers are for shipped code.
#   benchmarks: lookup ingest alerts reconcile bootstrap
set -euo pipefail
all=(bootstrap lookup ingest alerts reconcile)
if [ "$#" -eq 0 ] || [ -z "${1:-}" ]; then selected=("${all[@]}"); else selected=("$@"); fi
cargo build --release --quiet -p integration-tests --bin bench
bench="$CARGO_TARGET_DIR/release/bench"
out="$(mktemp)"
for b in "${selected[@]}"; do
  echo "bench: $b" >&2
  if [ "$b" = bootstrap ]; then
    # Each function's Lambda binary (release profile: LTO, stripped), as `bootstrap` ships it.
    max=0
    for bin in $("$bench" functions); do
      pkg="$bin"; [ "$bin" = ops ] && pkg=reconcile
      cargo build --release --quiet -p "$pkg" --bin "$bin"
      bytes=$(stat -c %s "$CARGO_TARGET_DIR/release/$bin")
      mb=$(python3 -c "print(f'{$bytes/1048576:.2f}')")
      echo "bootstrap_${bin//-/_}_mb: $mb" | tee -a "$out" >&2
      max=$(python3 -c "print(max($max, $mb))")
    done
    echo "bootstrap_max_mb: $max" | tee -a "$out" >&2
  else
    "$bench" "$b" | tee -a "$out" >&2
  fi
done
echo "---"
cat "$out"
rm -f "$out"
