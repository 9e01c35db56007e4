#!/usr/bin/env bash
# `make test`: real PostgreSQL and Redis on loopback, the whole suite, then tear down even
# when tests fail. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh install
dir=$(mktemp -d /tmp/loopwise-test.XXXXXX)
trap 'bash scripts/services.sh stop "$dir"' EXIT
eval "$(bash scripts/services.sh start "$dir")"
.venv/bin/python -m pytest "$@"
