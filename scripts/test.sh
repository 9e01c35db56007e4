#!/usr/bin/env bash
# `make test` (and CI): two passes, then tear down even when tests fail.
#   1. PostgreSQL: the whole suite on real PostgreSQL and Redis on loopback.
#   2. SQLite: the tests marked `sqlite` (tests/api, tests/browser, tests/test_bad_input.py)
#      again on the embedded default of `make run`: SQLite in a file, the filesystem broker,
#      no Redis.
# Both passes' summaries are repeated at the end; a failure in either fails the script.
#
# Extra arguments go to pytest in both passes: `scripts/test.sh -k rubric` runs the tests
# matching "rubric" on PostgreSQL, then those of them marked `sqlite` on SQLite. A pass the
# arguments leave with nothing to run says so and counts as passed (if both do, the exit
# code is pytest's 5). A `-m EXPR` of yours becomes `sqlite and (EXPR)` in the SQLite pass.
# LOOPWISE_TEST_DATABASES picks the passes: "postgresql sqlite" (the default), "postgresql",
# or "sqlite" (no PostgreSQL or Redis is started).
set -euo pipefail
cd "$(dirname "$0")/.."
databases=" ${LOOPWISE_TEST_DATABASES:-postgresql sqlite} "
bash scripts/services.sh install
dir=$(mktemp -d /tmp/loopwise-test.XXXXXX)
trap 'bash scripts/services.sh stop "$dir"' EXIT

color=()
if [ -t 1 ]; then color=(--color=yes); fi  # pytest's output goes through tee
summaries=()
ran=0
failed=0

# run_pass NAME PYTEST-ARGS...: one pytest run, its output also kept for the summary.
run_pass() {
  local name=$1 status=0
  shift
  echo "=== $name pass ==="
  .venv/bin/python -m pytest "${color[@]}" "$@" 2>&1 | tee "$dir/$name.log" || status=$?
  local summary
  summary=$(grep -v '^\s*$' "$dir/$name.log" | tail -n 1 | sed 's/\x1b\[[0-9;]*m//g')
  case $status in
    0) ran=1 ;;
    5) summary="nothing selected ($summary)" ;;
    *) ran=1; failed=1 ;;
  esac
  summaries+=("$name: $summary")
}

if [[ $databases == *" postgresql "* ]]; then
  eval "$(bash scripts/services.sh start "$dir")"
  run_pass PostgreSQL "$@"
fi

if [[ $databases == *" sqlite "* ]]; then
  # The caller's arguments, with any -m EXPR narrowed to the tests marked `sqlite`.
  sqlite_args=()
  marker=sqlite
  while [ $# -gt 0 ]; do
    case $1 in
      -m) marker="sqlite and ($2)"; shift 2 ;;
      -m*) marker="sqlite and (${1#-m})"; shift ;;
      *) sqlite_args+=("$1"); shift ;;
    esac
  done
  # What `make run` uses when DATABASE_URL and REDIS_URL are empty, in a throwaway var/.
  unset CELERY_BROKER_URL
  export DATABASE_URL="sqlite:///$dir/sqlite/loopwise.sqlite3" REDIS_URL=""
  export LOOPWISE_VAR_DIR="$dir/sqlite"
  run_pass SQLite -m "$marker" "${sqlite_args[@]}"
fi

echo
printf '=== %s\n' "${summaries[@]}"
if [ "$failed" = 1 ]; then exit 1; fi
if [ "$ran" = 0 ]; then exit 5; fi
