#!/usr/bin/env bash
# `make deploy-rehearsal`: a deploy rehearsed on a real CloudFormation engine, the emulator's.
# Runs inside scripts/with-emulator.sh (a fresh emulator, EMULATOR_URL set):
#   1. scripts/deploy-rehearsal.py translates infra/template.yaml with AWS's own SAM translator
#      (.venv-sam, pinned by scripts/install-sam.sh) and creates the stack; what the stack
#      created is written to .local/deploy-rehearsal/stack.json
#   2. runtime-check --stack checks that stack's wiring against the code, then starts every
#      built bootstrap as Lambda would: the environment, timeout and memory the stack gives its
#      function, against the stack's own table and queues, answering its sample event.
# Usage: scripts/deploy-rehearsal.sh <sam build dir> <runtime-check binary>
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$1"
runtime_check="$2"
stack="$root/.local/deploy-rehearsal/stack.json"
rm -f "$stack"
"$("$root/scripts/install-sam.sh" path)/python3" "$root/scripts/deploy-rehearsal.py" \
  --template "$root/infra/template.yaml" --out "$stack"
"$runtime_check" --build-dir "$build_dir" --stack "$stack"
