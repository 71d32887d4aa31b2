#!/usr/bin/env bash
# The payment notice PDF checked from outside: poppler-utils (pdfinfo,
# pdftotext, pdftoppm) read it, rqrr decodes its QR codes from the page
# images, and dmtx-utils (dmtxread, libdmtx) its Poste Data Matrix: the
# ignored `notice_pdf::` tests of abilita-pagopa. Installs the two Debian
# packages when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pdftoppm >/dev/null || ! command -v dmtxread >/dev/null; then
    echo "installing poppler-utils and dmtx-utils"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q poppler-utils dmtx-utils >/dev/null
fi
pdftoppm -v 2>&1 | sed -n 1p

# With --workspace the test binary is the one `cargo test --workspace` built.
cargo test -q --workspace -- --ignored notice_pdf::
