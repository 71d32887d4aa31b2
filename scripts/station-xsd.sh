#!/usr/bin/env bash
# The pagoPA station's messages against the official paForNode schema:
# every request the tests send and every answer the station writes,
# through xmllint --schema (pagopa/tests/xsd/, copied from pagopa-api).
#
# Installs Debian's libxml2-utils (xmllint) only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v xmllint >/dev/null; then
    echo "installing libxml2-utils"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxml2-utils >/dev/null
fi
xmllint --version 2>&1 | head -1

# With --workspace the test binary is the one `cargo test --workspace` built.
cargo test -q --workspace -- --ignored xmllint_validates_every_message_against_the_station_schema
