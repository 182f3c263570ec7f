#!/bin/sh
# The official postgres image's contract for Debian's PostgreSQL: a first argument `postgres` is the server
# (its -c options are passed on); on an empty PGDATA the cluster is initialised for POSTGRES_USER with
# host authentication POSTGRES_HOST_AUTH_METHOD and the database POSTGRES_DB is created. Runs as postgres.
set -eu
[ "${1:-}" = postgres ] && shift
BIN=$(ls -d /usr/lib/postgresql/*/bin | head -n 1)
PGDATA=${PGDATA:-/var/lib/postgresql/data}
USER_NAME=${POSTGRES_USER:-postgres}
AUTH=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
mkdir -p "$PGDATA" /run/postgresql
chown -R postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  runuser -u postgres -- "$BIN/initdb" -D "$PGDATA" -U "$USER_NAME" --auth-local=trust --auth-host="$AUTH" \
    --encoding=UTF8 --locale=C >/dev/null
  echo "host all all all $AUTH" >> "$PGDATA/pg_hba.conf"
  if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\";" | runuser -u postgres -- "$BIN/postgres" --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "postgres-entrypoint: initialised $PGDATA (database ${POSTGRES_DB:-postgres}, host auth $AUTH)"
fi
exec runuser -u postgres -- "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/run/postgresql "$@"
