#!/usr/bin/env bash
# Ensures .venv-tools/ (git-ignored) holds the pinned third-party checkers `make test` runs:
#   schemathesis  fuzzes the API against infra/openapi.yaml (scripts/fuzz-contract.sh)
#   nhs-number    an independent NHS number implementation (scripts/nhs-oracle.py)
# Idempotent; prints the venv's python.
set -euo pipefail
SCHEMATHESIS_VERSION="4.32.5"
NHS_NUMBER_VERSION="2.2.0"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-tools"
if ! "$venv/bin/python" - "$SCHEMATHESIS_VERSION" "$NHS_NUMBER_VERSION" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
sys.exit(version("schemathesis") != sys.argv[1] or version("nhs-number") != sys.argv[2])
PY
then
  echo "tools: installing schemathesis==$SCHEMATHESIS_VERSION nhs-number==$NHS_NUMBER_VERSION into .venv-tools" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" "nhs-number==$NHS_NUMBER_VERSION"
fi
echo "$venv/bin/python"
