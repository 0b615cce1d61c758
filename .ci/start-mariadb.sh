#!/usr/bin/env bash
# Starts a throw-away MariaDB server (no systemd) for the test suite and exports
# MARIADB_TEST_URL plus the five *_DB_URL variables. Source it: `. .ci/start-mariadb.sh`.
# Installs Debian's mariadb-server first when it is missing.
set -euo pipefail

if ! command -v mariadbd >/dev/null 2>&1 || ! command -v mariadb-install-db >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y mariadb-server
fi

MARIADB_PORT=${MARIADB_PORT:-33061}
MARIADB_DIR=$(mktemp -d /tmp/batch-mariadb.XXXXXX)
chown mysql:mysql "$MARIADB_DIR"
# A temporary directory of its own: a MariaDB server deletes every #sql* file in its
# tmpdir when it starts, so a second server started with /tmp (the fault harness's, at
# each restart) deleted this one's temporary tables in use, and it crashed.
mariadb-install-db --user=mysql --datadir="$MARIADB_DIR/data" --tmpdir="$MARIADB_DIR" \
  --auth-root-authentication-method=socket --skip-test-db >"$MARIADB_DIR/install.log" 2>&1
mariadbd --user=mysql --datadir="$MARIADB_DIR/data" --socket="$MARIADB_DIR/mysqld.sock" --tmpdir="$MARIADB_DIR" \
  --port="$MARIADB_PORT" --bind-address=127.0.0.1 --pid-file="$MARIADB_DIR/mysqld.pid" \
  --log-error="$MARIADB_DIR/error.log" --skip-log-bin \
  --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
  --max-connections=500 &
for _ in $(seq 1 120); do
  if mariadb-admin --socket="$MARIADB_DIR/mysqld.sock" -uroot ping >/dev/null 2>&1; then break; fi
  sleep 0.5
done
mariadb-admin --socket="$MARIADB_DIR/mysqld.sock" -uroot ping >/dev/null || {
  echo "MariaDB did not start; its log:" >&2; cat "$MARIADB_DIR/error.log" >&2; exit 1; }

MARIADB_USER=batch
MARIADB_PASSWORD=batch-ci-password
mariadb --socket="$MARIADB_DIR/mysqld.sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS batchdb CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS userdb CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS inscriptiondb CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS defensedb CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS notificationdb CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$MARIADB_USER'@'localhost' IDENTIFIED BY '$MARIADB_PASSWORD';
CREATE USER IF NOT EXISTS '$MARIADB_USER'@'127.0.0.1' IDENTIFIED BY '$MARIADB_PASSWORD';
GRANT ALL PRIVILEGES ON \`batchdb\`.* TO '$MARIADB_USER'@'localhost', '$MARIADB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`userdb\`.* TO '$MARIADB_USER'@'localhost', '$MARIADB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`inscriptiondb\`.* TO '$MARIADB_USER'@'localhost', '$MARIADB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`defensedb\`.* TO '$MARIADB_USER'@'localhost', '$MARIADB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`notificationdb\`.* TO '$MARIADB_USER'@'localhost', '$MARIADB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`bt\_%\`.* TO '$MARIADB_USER'@'localhost', '$MARIADB_USER'@'127.0.0.1';
-- PROCESS lets the benchmarks wait for InnoDB's purge between measurements.
GRANT PROCESS ON *.* TO '$MARIADB_USER'@'localhost', '$MARIADB_USER'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL

base="mysql://$MARIADB_USER:$MARIADB_PASSWORD@127.0.0.1:$MARIADB_PORT"
export MARIADB_TEST_URL="$base/"
export BATCH_DB_URL="$base/batchdb" USER_DB_URL="$base/userdb" INSCRIPTION_DB_URL="$base/inscriptiondb"
export DEFENSE_DB_URL="$base/defensedb" NOTIFICATION_DB_URL="$base/notificationdb"
export MARIADB_DIR
echo "MariaDB $(mariadbd --version | awk '{print $3}') ready on 127.0.0.1:$MARIADB_PORT"

stop_mariadb() {
  if [ -f "$MARIADB_DIR/mysqld.pid" ]; then
    kill -TERM "$(cat "$MARIADB_DIR/mysqld.pid")" 2>/dev/null || true
    for _ in $(seq 1 60); do [ -f "$MARIADB_DIR/mysqld.pid" ] || break; sleep 0.5; done
  fi
  rm -rf "$MARIADB_DIR"
}
