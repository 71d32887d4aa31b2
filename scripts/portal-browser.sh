#!/usr/bin/env bash
# The "Casa digitale" portal's acceptance test: a citizen uses it in headless
# Chromium (log in at the SPID test IdP, profile from ANPR, payments with
# the notice and its QR, pay, messages, Single Logout; consent denied;
# ANPR down). Screenshots of each step go to target/casa-digitale/.
#
# Installs, only when missing, Debian's chromium and chromium-driver (with
# apt-get, as root).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if ((${#missing[@]})); then
    echo "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cargo test -p abilita-examples --test it -- --ignored portal
