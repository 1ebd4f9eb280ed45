#!/usr/bin/env bash
# A private PostgreSQL server for the test suite: start | stop | restart | url.
# Runs Debian's postgresql binaries on 127.0.0.1:${PGPORT:-54329}, data under ${PGROOT:-/tmp/buzeta-pg}.
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGROOT=${PGROOT:-/tmp/buzeta-pg}
PGPORT=${PGPORT:-54329}
DATA=$PGROOT/data
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
  start)
    if [ ! -s "$DATA/PG_VERSION" ]; then
      install -d -m 700 "$PGROOT"
      [ "$(id -u)" = 0 ] && chown postgres "$PGROOT"
      as_postgres "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    as_postgres "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1 ||
      as_postgres "$PGBIN/pg_ctl" -D "$DATA" -l "$PGROOT/server.log" -w \
        -o "-p $PGPORT -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    as_postgres "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qtc \
      "SELECT 1 FROM pg_roles WHERE rolname='buzeta'" | grep -q 1 ||
      { as_postgres "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE ROLE buzeta LOGIN SUPERUSER PASSWORD 'buzeta'" &&
        as_postgres "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE buzeta OWNER buzeta"; }
    ;;
  stop) as_postgres "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null ;;
  restart) as_postgres "$PGBIN/pg_ctl" -D "$DATA" -m fast -w restart -o "-p $PGPORT -k $PGROOT -c listen_addresses=127.0.0.1 -c fsync=off" -l "$PGROOT/server.log" >/dev/null ;;
  url) echo "postgres://buzeta:buzeta@127.0.0.1:$PGPORT/buzeta" ;;
  *) echo "usage: $0 start|stop|restart|url" >&2; exit 2 ;;
esac
