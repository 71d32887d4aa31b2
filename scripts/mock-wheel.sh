#!/usr/bin/env bash
# Ships the abilita-mock program as a Python wheel and checks it the way a
# pipeline without Rust would use it: builds the wheel with maturin (`bin`
# bindings: the binary inside a platform wheel), installs it into a fresh
# venv, starts `abilita-mock` from there and drives one call per platform
# from Python (scripts/mock-wheel-smoke.py). The wheel is left in
# target/wheels/.
#
# Installs maturin from PyPI into a venv under target/ when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

MATURIN_VERSION=1.16.0
BUILD_VENV=target/maturin-venv
TEST_VENV=target/abilita-mock-wheel-venv

if [[ "$("$BUILD_VENV/bin/maturin" --version 2>/dev/null)" != "maturin $MATURIN_VERSION" ]]; then
    echo "installing maturin $MATURIN_VERSION in $BUILD_VENV"
    python3 -m venv "$BUILD_VENV"
    "$BUILD_VENV/bin/python" -m pip install -q "maturin==$MATURIN_VERSION"
fi

rm -rf target/wheels
"$BUILD_VENV/bin/maturin" build --quiet --release --manifest-path mock-servers/Cargo.toml \
    --out target/wheels
wheel=$(ls target/wheels/abilita_mock-*.whl)
echo "built $wheel ($(du -h "$wheel" | cut -f1))"

rm -rf "$TEST_VENV"
python3 -m venv "$TEST_VENV"
"$TEST_VENV/bin/python" -m pip install -q --no-index "$wheel"
"$TEST_VENV/bin/python" scripts/mock-wheel-smoke.py "$TEST_VENV/bin/abilita-mock"
