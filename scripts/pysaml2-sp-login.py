"""A SAML SP that is not abilita's logs a citizen in through abilita-mock's
SPID test IdP: pysaml2 makes and signs the AuthnRequest (HTTP-Redirect) and
validates the Response (both signatures, with xmlsec1), trusting only the
IdP's metadata. Driven over plain HTTP, as scripts/spid-idp-interop.sh runs it.

usage: python pysaml2-sp-login.py ABILITA_MOCK_BINARY WORK_DIR
"""

import base64
import json
import subprocess
import sys
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
import datetime

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.saml import NAMEID_FORMAT_TRANSIENT, AuthnContextClassRef
from saml2.samlp import RequestedAuthnContext
from saml2.xmldsig import SIG_RSA_SHA256

CITIZEN = "STTSGT90A01H501J"


def http(method, url, body=None, headers=None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def key_and_certificate(work):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pysaml2 SP"), x509.NameAttribute(NameOID.COUNTRY_NAME, "IT")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = f"{work}/sp.key", f"{work}/sp.crt"
    with open(key_file, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with open(cert_file, "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    body = "".join(line for line in open(cert_file).read().splitlines() if not line.startswith("-----"))
    return key_file, cert_file, body


def sp_metadata(entity_id, acs, slo, certificate):
    """Written by hand: pysaml2 would name the requested attributes by OID,
    and SPID asks for its own names."""
    attributes = "".join(
        f'<md:RequestedAttribute Name="{name}"/>' for name in ("fiscalNumber", "name", "familyName", "dateOfBirth")
    )
    return (
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity_id}">'
        '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" '
        'AuthnRequestsSigned="true" WantAssertionsSigned="true">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        f'<md:SingleLogoutService Binding="{BINDING_HTTP_POST}" Location="{slo}"/>'
        f"<md:NameIDFormat>{NAMEID_FORMAT_TRANSIENT}</md:NameIDFormat>"
        f'<md:AssertionConsumerService index="0" isDefault="true" Binding="{BINDING_HTTP_POST}" Location="{acs}"/>'
        '<md:AttributeConsumingService index="0"><md:ServiceName xml:lang="it">Servizi</md:ServiceName>'
        f"{attributes}</md:AttributeConsumingService>"
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    )


def main():
    binary, work = sys.argv[1], sys.argv[2]
    program = subprocess.Popen(
        [binary, "--gpd-port", "0", "--io-port", "0", "--anpr-port", "0", "--spid-port", "0", "--cie-port", "0",
         "--nodo-port", "0", "--fdr-port", "0", "--checkout-port", "0", "--print-port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        urls = {}
        for line in program.stdout:
            line = line.strip()
            if line == "ready":
                break
            name, url = line.split(" ", 1)
            urls[name] = url
        idp_metadata_url = urls["spid-idp"]
        idp_base = idp_metadata_url.rsplit("/metadata", 1)[0]
        status, idp_metadata = http("GET", idp_metadata_url)
        assert status == 200, status
        with open(f"{work}/idp.xml", "w") as out:
            out.write(idp_metadata)

        entity_id = "http://127.0.0.1:9/pysaml2-sp"
        acs, slo = "http://127.0.0.1:9/acs", "http://127.0.0.1:9/slo"
        key_file, cert_file, certificate = key_and_certificate(work)
        status, body = http("POST", f"{idp_base}/__control/spid/sps", sp_metadata(entity_id, acs, slo, certificate).encode())
        assert status == 201, (status, body)

        config = SPConfig()
        config.load(
            {
                "entityid": entity_id,
                "key_file": key_file,
                "cert_file": cert_file,
                "xmlsec_binary": "/usr/bin/xmlsec1",
                "metadata": {"local": [f"{work}/idp.xml"]},
                "accepted_time_diff": 60,
                # SPID's attribute names are no OID pysaml2 knows: keep them as sent.
                "allow_unknown_attributes": True,
                "service": {
                    "sp": {
                        "endpoints": {
                            "assertion_consumer_service": [(acs, BINDING_HTTP_POST)],
                            "single_logout_service": [(slo, BINDING_HTTP_POST)],
                        },
                        "authn_requests_signed": True,
                        "want_assertions_signed": True,
                        "want_response_signed": True,
                        "allow_unsolicited": False,
                        "name_id_format": NAMEID_FORMAT_TRANSIENT,
                    }
                },
            }
        )
        client = Saml2Client(config)
        sso = f"{idp_base}/sso"
        request_id, request = client.create_authn_request(
            sso,
            binding=BINDING_HTTP_POST,
            sign=False,
            requested_authn_context=RequestedAuthnContext(
                authn_context_class_ref=[AuthnContextClassRef(text="https://www.spid.gov.it/SpidL1")],
                comparison="minimum",
            ),
            attribute_consuming_service_index="0",
            assertion_consumer_service_index="0",
        )
        # SPID asks what SAML leaves open: the Issuer's NameQualifier, an
        # ACS by index alone, and a NameIDPolicy without AllowCreate.
        request.issuer.name_qualifier = entity_id
        request.assertion_consumer_service_url = None
        request.protocol_binding = None
        if request.name_id_policy is not None:
            request.name_id_policy.allow_create = None
        http_args = client.apply_binding(
            BINDING_HTTP_REDIRECT, str(request), destination=sso, relay_state="pysaml2-relay", sign=True, sigalg=SIG_RSA_SHA256
        )
        location = dict(http_args["headers"])["Location"]
        status, page = http("GET", location)
        assert status == 200 and "SpidL1" in page, (status, page)

        form = urllib.parse.urlencode(
            {
                "binding": "redirect",
                "query": urllib.parse.urlsplit(location).query,
                "username": CITIZEN,
                "password": "password",
                "answer": "consent",
            }
        ).encode()
        status, body = http(
            "POST",
            f"{idp_base}/sso/login",
            form,
            {"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
        )
        assert status == 200, (status, body)
        posted = json.loads(body)
        assert posted["url"] == acs and posted["RelayState"] == "pysaml2-relay", posted

        # The same Response altered by one name: pysaml2 must refuse it, or
        # its acceptance below would prove nothing about the signatures.
        xml = base64.b64decode(posted["SAMLResponse"]).decode()
        tampered = base64.b64encode(xml.replace("Settimo", "Ottavo", 1).encode()).decode()
        try:
            client.parse_authn_request_response(tampered, BINDING_HTTP_POST, outstanding={request_id: "/"})
            raise AssertionError("pysaml2 accepted a tampered Response")
        except Exception as refused:  # noqa: BLE001 - any refusal will do
            if isinstance(refused, AssertionError):
                raise
            print(f"pysaml2 refused a tampered Response: {type(refused).__name__}")

        response = client.parse_authn_request_response(
            posted["SAMLResponse"], BINDING_HTTP_POST, outstanding={request_id: "/"}
        )
        identity = response.get_identity()
        assert identity["fiscalNumber"] == [f"TINIT-{CITIZEN}"], identity
        assert identity["familyName"] == ["Settimo"], identity
        assert response.authn_info()[0][0] == "https://www.spid.gov.it/SpidL1", response.authn_info()
        print(f"pysaml2 logged {identity['name'][0]} {identity['familyName'][0]} in: {sorted(identity)}")
    finally:
        program.terminate()
        program.wait(timeout=5)


if __name__ == "__main__":
    main()
