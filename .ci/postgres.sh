#!/usr/bin/env bash
# A throwaway PostgreSQL server on a local port for the sweep tests (tests/test_sweep.py): Debian's package,
# installed if missing, a data folder under a temporary directory, trust authentication on 127.0.0.1 only.
#
#   source .ci/postgres.sh start   # exports ATNN_TEST_POSTGRES_URL (unset if no server could be started)
#   .ci/postgres.sh stop DIR       # stops the server whose data folder is DIR/data and removes DIR
set -uo pipefail
PORT=${ATNN_PG_PORT:-55432}

pg_bin() {
  local initdb
  initdb=$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)
  [ -n "$initdb" ] && dirname "$(readlink -f "$initdb")"
}

as_owner() {   # PostgreSQL refuses to run as root: run as its own user there
  if [ "$(id -u)" = 0 ]; then "$(command -v runuser || echo /usr/sbin/runuser)" -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin dir
  bin=$(pg_bin)
  if [ -z "$bin" ]; then
    echo "PostgreSQL not found: installing Debian's postgresql package"
    (apt-get install -y -q postgresql >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 &&
      apt-get install -y -q postgresql >/dev/null 2>&1)) || echo "WARNING: could not install postgresql"
    bin=$(pg_bin)
  fi
  if [ -z "$bin" ]; then echo "WARNING: no PostgreSQL: the PostgreSQL sweep test will be skipped"; return 0; fi
  dir=$(mktemp -d /tmp/atnn-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  if as_owner "$bin/initdb" -D "$dir/data" -A trust -U atnn >"$dir/initdb.log" 2>&1 &&
     as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
       -o "-p $PORT -k $dir -c listen_addresses=127.0.0.1" start >/dev/null 2>&1 &&
     as_owner "$bin/createdb" -h 127.0.0.1 -p "$PORT" -U atnn atnn_test >/dev/null 2>&1; then
    export ATNN_TEST_POSTGRES_URL="postgresql+psycopg2://atnn@127.0.0.1:$PORT/atnn_test"
    export ATNN_PG_DIR="$dir"
    echo "PostgreSQL on 127.0.0.1:$PORT ($dir)"
  else
    echo "WARNING: PostgreSQL did not start: the PostgreSQL sweep test will be skipped; its logs:"
    tail -n 5 "$dir"/*.log 2>/dev/null
    stop "$dir"
  fi
}

stop() {
  local dir=$1 bin
  bin=$(pg_bin)
  [ -n "$bin" ] && [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:?the folder start printed}" ;;
  *) echo "usage: source .ci/postgres.sh start | .ci/postgres.sh stop DIR" >&2 ;;
esac
