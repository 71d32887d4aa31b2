#!/usr/bin/env bash
# The simulators against the official OpenAPI files: schemathesis (a
# property-based API tester) generates valid and invalid requests from each
# file in mock-servers/tests/openapi/ and checks every answer against it,
# with the allowlist of documented spec defects kept beside the files. Runs
# the ignored `openapi::` tests of the abilita-mock test binary.
#
# Installs schemathesis (a pinned version, so that a run is repeatable) in a
# venv under target/ only when missing. ABILITA_SCHEMATHESIS_EXAMPLES and
# ABILITA_SCHEMATHESIS_SEED (`random` for a new seed) tune the run.
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.32.5
venv=target/schemathesis-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
    echo "installing schemathesis $version"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==$version"
fi
"$venv/bin/schemathesis" --version

# With --workspace the test binaries are those `cargo test --workspace` built.
PATH="$PWD/$venv/bin:$PATH" cargo test -q --workspace -- --ignored openapi:: --nocapture
