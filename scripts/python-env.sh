#!/usr/bin/env bash
# The one script that makes every Python tool environment: `scripts/python-env.sh NAME` makes
# (or leaves alone) the venv of tool NAME from its pinned requirements, scripts/python/NAME.txt,
# and prints the venv's bin directory. It reinstalls only when the requirements file changed.
#   emulator  moto, the DynamoDB + SQS emulator (.venv)
#   tools     schemathesis, nhs-number (.venv-tools)
#   fhir      fhir.resources on pydantic 1 (.venv-fhir)
#   checkov   checkov (.venv-checkov)
#   sam       aws-sam-cli, cargo-lambda, ziglang (.venv-sam)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${1:?usage: scripts/python-env.sh emulator|tools|fhir|checkov|sam}"
requirements="$root/scripts/python/$name.txt"
[ -f "$requirements" ] || { echo "python-env: no scripts/python/$name.txt" >&2; exit 2; }
case "$name" in
  emulator) venv="$root/.venv" ;;
  *) venv="$root/.venv-$name" ;;
esac
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$stamp"; then
  echo "python-env: installing $(grep -v '^#' "$requirements" | tr '\n' ' ')into ${venv#"$root"/}" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
  cp "$requirements" "$stamp"
fi
echo "$venv/bin"
