#!/usr/bin/env bash
# Regenerates the hash-pinned requirements of the Python tools: scripts/python/NAME.txt from
# NAME.in (the tool's own pins, with why), the whole dependency tree pinned and every pin carrying
# the sha256 of each file PyPI serves for it. scripts/python-env.sh installs NAME.txt with
# --require-hashes, so a file that differs from the one pinned here is refused.
#   scripts/python-pins.sh [--upgrade] [NAME...]    every tool, or those named
# Without --upgrade, pins already in NAME.txt are kept where NAME.in still allows them (change a
# .in pin and only what it needs moves); with it, every dependency moves to its newest allowed.
# Resolved for this machine's python3 (3.11): dependencies that depend on the Python version are
# resolved for this one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PIP_TOOLS_VERSION=7.7.0
upgrade=()
if [ "${1:-}" = "--upgrade" ]; then upgrade=(--upgrade); shift; fi
cd "$root/scripts/python"
if [ $# -eq 0 ]; then set -- $(ls *.in | sed 's/\.in$//'); fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# pip-tools in a throwaway venv: it never enters a tool's environment.
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check "pip-tools==$PIP_TOOLS_VERSION"
for name in "$@"; do
  [ -f "$name.in" ] || { echo "python-pins: no scripts/python/$name.in" >&2; exit 2; }
  echo "python-pins: $name.txt" >&2
  # --allow-unsafe: pin (and hash) setuptools and pip too when a tool needs them, or
  # --require-hashes would refuse the install for want of their hashes.
  CUSTOM_COMPILE_COMMAND="scripts/python-pins.sh $name" "$tmp/venv/bin/pip-compile" --quiet \
    --generate-hashes --allow-unsafe --no-strip-extras --no-emit-index-url --no-emit-find-links \
    "${upgrade[@]}" --output-file "$name.txt" "$name.in"
done
