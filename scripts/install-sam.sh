#!/usr/bin/env bash
# Installs the deployment tool chain into a project-local venv, .venv-sam/ (git-ignored), so that
# `sam validate`, `sam build` and `sam deploy` need nothing installed by hand:
#   aws-sam-cli   validates, builds and deploys infra/template.yaml; the aws-sam-translator and
#                 boto3 it pins also run the deploy rehearsal (scripts/deploy-rehearsal.py)
#   cargo-lambda  the builder behind `BuildMethod: rust-cargolambda`
#   ziglang       the linker cargo-lambda cross-compiles with
# Idempotent: a venv that already holds the pinned versions is left alone.
#
# cargo-lambda finds zig by importing the `ziglang` module with the FIRST `python3` on PATH, so
# anything that runs sam must put .venv-sam/bin first on PATH:
#   PATH="$PWD/.venv-sam/bin:$PATH" sam build ...
# `scripts/install-sam.sh path` prints that directory for exactly this use.
set -euo pipefail

SAM_CLI_VERSION="1.170.0"
CARGO_LAMBDA_VERSION="1.9.2"
# cargo-lambda drives zig through cargo-zigbuild; 0.13 is the long-standing known-good release.
ZIGLANG_VERSION="0.13.0"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-sam"

installed() {
  [ -x "$venv/bin/sam" ] && [ -x "$venv/bin/cargo-lambda" ] && [ -x "$venv/bin/python3" ] || return 1
  "$venv/bin/python3" - "$SAM_CLI_VERSION" "$CARGO_LAMBDA_VERSION" "$ZIGLANG_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
wanted = dict(zip(("aws-sam-cli", "cargo-lambda", "ziglang"), sys.argv[1:]))
sys.exit(any(version(name) != v for name, v in wanted.items()))
PY
}

install() {
  if installed; then
    return 0
  fi
  echo "install-sam: installing aws-sam-cli==$SAM_CLI_VERSION cargo-lambda==$CARGO_LAMBDA_VERSION" \
    "ziglang==$ZIGLANG_VERSION into .venv-sam" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "aws-sam-cli==$SAM_CLI_VERSION" \
    "cargo-lambda==$CARGO_LAMBDA_VERSION" \
    "ziglang==$ZIGLANG_VERSION"
  installed || { echo "install-sam: installed versions do not match the pins" >&2; exit 1; }
}

case "${1:-install}" in
  install) install ;;
  path) echo "$venv/bin" ;;
  *)
    echo "usage: $0 [install|path]" >&2
    exit 2
    ;;
esac
