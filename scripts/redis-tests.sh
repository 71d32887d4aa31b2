#!/usr/bin/env bash
# The tests that need a real redis-server (ignored by a plain cargo test):
# abilita-spid's login state shared by two SP instances through one Redis,
# and Redis restarted under them; the spid-login example's two instances
# behind a round-robin front; two abilita-io senders sharing one
# institution's rate limit (and refusing to send when Redis is gone). Each test starts its own redis-server on a
# free loopback port, without persistence.
#
# Installs Debian's redis-server only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null; then
    echo "installing redis-server"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
# Debian's package starts a system instance on 6379; the tests use their own.
redis-server --version

# With --workspace the test binaries are those `cargo test --workspace` built
# (the same features), so nothing is compiled again.
cargo test -q --workspace -- --ignored redis:: two_instances_on_redis
