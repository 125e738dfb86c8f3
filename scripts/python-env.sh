#!/usr/bin/env bash
# The one script that makes every Python tool environment: `scripts/python-env.sh NAME` makes
# (or leaves alone) the venv of tool NAME from its pinned requirements, scripts/python/NAME.txt,
# and prints the venv's bin directory. It rebuilds the venv from scratch only when that file
# changed. NAME.txt pins the whole dependency tree with hashes (made from NAME.in by
# scripts/python-pins.sh): pip installs exactly those files or fails.
#   emulator  moto, the DynamoDB + SQS emulator (.venv)
#   tools     schemathesis, nhs-number (.venv-tools)
#   fhir      fhir.resources on pydantic 1 (.venv-fhir)
#   checkov   checkov (.venv-checkov)
#   sam       aws-sam-cli, cargo-lambda, ziglang (.venv-sam)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${1:?usage: scripts/python-env.sh emulator|tools|fhir|checkov|sam}"
[ "$name" != pip ] || { echo "python-env: pip.txt is the pip every tool venv installs with, not a tool" >&2; exit 2; }
requirements="$root/scripts/python/$name.txt"
[ -f "$requirements" ] || { echo "python-env: no scripts/python/$name.txt" >&2; exit 2; }
case "$name" in
  emulator) venv="$root/.venv" ;;
  *) venv="$root/.venv-$name" ;;
esac
pip_requirements="$root/scripts/python/pip.txt"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cat "$pip_requirements" "$requirements" | cmp -s - "$stamp"; then
  echo "python-env: installing $(grep -v '^#' "${requirements%.txt}.in" | tr '\n' ' ')and their pinned dependencies into ${venv#"$root"/}" >&2
  # --clear: nothing left over from older pins. --only-binary: wheels only, so no package's
  # build step runs (pip would fetch a build backend for it without checking any hash).
  python3 -m venv --clear "$venv"
  for r in "$pip_requirements" "$requirements"; do
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --only-binary :all: -r "$r" >&2
  done
  cat "$pip_requirements" "$requirements" >"$stamp"
fi
echo "$venv/bin"
