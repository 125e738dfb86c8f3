#!/usr/bin/env bash
# `make test`: runs each stage (a make target) in order, stops at the first failure, and ends with
# every stage's time. The Python tool environments install in the background meanwhile (they wait
# on the network, the first stages on the CPU); a stage that needs one waits for it.
set -euo pipefail
# The stages that run the local stack build it with the same package selection as the emulator
# tests, so cargo unifies the same features and reuses that build instead of compiling the
# local stack's dependencies again with fewer features.
export LOCAL_STACK_BUILD="--workspace --all-targets"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p .local
log=".local/tool-installs.log"
(
  for tool in emulator tools fhir checkov sam; do
    scripts/python-env.sh "$tool" >/dev/null
  done
) >"$log" 2>&1 &
installs=$!
# Stages that need none of the tool environments, run before waiting for them.
no_tools=" check supply-chain web-check "
names=() secs=()
# The release build of the Lambda binaries (sam-build's first step), started early at the lowest
# priority when sam-check is a stage, and waited for before the first stage that needs it.
prebuild=""
needs_binaries=" sam-check sam-build deploy-rehearsal artefact-check "
summary() {
  local total=0 i
  echo
  echo "make test: time by stage"
  for i in "${!names[@]}"; do
    printf '  %-16s %5ss\n' "${names[$i]}" "${secs[$i]}"
    total=$((total + secs[i]))
  done
  printf '  %-16s %5ss (%dm %02ds)\n' "total" "$total" $((total / 60)) $((total % 60))
}
stop_prebuild() {
  if [ -n "$prebuild" ]; then
    kill -- "-$prebuild" 2>/dev/null || true
  fi
}
trap 'stop_prebuild; summary' EXIT
waited=""
for stage in "$@"; do
  if [ -z "$waited" ] && [[ "$no_tools" != *" $stage "* ]]; then
    start=$(date +%s)
    wait "$installs" || { echo "test: installing the tool environments failed:" >&2; tail -20 "$log" >&2; exit 1; }
    waited=1
    names+=("(tool installs)") secs+=($(( $(date +%s) - start )))
    if [[ " $* " == *" sam-check "* ]]; then
      # Its own session (setsid), so that a failing run can stop all of it. The kernel schedules
      # each session as a group (autogroup) and weighs groups equally whatever their processes'
      # nice value, so the group itself is made the lowest priority too: otherwise the build takes
      # half the machine from the stages it should only fill in behind.
      setsid bash -c 'echo 19 >/proc/self/autogroup 2>/dev/null; exec nice -n 19 make --no-print-directory sam-prebuild' \
        >.local/sam-prebuild.log 2>&1 &
      prebuild=$!
    fi
  fi
  if [ -n "$prebuild" ] && [[ "$needs_binaries" == *" $stage "* ]]; then
    start=$(date +%s)
    # A failed early build is not the verdict: the stage builds again and says why.
    wait "$prebuild" || echo "test: the early release build failed (.local/sam-prebuild.log); $stage builds again" >&2
    prebuild=""
    names+=("(release build)") secs+=($(( $(date +%s) - start )))
  fi
  start=$(date +%s)
  status=0
  make --no-print-directory "$stage" || status=$?
  names+=("$stage") secs+=($(( $(date +%s) - start )))
  if [ "$status" -ne 0 ]; then
    echo "test: stage $stage failed" >&2
    exit "$status"
  fi
done
