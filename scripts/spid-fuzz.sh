#!/usr/bin/env bash
# Runs abilita-spid's cargo-fuzz targets (spid/fuzz), each for SECONDS
# (default 60), starting from the spid-sp-test fixture Responses and the
# committed seeds (spid/fuzz/seeds: extreme instants among them). The build
# is a release build whose panics abort, so a clean run over the seeds is
# also the check that such a build survives them. Fails when a target panics, leaks past libFuzzer's limits
# or times out; the input that did it is left in spid/fuzz/artifacts/.
#
#   scripts/spid-fuzz.sh [SECONDS] [TARGET...]
#
# `.ci/run` runs every target briefly, to prove that they build and run;
# the long runs reported in issue notes use the same script.
#
# Installs cargo-fuzz only when missing. libFuzzer's instrumentation needs
# nightly-only compiler flags: a nightly toolchain is used when one is
# installed; otherwise the installed stable compiler is allowed them with
# RUSTC_BOOTSTRAP=1, as machines that can fetch no other toolchain must.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(response signed_response logout_redirect)

if [[ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
    echo "installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install -q --locked "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi

toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi

cd spid/fuzz
for target in "${targets[@]}"; do
    case "$target" in
        logout_redirect) seeds=(seeds/logout_redirect) ;;
        *) seeds=(../tests/data/responses seeds/instants) ;;
    esac
    mkdir -p "corpus/$target"
    echo "==> fuzzing $target for ${seconds}s"
    log=target/fuzz-$target.log
    mkdir -p target
    # Release build with debug assertions: an overflow is a finding too.
    if ! cargo "${toolchain[@]}" fuzz run --release --debug-assertions "$target" "corpus/$target" "${seeds[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz target $target failed; see spid/fuzz/$log and spid/fuzz/artifacts/$target" >&2
        exit 1
    fi
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log"
done
