#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 cluster, run "$@" with DATABASE_URL pointing at it, stop it.
# initdb refuses root: the cluster runs as the postgres user (or the caller when not root).
set -euo pipefail
PGBIN=/usr/lib/postgresql/15/bin
PGROOT=$(mktemp -d /tmp/omnistore-pg.XXXXXX)
RUN=()
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PGROOT"; RUN=(runuser -u postgres --); fi
PGPORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cleanup() {
  "${RUN[@]}" $PGBIN/pg_ctl -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PGROOT"
}
trap cleanup EXIT
"${RUN[@]}" $PGBIN/initdb -D "$PGROOT/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
PGOPTS="-k $PGROOT -h 127.0.0.1 -p $PGPORT -c max_connections=200"
if [ "${PG_DURABLE:-0}" != "1" ]; then
  PGOPTS="$PGOPTS -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
"${RUN[@]}" $PGBIN/pg_ctl -D "$PGROOT/data" -l "$PGROOT/pg.log" -w -o "$PGOPTS" start >/dev/null
echo "PostgreSQL 15 running on 127.0.0.1:$PGPORT (throwaway cluster in $PGROOT)"
export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/omnistore"
"${RUN[@]}" $PGBIN/createdb -h 127.0.0.1 -p "$PGPORT" -U postgres omnistore
"$@"
