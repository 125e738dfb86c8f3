#!/usr/bin/env bash
# The web app checked like code: ESLint, type checking of the JSDoc-typed modules (tsc --noEmit,
# web/tsconfig.json) and node's own test runner on the pure helpers (web/test/unit). The pinned
# npm packages come from scripts/web-build.sh (make web-assets).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/web"
bin=node_modules/.bin
"$bin/eslint" --max-warnings 0 .
"$bin/tsc" -p tsconfig.json
node --test --test-reporter=dot test/unit/ >&2
echo "web-check: ESLint, tsc and $(ls test/unit/*.test.mjs | wc -l) unit test files pass" >&2
