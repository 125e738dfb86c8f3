#!/usr/bin/env bash
# `make supply-chain`: what the project takes from registries, checked (docs/SUPPLY-CHAIN.md).
#   1. each Python tool's hash-pinned requirements (scripts/python/NAME.txt) still pin what its
#      NAME.in asks for (python-env.sh installs them with --require-hashes)
#   2. cargo deny (deny.toml): licences, bans and sources of the Rust dependency tree
#   3. cargo deny: RustSec advisories, when the advisory database can be fetched or a fetched
#      copy is on this machine
#   4. npm audit of the web app's production dependencies (what ships in web/dist)
# 3 and 4 need services outside the package registries. Where one cannot be reached, the check
# says so and why, and is skipped, never passed; SUPPLY_CHAIN_STRICT=1 makes a skip fail.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
skipped=()

# 1. A pin changed in NAME.in must reach NAME.txt (scripts/python-pins.sh), or the venv keeps
#    the old version. NAME.txt spells package names normalised (lower case, - for . and _).
for in_file in scripts/python/*.in; do
  name="$(basename "$in_file" .in)"
  while read -r pin; do
    pkg="${pin%%[\[=]*}"
    pkg="${pkg,,}"
    want="${pkg//[._]/-}${pin#"${pin%%[\[=]*}"}"
    grep -qxF "$want \\" "scripts/python/$name.txt" || {
      echo "supply-chain: scripts/python/$name.txt does not pin $pin (its .in does): run scripts/python-pins.sh $name" >&2
      exit 1
    }
  done < <(grep -Ev '^[[:space:]]*(#|$)' "$in_file")
done
echo "supply-chain: every Python tool's hashed pins match its .in"

# 2. Licences, bans, sources: from the lockfile and the crates' manifests, no other service.
deny="$(scripts/install-cargo-deny.sh)"
"$deny" deny --locked check licenses bans sources

# 3. Advisories need the RustSec database, which is fetched from GitHub.
db_dir="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
if fetch_out="$("$deny" deny fetch db 2>&1)"; then
  "$deny" deny --offline --locked check advisories
else
  db="$(compgen -G "$db_dir/advisory-db-*/.git" | head -1 || true)"
  why="$(grep -v '^[[:space:]]*$' <<<"$fetch_out" | tail -1)"
  if [ -n "$db" ]; then
    echo "supply-chain: the RustSec advisory database could not be refreshed ($why): checking against the copy fetched earlier, last changed $(git -C "${db%/.git}" log -1 --format=%cs)" >&2
    "$deny" deny --offline --locked check advisories
  else
    skipped+=("cargo deny advisories: the RustSec advisory database cannot be fetched here ($why) and no copy was fetched before")
  fi
fi

# 4. npm's audit service is a POST to the registry. Vulnerabilities of any severity in what
#    ships fail; a registry that answers without an audit service (404, 405, 501) is a skip;
#    anything else (the registry unreachable, an error) fails.
report="$(cd web && npm audit --omit=dev --audit-level=low --json 2>/dev/null)" && status=0 || status=$?
verdict="$(cd web && node -e '
  const r = JSON.parse(process.argv[1] || "{}");
  // What ships: the packages of the lockfile that are not dev-only.
  const lock = JSON.parse(require("fs").readFileSync("package-lock.json", "utf8"));
  const prod = Object.entries(lock.packages).filter(([path, p]) => path && !p.dev).length;
  if (r.auditReportVersion) {
    console.log(`report ${prod} ${r.metadata.vulnerabilities.total}`);
  } else if ([404, 405, 501].includes(r.statusCode)) {
    console.log(`no-service ${r.statusCode} to ${r.method} ${r.uri} (${prod} production package(s) not audited)`);
  } else {
    console.log(`error ${r.message || r.error?.summary || "no answer"}`);
  }' "$report")"
case "$verdict" in
  "report "*)
    read -r _ prod found <<<"$verdict"
    if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
      (cd web && npm audit --omit=dev) >&2 || true
      echo "supply-chain: npm audit: $found vulnerable package(s) among the web app's production dependencies (above)" >&2
      exit 1
    fi
    echo "npm audit: $prod production package(s), no advisory" ;;
  "no-service "*)
    skipped+=("npm audit: the registry here answers the audit service with HTTP ${verdict#no-service }") ;;
  *)
    echo "supply-chain: npm audit failed: ${verdict#error }" >&2
    exit 1 ;;
esac

for s in "${skipped[@]}"; do echo "supply-chain: SKIPPED $s"; done
if [ "${#skipped[@]}" -gt 0 ] && [ "${SUPPLY_CHAIN_STRICT:-0}" = 1 ]; then
  echo "supply-chain: SUPPLY_CHAIN_STRICT=1 and ${#skipped[@]} check(s) could not run" >&2
  exit 1
fi
echo "supply-chain: every check that could run passed${skipped:+ (${#skipped[@]} skipped, above)}"
