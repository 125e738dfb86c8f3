#!/usr/bin/env bash
# Installs the deployment tool chain into a project-local venv, .venv-sam/ (git-ignored), so that
# `sam validate`, `sam build` and `sam deploy` need nothing installed by hand:
#   aws-sam-cli   validates, builds and deploys infra/template.yaml; the aws-sam-translator and
#                 boto3 it pins also run the deploy rehearsal (scripts/deploy-rehearsal.py)
#   cargo-lambda  the builder behind `BuildMethod: rust-cargolambda`
#   ziglang       the linker cargo-lambda cross-compiles with
# Pinned in scripts/python/sam.txt and made by scripts/python-env.sh (idempotent).
#
# cargo-lambda finds zig by importing the `ziglang` module with the FIRST `python3` on PATH, so
# anything that runs sam must put .venv-sam/bin first on PATH:
#   PATH="$PWD/.venv-sam/bin:$PATH" sam build ...
# `scripts/install-sam.sh path` prints that directory for exactly this use.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-install}" in
  install) "$root/scripts/python-env.sh" sam >/dev/null ;;
  path) "$root/scripts/python-env.sh" sam ;;
  *)
    echo "usage: $0 [install|path]" >&2
    exit 2
    ;;
esac
