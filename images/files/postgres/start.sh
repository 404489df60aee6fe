#!/bin/bash
# PostgreSQL server for tests and examples (image-dsl catalog). Initializes $PGDATA on first start
# with POSTGRES_USER / POSTGRES_DB and the password from POSTGRES_PASSWORD_FILE or
# POSTGRES_PASSWORD (scram-sha-256 over the network), then runs postgres in the foreground.
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}"
bin=/usr/lib/postgresql/15/bin
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  password="${POSTGRES_PASSWORD:-}"
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then password="$(cat "$POSTGRES_PASSWORD_FILE")"; fi
  if [ -z "$password" ]; then
    echo "postgres: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE" >&2
    exit 64
  fi
  pwfile="$(mktemp)"
  printf '%s\n' "$password" > "$pwfile"
  "$bin/initdb" --pgdata="$PGDATA" --username="${POSTGRES_USER:-postgres}" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 > /dev/null
  rm -f "$pwfile"
  printf "listen_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
  printf 'host all all 0.0.0.0/0 scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  if [ -n "${POSTGRES_DB:-}" ]; then
    "$bin/postgres" --single -D "$PGDATA" postgres <<< "CREATE DATABASE \"$POSTGRES_DB\";" > /dev/null
  fi
fi
exec "$bin/postgres" -D "$PGDATA"
