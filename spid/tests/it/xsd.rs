//! What the SP writes is valid against the SPID and SAML schemas
//! (`tests/data/xsd`), checked by an independent validator (uppsala's):
//! the metadata against Avviso 29 v3's schema and the earlier SPID SP
//! schema, as spid-sp-test does, and the requests and answers against the
//! SAML protocol schema, signature position included.

use std::path::Path;
use std::sync::OnceLock;

use abilita_spid::{AttributeSet, AuthnOptions, Comparison, Contact, SpidAttribute, SpidLevel};
use uppsala::XsdValidator;

use crate::fixture_sp::{FIXTURES_NOW, attributes, sp};
use crate::logout::identity;
use crate::metadata::{private_contact, public_contact};
use crate::posted_xml;

const L2: AuthnOptions = AuthnOptions {
    level: SpidLevel::L2,
    comparison: Comparison::Minimum,
    attribute_set: 0,
};

/// The schemas, compiled once for the whole test binary.
struct Schemas {
    sp_metadata_av29: XsdValidator,
    sp_metadata: XsdValidator,
    protocol: XsdValidator,
}

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas {
        sp_metadata_av29: compile("saml-schema-metadata-sp-spid-av29.xsd"),
        sp_metadata: compile("saml-schema-metadata-sp-spid.xsd"),
        protocol: compile("saml-schema-protocol-2.0.xsd"),
    })
}

fn compile(file: &str) -> XsdValidator {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/xsd");
    // The av29 schema imports xml.xsd from the W3C's site; the copy beside
    // it is the same file, and the tests never reach the network.
    let text = std::fs::read_to_string(folder.join(file))
        .unwrap()
        .replace("\"http://www.w3.org/2001/xml.xsd\"", "\"xml.xsd\"");
    let schema = uppsala::parse(&text).unwrap();
    XsdValidator::from_schema_with_base_path(&schema, Some(&folder)).unwrap()
}

/// The validator's complaints about `xml`, as text.
fn errors(validator: &XsdValidator, xml: &str) -> Vec<String> {
    let document = uppsala::parse(xml).unwrap();
    validator
        .validate(&document)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn assert_valid_metadata(xml: &str) {
    let schemas = schemas();
    assert_eq!(errors(&schemas.sp_metadata_av29, xml), Vec::<String>::new());
    assert_eq!(errors(&schemas.sp_metadata, xml), Vec::<String>::new());
}

#[test]
fn the_metadata_of_public_and_private_sps_is_schema_valid() {
    assert_valid_metadata(&sp().metadata().unwrap());
    assert_valid_metadata(&crate::metadata::ec_sp().metadata().unwrap());
    for contact in [public_contact(), private_contact()] {
        let metadata = crate::metadata::sp(contact).unwrap().metadata().unwrap();
        assert_valid_metadata(&metadata);
    }
    let by_fiscal_code = Contact::Private {
        vat_number: None,
        fiscal_code: Some("RSSMRA80A01H501U".into()),
        email: "spid@esempio.it".into(),
        phone: Some("+390612345678".into()),
        billing: match private_contact() {
            Contact::Private { billing, .. } => billing,
            _ => unreachable!("the private contact"),
        },
    };
    let metadata = crate::metadata::sp(by_fiscal_code)
        .unwrap()
        .metadata()
        .unwrap();
    assert_valid_metadata(&metadata);
}

#[test]
fn metadata_with_several_attribute_services_is_schema_valid() {
    let mut sets = attributes();
    sets.push(AttributeSet {
        service_name: "Pagamenti".into(),
        attributes: vec![SpidAttribute::FiscalNumber, SpidAttribute::DigitalAddress],
    });
    let sp = abilita_spid::ServiceProvider::new(
        "https://comune.esempio.it/spid",
        "https://comune.esempio.it",
        crate::fixture_sp::organization(),
        public_contact(),
        sets,
        &abilita_core::PrivateKeyPem::new(include_str!("../data/sp.key")),
        crate::metadata::certificate_for(&public_contact()),
        SpidLevel::L3,
    )
    .unwrap();
    assert_valid_metadata(&sp.metadata().unwrap());
}

#[test]
fn the_validator_refuses_what_the_schema_forbids() {
    // The check has teeth: Avviso 29 allows only `other` and `billing`
    // contacts, and an EntityDescriptor without Organization.
    let metadata = sp().metadata().unwrap();
    let technical = metadata.replace("contactType=\"other\"", "contactType=\"technical\"");
    assert!(!errors(&schemas().sp_metadata_av29, &technical).is_empty());
    let start = metadata.find("<md:Organization>").unwrap();
    let end = metadata.find("</md:Organization>").unwrap() + "</md:Organization>".len();
    let unorganized = format!("{}{}", &metadata[..start], &metadata[end..]);
    assert!(!errors(&schemas().sp_metadata_av29, &unorganized).is_empty());
    // and the protocol schema places the signature right after Issuer.
    let request = sp().authn_request("https://idp.example/sso", &L2, FIXTURES_NOW);
    let posted = posted_xml(&sp().post_form(&request, "r").unwrap(), "SAMLRequest");
    let start = posted.find("<ds:Signature").unwrap();
    let end = posted.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let signature = &posted[start..end];
    let moved = format!("{}{}", &posted[..start], &posted[end..]).replace(
        "</samlp:AuthnRequest>",
        &format!("{signature}</samlp:AuthnRequest>"),
    );
    assert!(!errors(&schemas().protocol, &moved).is_empty());
}

#[test]
fn authn_requests_are_schema_valid_in_both_bindings() {
    let sp = sp();
    for level in [SpidLevel::L1, SpidLevel::L2, SpidLevel::L3] {
        let options = AuthnOptions { level, ..L2 };
        let request = sp.authn_request("https://idp.example/sso", &options, FIXTURES_NOW);
        // HTTP-Redirect sends the unsigned XML (the signature is in the query).
        assert_eq!(
            errors(&schemas().protocol, request.xml()),
            Vec::<String>::new()
        );
        let posted = posted_xml(&sp.post_form(&request, "r").unwrap(), "SAMLRequest");
        assert_eq!(errors(&schemas().protocol, &posted), Vec::<String>::new());
    }
}

#[test]
fn logout_messages_are_schema_valid_in_both_directions() {
    let sp = sp();
    let request = sp.logout_request("https://idp.example/slo", &identity(), FIXTURES_NOW);
    assert_eq!(
        errors(&schemas().protocol, request.xml()),
        Vec::<String>::new()
    );
    let posted = posted_xml(&sp.logout_post_form(&request, "r").unwrap(), "SAMLRequest");
    assert_eq!(errors(&schemas().protocol, &posted), Vec::<String>::new());

    let from_idp = crate::logout::idp_logout_request_validated();
    let answer = sp.logout_response_to(&from_idp, "https://idp.example/slo", FIXTURES_NOW);
    assert_eq!(
        errors(&schemas().protocol, answer.xml()),
        Vec::<String>::new()
    );
    let posted = posted_xml(
        &sp.logout_response_post_form(&answer, "r").unwrap(),
        "SAMLResponse",
    );
    assert_eq!(errors(&schemas().protocol, &posted), Vec::<String>::new());
}
