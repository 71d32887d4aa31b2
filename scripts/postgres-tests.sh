#!/usr/bin/env bash
# The tests that need a real PostgreSQL server (ignored by a plain cargo
# test): the `station` example on PostgreSQL, killed in the middle of a run
# of payments and started again, losing and doubling no receipt. The server
# is a fresh cluster of its own, in a temporary folder, on a free loopback
# port, stopped at the end.
#
# Installs Debian's postgresql only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [[ -z "$(bin_dir)" ]]; then
    echo "installing postgresql"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
BIN=$(bin_dir)
"$BIN/postgres" --version

WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# PostgreSQL refuses to run as root: the cluster belongs to the `postgres`
# user the package created.
chown postgres "$WORK"
as_postgres() { if [[ $(id -u) -eq 0 ]]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
stop() { as_postgres "'$BIN/pg_ctl' -D '$WORK/data' -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap stop EXIT
as_postgres "'$BIN/initdb' -D '$WORK/data' -A trust -U abilita" >/dev/null
as_postgres "'$BIN/pg_ctl' -D '$WORK/data' -l '$WORK/log' -w -o \"-p $PORT -k '$WORK' -c listen_addresses=127.0.0.1\" start" >/dev/null

# With --workspace the test binary is the one `cargo test --workspace` built.
ABILITA_TEST_POSTGRES_URL="postgres://abilita@127.0.0.1:$PORT/postgres" \
    cargo test -q --workspace -- --ignored a_station_on_postgresql_killed_mid_run
