#!/bin/bash
# MariaDB server for tests and examples (image-dsl catalog). Initializes the data directory on
# first start: a database MARIADB_DATABASE and a user MARIADB_USER (from any host) with the
# password from MARIADB_PASSWORD_FILE or MARIADB_PASSWORD; root only through the local socket.
# Then runs mariadbd in the foreground, as the image's user.
set -euo pipefail
datadir=/var/lib/mysql
socket=/run/mysqld/mysqld.sock
if [ ! -d "$datadir/mysql" ]; then
  password="${MARIADB_PASSWORD:-}"
  if [ -n "${MARIADB_PASSWORD_FILE:-}" ]; then password="$(cat "$MARIADB_PASSWORD_FILE")"; fi
  user="${MARIADB_USER:-}"
  database="${MARIADB_DATABASE:-}"
  if [ -z "$password" ] || [ -z "$user" ] || [ -z "$database" ]; then
    echo "mariadb: set MARIADB_USER, MARIADB_DATABASE and MARIADB_PASSWORD (or MARIADB_PASSWORD_FILE)" >&2
    exit 64
  fi
  # The values go into SQL literals below: allow only what needs no quoting.
  for value in "$password" "$user" "$database"; do
    if [[ ! "$value" =~ ^[A-Za-z0-9_.-]+$ ]]; then
      echo "mariadb: MARIADB_USER, MARIADB_DATABASE and the password may hold only letters, digits, '_', '.' and '-'" >&2
      exit 64
    fi
  done
  mariadb-install-db --datadir="$datadir" --auth-root-authentication-method=socket \
    --skip-test-db > /dev/null
  # Bootstrap mode skips the grant tables, so the user is created by the server's first start
  # (--init-file runs with them); the file holds the password, so it goes once the server answers.
  init="$(mktemp)"
  cat > "$init" <<SQL
CREATE DATABASE \`$database\`;
CREATE USER '$user'@'%' IDENTIFIED BY '$password';
GRANT ALL ON \`$database\`.* TO '$user'@'%';
SQL
  (
    for _ in $(seq 1 120); do
      if mariadb-admin --socket="$socket" ping > /dev/null 2>&1; then break; fi
      sleep 0.5
    done
    rm -f "$init"
  ) &
  set -- --init-file="$init"
fi
exec mariadbd --datadir="$datadir" --socket="$socket" --bind-address=0.0.0.0 --port=3306 \
  --skip-name-resolve "$@"
