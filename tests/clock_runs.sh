#!/usr/bin/env bash
# `make clock`: the date-sensitive tests at each moment given (MOMENT or MOMENT@ZONE: the
# budget in ZONE too), two moments at a time, each with its own pytest base temp; each moment's
# output is printed whole once it ends. Fails when any moment fails.
# Usage: tests/clock_runs.sh "MOMENT..." TEST_PATH...
set -uo pipefail
moments=$1
shift
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
run() {
  local at=$1 moment=${1%@*} zone=
  [ "$at" != "$moment" ] && zone=${at#*@}
  shift
  if "${RUN[@]}" pytest -q -p no:cacheprovider --basetemp "$logs/$moment.tmp" --at "$moment" \
    ${zone:+--budget-timezone "$zone"} "$@" >"$logs/$moment.log" 2>&1; then
    echo ok >"$logs/$moment.ok"
  fi
}
read -r -a RUN <<<"${PYTEST_RUNNER:-.uv/bin/uv run --frozen --no-sync}"
running=0
for at in $moments; do
  run "$at" "$@" &
  running=$((running + 1))
  if [ "$running" -ge 2 ]; then wait -n; running=$((running - 1)); fi
done
wait
failed=0
for at in $moments; do
  moment=${at%@*}
  echo "== the clock at $at"
  cat "$logs/$moment.log"
  [ -f "$logs/$moment.ok" ] || failed=1
done
exit "$failed"
