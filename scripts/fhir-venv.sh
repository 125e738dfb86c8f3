#!/usr/bin/env bash
# Ensures .venv-fhir/ (git-ignored) holds the independent FHIR R4 implementation `make test`
# validates every FHIR answer with (scripts/fhir-validate.py): PyPI fhir.resources 6.5.0, the
# last release whose models are FHIR R4 (4.0.1), on the pydantic 1 it was built for. A venv of
# its own, so its pydantic never meets the other tools'. Idempotent; prints the venv's python.
set -euo pipefail
FHIR_RESOURCES_VERSION="6.5.0"
PYDANTIC_VERSION="1.10.27"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-fhir"
if ! "$venv/bin/python" - "$FHIR_RESOURCES_VERSION" "$PYDANTIC_VERSION" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
sys.exit(version("fhir.resources") != sys.argv[1] or version("pydantic") != sys.argv[2])
PY
then
  echo "tools: installing fhir.resources==$FHIR_RESOURCES_VERSION into .venv-fhir" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "fhir.resources==$FHIR_RESOURCES_VERSION" "pydantic[email]==$PYDANTIC_VERSION"
fi
echo "$venv/bin/python"
