#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on loopback for the test suite.
#   services.sh install      install postgresql, redis-server, chromium, npm if missing (root:
#                            apt-get), and axe-core for the browser tests (npm ci) if missing
#   services.sh start DIR    start both with their data in DIR; prints `export ...` lines
#   services.sh stop DIR     stop both (safe to call twice)
set -euo pipefail

PG_PORT=${LOOPWISE_PG_PORT:-54329}
REDIS_PORT=${LOOPWISE_REDIS_PORT:-63799}
PG_OPTIONS=${LOOPWISE_PG_OPTIONS:-}  # extra `-c name=value`s, e.g. for pg_stat_statements

pg_bin() {
  local initdb
  initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$initdb" ] && dirname "$initdb"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
  local missing=()
  [ -n "$(pg_bin)" ] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "Missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root." >&2
      exit 1
    fi
    echo "Installing ${missing[*]} from the OS packages..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
  # axe-core, pinned in package-lock.json, injected into pages by tests/browser/axe.py.
  local root
  root=$(cd "$(dirname "$0")/.." && pwd)
  if [ ! -f "$root/node_modules/axe-core/axe.min.js" ]; then
    echo "Installing axe-core for the browser tests (npm ci)..." >&2
    (cd "$root" && npm ci --no-audit --no-fund >&2)
  fi
  # oidc-provider, pinned in tests/oidc/package-lock.json: the single sign-on tests' provider.
  if [ ! -f "$root/tests/oidc/node_modules/oidc-provider/package.json" ]; then
    echo "Installing the test OpenID Connect provider (npm ci)..." >&2
    (cd "$root/tests/oidc" && npm ci --no-audit --no-fund >&2)
  fi
}

start() {
  local dir=$1 bin
  bin=$(pg_bin)
  mkdir -p "$dir/pg" "$dir/redis"
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir/pg"; chmod 755 "$dir"; fi
  as_postgres "$bin/initdb" -D "$dir/pg/data" -U loopwise -A trust --no-sync >"$dir/initdb.log" 2>&1
  as_postgres "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -o \
    "-p $PG_PORT -k $dir/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 $PG_OPTIONS" \
    start >&2
  "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U loopwise loopwise
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize yes --pidfile "$dir/redis/redis.pid" --dir "$dir/redis" --logfile "$dir/redis/redis.log"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "$REDIS_PORT" >"$dir/redis/port"  # stop finds its own Redis, whatever the caller's env
  echo "export DATABASE_URL=postgres://loopwise@127.0.0.1:$PG_PORT/loopwise"
  echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
  echo "export LOOPWISE_SERVICES_DIR=$dir"
  echo "export LOOPWISE_REDIS_PORT=$REDIS_PORT"
}

stop() {
  local dir=$1 bin
  bin=$(pg_bin)
  # The port this DIR's Redis was started on: never another checkout's default.
  if [ -f "$dir/redis/port" ]; then
    redis-cli -p "$(cat "$dir/redis/port")" shutdown nosave >/dev/null 2>&1 || true
  fi
  if [ -d "$dir/pg/data" ]; then
    as_postgres "$bin/pg_ctl" -D "$dir/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  install) install ;;
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) echo "usage: $0 install|start DIR|stop DIR" >&2; exit 2 ;;
esac
