#!/usr/bin/env bash
# Installs cargo-deny, pinned, on first use and prints the path of its binary. It is built from
# crates.io into ~/.cache/cpindex/tools (outside the clone: CI's fresh clones and `make clean`
# keep it, and building it takes minutes), in a folder named for its version, so that a new pin
# installs beside, never over, an older one or a developer's own ~/.cargo/bin/cargo-deny.
set -euo pipefail
CARGO_DENY_VERSION=0.20.2
root="$HOME/.cache/cpindex/tools/cargo-deny-$CARGO_DENY_VERSION"
bin="$root/bin/cargo-deny"
if [ ! -x "$bin" ]; then
  echo "supply-chain: installing cargo-deny $CARGO_DENY_VERSION into ${root/#$HOME/\~} (once per machine)" >&2
  # --locked: the dependency versions its release was tested with. Without CARGO_TARGET_DIR
  # (the Makefile exports the project's build cache): cargo install then builds in a
  # throwaway folder instead of leaving cargo-deny's dependencies in the project's cache.
  env -u CARGO_TARGET_DIR cargo install --quiet --locked --root "$root" "cargo-deny@$CARGO_DENY_VERSION" >&2
fi
echo "$bin"
