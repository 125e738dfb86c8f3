#!/usr/bin/env bash
# `make arm64-check` (not part of `make test`: CI machines carry only the x86_64 target): every
# function built for arm64 (Graviton, the template's cheaper Architecture) by cargo-lambda, then
# each bootstrap started under the loopback Runtime API through qemu's user-mode emulator and
# handed its sample event, exactly as `make artefact-check` does for x86_64. Init times under
# emulation are not Graviton's; the point is that the artefacts build and answer.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rustup target add aarch64-unknown-linux-gnu
if ! command -v qemu-aarch64 >/dev/null || [ ! -e /usr/aarch64-linux-gnu/lib/libc.so.6 ]; then
  apt-get install -y --no-install-recommends qemu-user libc6-arm64-cross libgcc-s1-arm64-cross
fi
target="${ARM64_TARGET_DIR:-$CARGO_TARGET_DIR-arm64}"
packages=()
for bin in $(cargo run --quiet -p integration-tests --bin bench -- functions); do
  pkg="$bin"; [ "$bin" = ops ] && pkg=reconcile
  [[ " ${packages[*]} " == *" -p $pkg "* ]] || packages+=(-p "$pkg")
done
# cargo-lambda finds zig through the first python3 on PATH (scripts/install-sam.sh).
CARGO_TARGET_DIR="$target" PATH="$root/.venv-sam/bin:$PATH" \
  cargo lambda build --release --arm64 "${packages[@]}"
wrappers="$(mktemp -d)"
trap 'rm -rf "$wrappers"' EXIT
for bin in $(cargo run --quiet -p integration-tests --bin bench -- functions); do
  boot="$target/lambda/$bin/bootstrap"
  file "$boot" | grep -q 'ARM aarch64' || { echo "arm64-check: $boot is not an arm64 ELF" >&2; exit 1; }
  printf '#!/bin/sh\nexec qemu-aarch64 -L /usr/aarch64-linux-gnu %s "$@"\n' "$boot" > "$wrappers/$bin"
  chmod +x "$wrappers/$bin"
  echo "arm64-check: $bin $(stat -c %s "$boot" | awk '{printf "%.2f MB", $1/1048576}')"
done
cargo build --quiet -p integration-tests --bin runtime-check
"$CARGO_TARGET_DIR/debug/runtime-check" --release-dir "$wrappers"
