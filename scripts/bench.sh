#!/usr/bin/env bash
# Runs every benchmark (or the one named) against the emulator at $EMULATOR_URL and ends by
# printing one `metric: value` line per figure. Release build: the numbers are for shipped code.
#   benchmarks: lookup ingest alerts reconcile cost bootstrap coldstart
set -euo pipefail
all=(bootstrap coldstart lookup ingest alerts reconcile cost)
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
  elif [ "$b" = coldstart ]; then
    # Every function's release binary and an empty lambda_runtime function, same profile, same
    # run: each started 15 times as a fresh process under a loopback Runtime API.
    for bin in $("$bench" functions); do
      pkg="$bin"; [ "$bin" = ops ] && pkg=reconcile
      cargo build --release --quiet -p "$pkg" --bin "$bin"
    done
    cargo build --release --quiet -p integration-tests --bin empty-lambda --bin runtime-check
    "$CARGO_TARGET_DIR/release/runtime-check" --release-dir "$CARGO_TARGET_DIR/release" --starts 15 \
      --baseline "$CARGO_TARGET_DIR/release/empty-lambda" \
      | tee /dev/stderr | grep -E '^[a-z_]+: ' | grep -v -e '^bootstrap_max_mb: ' -e '^artefacts: ' >> "$out"
  else
    "$bench" "$b" | tee -a "$out" >&2
  fi
done
echo "---"
cat "$out"
rm -f "$out"
