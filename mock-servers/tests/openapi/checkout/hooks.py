"""A defect of Checkout's OpenAPI file, mended before schemathesis reads it:
the carts operation's request body is not marked `required`, although its
schema (CartRequestV2, with required `paymentNotices` and `returnUrls`) and
Checkout itself need one, so an empty POST would count as "valid" data.
Loaded through SCHEMATHESIS_HOOKS by mock-servers/tests/it/openapi.rs."""

import schemathesis


@schemathesis.hook
def before_load_schema(context, raw_schema):
    raw_schema["paths"]["/carts"]["post"]["requestBody"]["required"] = True
