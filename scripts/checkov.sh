#!/usr/bin/env bash
# `make template-scan`: checkov (pinned, in .venv-checkov/) on infra/template.yaml. Any failed
# check fails the build, and so does a skip without a reason: every skip in the template carries
# a one-line `comment` saying why the check does not apply.
set -euo pipefail
CHECKOV_VERSION="$(sed -n 's/^checkov==//p' "$(dirname "${BASH_SOURCE[0]}")/python/checkov.in")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-checkov"
template="$root/infra/template.yaml"
"$root/scripts/python-env.sh" checkov >/dev/null
# Every `- id: CKV_...` skip is followed by its `comment: "..."`.
awk '/- id: CKV_/ { id = $3; getline; if ($1 != "comment:" || length($0) < 30) { print "template-scan: skip of " id " has no reason (line " NR ")"; bad = 1 } } END { exit bad }' "$template" >&2
# --skip-download: no network (checkov would fetch its guideline links).
"$venv/bin/checkov" -f "$template" --framework cloudformation --compact --quiet --skip-download
skipped=$(grep -c -- '- id: CKV_' "$template" || true)
echo "template-scan: checkov $CHECKOV_VERSION, 0 failed, $skipped skips each with its reason in the template"
