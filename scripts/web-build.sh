#!/usr/bin/env bash
# Builds the web app into web/dist (embedded by functions/web when it compiles): installs the
# pinned npm packages (web/package-lock.json) on first use or when the lock changes, then
# compiles NHS.UK frontend's styles and copies the assets. No browser is downloaded here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/web"
command -v npm >/dev/null || { echo "web: npm (Node 20) is required" >&2; exit 1; }
stamp="node_modules/.lock-stamp"
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "web: installing the pinned npm packages" >&2
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2
  cp package-lock.json "$stamp"
fi
# Rebuilt only when a source changed, so cargo does not re-embed an unchanged app.
if [ ! -f dist/index.html ] || [ -n "$(find src build.mjs package-lock.json -newer dist/index.html -print -quit)" ]; then
  node build.mjs >&2
fi
