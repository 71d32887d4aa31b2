"""Strategies for the string formats IO's OpenAPI file names but does not
define: they come from @pagopa/ts-commons (`x-import` in the file), and IO
refuses any value outside them. Without these, schemathesis would send any
string as a "valid" fiscal code. Loaded through SCHEMATHESIS_HOOKS by
mock-servers/tests/it/openapi.rs."""

import schemathesis
from hypothesis import strategies as st

# ts-commons' FiscalCode: the codice fiscale pattern, anchored.
schemathesis.openapi.format(
    "FiscalCode",
    st.from_regex(
        r"\A[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\Z"
    ),
)
# ts-commons' OrganizationFiscalCode: 11 digits.
schemathesis.openapi.format("OrganizationFiscalCode", st.from_regex(r"\A[0-9]{11}\Z"))
# ts-commons' Ulid: 26 characters of Crockford's base 32, 48 bits of time first.
schemathesis.openapi.format("Ulid", st.from_regex(r"\A[0-7][0-9A-HJKMNP-TV-Z]{25}\Z"))
