#!/usr/bin/env bash
# The abilita-mock program under 100,000 requests of every simulator's
# endpoints, with faults injected for half of them: fails if its resident
# memory grows by 20 MB or more, if a fault stops working, or if SIGTERM
# takes a second or more. Needs Linux's /proc (read for the program's RSS).
# The full figures (1,000,000 requests, against a bare hyper floor) come
# from `cargo bench -p abilita-mock --bench load`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -p abilita-mock --test it load -- --ignored --nocapture
