#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: made with initdb in a temporary directory, run
# as an unprivileged user (PostgreSQL refuses root), reachable only through a Unix socket in
# that directory (no TCP port, so parallel runs cannot collide), fsync on, and removed at the end.
#
#   scripts/pg-cluster.sh run -- CMD ARGS...
#       starts one, runs CMD with GATEWAYD_TEST_POSTGRES=postgres://gatewayd@/postgres?host=DIR,
#       stops and removes it, and exits with CMD's status.
#   scripts/pg-cluster.sh start DIR      (prints the URL)
#   scripts/pg-cluster.sh stop DIR
set -euo pipefail

bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return 0; }
  echo "pg-cluster: PostgreSQL's initdb is not installed (scripts/install-deps.sh test installs postgresql)" >&2
  exit 1
}

# As root, the cluster runs as `nobody`; otherwise as the caller.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

start() {
  local dir=$1 bin
  bin=$(bindir)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown nobody "$dir"
  chmod 0700 "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U gatewayd --auth=trust --no-instructions -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=on -c synchronous_commit=on -c max_connections=300 -c shared_buffers=128MB" >/dev/null \
    || { cat "$dir/postgres.log" >&2; exit 1; }
  echo "postgres://gatewayd@/postgres?host=$dir"
}

# Runs from the EXIT trap too, where a bare `return` would hand back the failed command's
# status and `set -e` would end the script before the cluster is stopped: explicit statuses.
stop() {
  local dir=$1 bin
  bin=$(bindir) || return 0
  [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "$2" ;;
  stop) stop "$2" ;;
  run)
    shift; [ "${1:-}" = "--" ] && shift
    dir=$(mktemp -d /tmp/gatewayd-pg.XXXXXX)
    trap 'stop "$dir"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    GATEWAYD_TEST_POSTGRES=$(start "$dir")
    export GATEWAYD_TEST_POSTGRES
    status=0
    "$@" || status=$?
    exit $status
    ;;
  *) echo "usage: $0 run -- CMD... | start DIR | stop DIR" >&2; exit 2 ;;
esac
