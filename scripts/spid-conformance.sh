#!/usr/bin/env bash
# The differential XML-DSig tests against xmlsec1, then AgID's conformance
# tool (spid-sp-test 1.2.18) against the example SP
# (`examples/src/bin/spid-sp.rs`): metadata, AuthnRequest and Response
# checks (`--extra -tr`), for the public and the private profile at levels 1
# and 2, the CIE public and private profiles and the aggregator and
# public-operator profiles at level 2, the SP signing with certificates abilita-spid generated
# (`examples/src/bin/spid-sp-certificate.rs`), which AgID's certificate
# validator checks first. Then abilita-mock's SPID test IdP: xmlsec1 verifies every
# message it signs, xmllint validates them against the SAML protocol schema,
# and a SAML SP that is not abilita's (pysaml2, in a venv of its own) logs a
# citizen in through it. Fails on any failed check.
#
# Installs what it needs only when missing: Debian's xmlsec1, xmllint (and openssl,
# python3-venv), spid-sp-test and pysaml2 in venvs under target/. The test IdP gets
# a fresh key and certificate each run (the tool's own expired in 2025).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.2.18
WORK=target/spid-conformance
VENV=target/spid-sp-test-venv
PYSAML2_VERSION=7.5.5
PYSAML2_VENV=target/pysaml2-venv
LISTEN=127.0.0.1:18090
BASE=http://$LISTEN

apt_install() {
    local missing=()
    command -v xmlsec1 >/dev/null || missing+=(xmlsec1)
    command -v xmllint >/dev/null || missing+=(libxml2-utils)
    command -v openssl >/dev/null || missing+=(openssl)
    command -v curl >/dev/null || missing+=(curl)
    python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
    if ((${#missing[@]})); then
        echo "installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

venv_install() {
    if [[ "$("$VENV/bin/python" -m pip show spid-sp-test 2>/dev/null | sed -n 's/^Version: //p')" != "$VERSION" ]]; then
        echo "installing spid-sp-test $VERSION in $VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/python" -m pip install -q "spid-sp-test==$VERSION"
    fi
}

pysaml2_install() {
    if [[ "$("$PYSAML2_VENV/bin/python" -m pip show pysaml2 2>/dev/null | sed -n 's/^Version: //p')" != "$PYSAML2_VERSION" ]]; then
        echo "installing pysaml2 $PYSAML2_VERSION in $PYSAML2_VENV"
        python3 -m venv "$PYSAML2_VENV"
        "$PYSAML2_VENV/bin/python" -m pip install -q "pysaml2==$PYSAML2_VERSION"
    fi
}

apt_install
venv_install
pysaml2_install

# Differential XML-DSig tests against xmlsec1 (ignored by a plain cargo test).
cargo test -q -p abilita-spid --test it -- --ignored xmlsec

cargo build -q -p abilita-examples --bin spid-sp --bin spid-sp-certificate

rm -rf "$WORK" && mkdir -p "$WORK/idp"
openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/C=IT/L=Roma/O=spid-sp-test IdP/CN=localhost" \
    -keyout "$WORK/idp/private.key" -out "$WORK/idp/public.cert" 2>/dev/null
export IDP_CERT_PATH="$PWD/$WORK/idp"

# The example SP signs with certificates abilita-spid generates, and AgID's
# own validator (spid-compliant-certificates, in spid-sp-test's venv; it
# exits 0 either way, so its verdict line is read) checks each one.
mkdir -p "$WORK/sp"
sp_certificate() { # profile, identifier flag, value, sector
    target/debug/spid-sp-certificate --entity-id "$BASE/metadata" --organization "Comune di Esempio" \
        --locality Roma "$2" "$3" --key-size 2048 --days 30 \
        --key-out "$WORK/sp/$1.key" --cert-out "$WORK/sp/$1.cert" 2>/dev/null
    local verdict
    verdict=$("$VENV/bin/spid-compliant-certificates" validator --sector "$4" \
        --crt-file "$WORK/sp/$1.cert" 2>&1 | grep -E 'Certificate .* (matches|violates) the' || true)
    echo "AgID's certificate validator, $1 SP: ${verdict##*] }"
    if [[ "$verdict" != *"matches the $4 sector specifications"* ]]; then
        "$VENV/bin/spid-compliant-certificates" validator --sector "$4" \
            --crt-file "$WORK/sp/$1.cert" 2>&1 | grep -F '[' | grep -v '32mI' | head -20 >&2
        exit 1
    fi
}
sp_certificate public --ipa-code c_h501 public
sp_certificate private --vat-number 12345678901 private
"$VENV/bin/spid_sp_test" --idp-metadata >"$WORK/idp-metadata.xml" 2>/dev/null

SP_PID=
stop_sp() {
    if [[ -n "$SP_PID" ]]; then
        kill "$SP_PID" 2>/dev/null || true
        wait "$SP_PID" 2>/dev/null || true
    fi
    SP_PID=
}
trap stop_sp EXIT

failed=0
# spid-sp-test's profile, the level, the example SP's --profile, its
# certificate, and where its metadata for that federation is.
runs=(
    "spid-sp-public 1 public public /metadata"
    "spid-sp-public 2 public public /metadata"
    "spid-sp-private 1 private private /metadata"
    "spid-sp-private 2 private private /metadata"
    "cie-sp-public 2 cie-public public /metadata/cie"
    "cie-sp-private 2 cie-private private /metadata/cie"
    "spid-sp-ag-public-full 2 ag-public-full public /metadata"
    "spid-sp-ag-public-lite 2 ag-public-lite public /metadata"
    "spid-sp-ag-private-full 2 ag-private-full private /metadata"
    "spid-sp-ag-private-lite 2 ag-private-lite private /metadata"
    "spid-sp-op-public-full 2 op-public-full public /metadata"
    "spid-sp-op-public-lite 2 op-public-lite public /metadata"
)
for run in "${runs[@]}"; do
    read -r tool_profile level profile certificate metadata <<<"$run"
    if curl -fs -o /dev/null "$BASE/metadata"; then
        echo "something else already answers on $LISTEN" >&2
        exit 1
    fi
    target/debug/spid-sp --listen "$LISTEN" --idp-metadata "$WORK/idp-metadata.xml" \
        --profile "$profile" --level "$level" \
        --sp-key "$WORK/sp/$certificate.key" --sp-cert "$WORK/sp/$certificate.cert" \
        >"$WORK/sp-$profile-$level.log" 2>&1 &
    SP_PID=$!
    for _ in $(seq 50); do
        curl -fs -o /dev/null "$BASE/metadata" && break
        sleep 0.1
    done
    if ! kill -0 "$SP_PID" 2>/dev/null; then
        echo "the example SP did not start:" >&2
        cat "$WORK/sp-$profile-$level.log" >&2
        exit 1
    fi
    log="$WORK/spid-sp-test-$tool_profile-$level.log"
    set +e
    "$VENV/bin/spid_sp_test" --metadata-url "$BASE$metadata" \
        --authn-url "$BASE/login?idp=https://localhost:8443" \
        --extra -tr -pr "$tool_profile" >"$log" 2>&1
    status=$?
    set -e
    summary=$(grep -E '^Spid QA: executed' "$log" || echo "no summary")
    echo "$tool_profile, level $level: $summary"
    if [[ $tool_profile == spid-sp-op-public-lite ]]; then
        # spid-sp-test 1.2.18 (and its repository's HEAD, 04b41a0) cannot
        # finish this profile: it calls test_Extensions_PubPriv with an
        # argument that does not exist (org_check) and stops. Every check
        # before that one must pass, and that crash must be the only fault.
        if grep -qE '^ERROR' "$log" || ! grep -q "unexpected keyword argument 'org_check'" "$log"; then
            failed=1
            grep -E 'ERROR|CRITICAL' "$log" | head -40 || true
        else
            echo "$tool_profile: every check before the tool's own defect (org_check) passed"
        fi
    elif [[ $status -ne 0 ]] || ! grep -qE '^Spid QA: executed [0-9]+ tests, 0 failed\.' "$log"; then
        failed=1
        grep -E 'ERROR|CRITICAL|FAIL' "$log" | head -40 || true
    fi
    stop_sp
done

# The test IdP: its signatures through xmlsec1, its messages through
# xmllint and the SAML schemas, its logins through pysaml2.
cargo test -q -p abilita-mock --test it -- --ignored xmlsec1 xmllint
cargo build -q -p abilita-mock
mkdir -p "$WORK/pysaml2"
if ! "$PYSAML2_VENV/bin/python" scripts/pysaml2-sp-login.py target/debug/abilita-mock "$WORK/pysaml2" 2>"$WORK/pysaml2.log"; then
    echo "pysaml2 could not log in through the test IdP:" >&2
    tail -40 "$WORK/pysaml2.log" >&2
    failed=1
fi
exit $failed
