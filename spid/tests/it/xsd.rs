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
    cie_metadata: XsdValidator,
    sp_metadata: XsdValidator,
    protocol: XsdValidator,
}

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas {
        sp_metadata_av29: compile("saml-schema-metadata-sp-spid-av29.xsd"),
        cie_metadata: compile("cie/saml-schema-metadata-sp-cie.xsd"),
        sp_metadata: compile("saml-schema-metadata-sp-spid.xsd"),
        protocol: compile("saml-schema-protocol-2.0.xsd"),
    })
}

fn compile(file: &str) -> XsdValidator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/xsd")
        .join(file);
    let folder = path.parent().unwrap().to_owned();
    // The av29 schema imports xml.xsd from the W3C's site; the copy beside
    // it is the same file, and the tests never reach the network.
    let text = std::fs::read_to_string(&path)
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

#[test]
fn the_cie_metadata_of_public_and_private_sps_is_valid_against_the_cie_schema() {
    use abilita_spid::CieContact;
    let public = crate::metadata::sp(public_contact()).unwrap();
    let cie = CieContact {
        municipality: "H501".into(),
        province: Some("RM".into()),
        nace2_code: None,
    };
    let metadata = public.cie_metadata(&cie).unwrap();
    assert_eq!(
        errors(&schemas().cie_metadata, &metadata),
        Vec::<String>::new()
    );
    assert!(metadata.contains(
        "<cie:Public/><cie:IPACode>c_h501</cie:IPACode><cie:Municipality>H501</cie:Municipality>"
    ));
    assert!(metadata.contains("contactType=\"administrative\""));
    // The CIE profile's attributes only: email is not one.
    assert!(!metadata.contains("Name=\"email\""), "{metadata}");
    // The SPID metadata is not valid for CIE, and the other way round.
    assert!(!errors(&schemas().cie_metadata, &public.metadata().unwrap()).is_empty());
    assert!(!errors(&schemas().sp_metadata_av29, &metadata).is_empty());

    // A private SP: VAT number, fiscal code and NACE2 code all required.
    let private = crate::metadata::sp(private_contact()).unwrap();
    let refused = private.cie_metadata(&cie).unwrap_err();
    assert_eq!(refused.field(), "cie.nace2_code");
    let by_both = Contact::Private {
        vat_number: Some("IT12345678901".into()),
        fiscal_code: Some("12345678901".into()),
        email: "spid@esempio.it".into(),
        phone: None,
        billing: match private_contact() {
            Contact::Private { billing, .. } => billing,
            _ => unreachable!("the private contact"),
        },
    };
    let private = crate::metadata::sp(by_both).unwrap();
    let cie = CieContact {
        nace2_code: Some("62.01.00".into()),
        ..cie
    };
    let metadata = private.cie_metadata(&cie).unwrap();
    assert_eq!(
        errors(&schemas().cie_metadata, &metadata),
        Vec::<String>::new()
    );
    assert!(metadata.contains("<cie:Private/><cie:VATNumber>IT12345678901</cie:VATNumber>"));
}

/// An aggregated SP of `activity` (Avviso SPID n. 19 v4), as the example SP
/// configures it.
pub(crate) fn aggregated_sp(
    activity: abilita_spid::AggregatorActivity,
    entity_id: &str,
    aggregated: Option<abilita_spid::AggregatedParty>,
    billing: bool,
) -> Result<abilita_spid::ServiceProvider, abilita_core::InvalidInput> {
    use abilita_spid::{Aggregation, Aggregator};
    let operator = matches!(
        activity,
        abilita_spid::AggregatorActivity::PublicOperatorFull
            | abilita_spid::AggregatorActivity::PublicOperatorLite
    );
    let billing = billing.then(|| match private_contact() {
        Contact::Private { billing, .. } => *billing,
        _ => unreachable!("the private contact"),
    });
    abilita_spid::ServiceProvider::new(
        entity_id,
        "https://aggregatore.esempio.it",
        crate::fixture_sp::organization(),
        Contact::Aggregated(Box::new(Aggregation {
            activity,
            aggregator: Aggregator {
                company: if operator {
                    "Comune di Esempio"
                } else {
                    "Aggregatore S.p.A."
                }
                .into(),
                ipa_code: operator.then(|| "c_h501".into()),
                vat_number: Some("IT12345678901".into()),
                fiscal_code: Some("12345678901".into()),
                email: "spid@aggregatore.esempio.it".into(),
                phone: Some("+390612345678".into()),
            },
            aggregated,
            billing,
        })),
        attributes(),
        &abilita_core::PrivateKeyPem::new(include_str!("../data/sp.key")),
        include_str!("../data/sp-avviso29-public.cert"),
        SpidLevel::L2,
    )
}

#[test]
fn the_metadata_of_every_aggregator_activity_is_schema_valid() {
    use abilita_spid::AggregatedParty;
    use abilita_spid::AggregatorActivity::*;
    let public = || {
        Some(AggregatedParty::Public {
            ipa_code: "c_h501".into(),
            email: "protocollo@comune.esempio.it".into(),
        })
    };
    let private = || {
        Some(AggregatedParty::Private {
            vat_number: Some("IT02468135791".into()),
            fiscal_code: None,
            email: "info@esempio.it".into(),
        })
    };
    for (activity, aggregated, billing) in [
        (PublicFull, public(), false),
        (PublicLite, public(), false),
        (PrivateFull, private(), true),
        (PrivateLite, private(), true),
        (PublicOperatorFull, None, false),
        (PublicOperatorLite, public(), false),
    ] {
        let entity_id = format!("https://aggregatore.esempio.it/{}/c_h501", activity.code());
        let sp = aggregated_sp(activity, &entity_id, aggregated, billing).unwrap();
        let metadata = sp.metadata().unwrap();
        // Avviso 29's schema allows two ContactPersons; a private
        // aggregator's metadata has three (aggregator, aggregated, billing:
        // Avviso 19). AgID's validator takes the first of its two schemas
        // that accepts the document, and the earlier SPID SP schema does.
        let schemas = schemas();
        assert_eq!(
            errors(&schemas.sp_metadata, &metadata),
            Vec::<String>::new()
        );
        let three_contacts = matches!(activity, PrivateFull | PrivateLite);
        assert_eq!(
            errors(&schemas.sp_metadata_av29, &metadata).is_empty(),
            !three_contacts,
            "{activity:?}"
        );
        assert!(
            metadata.contains(&format!("<spid:{}/>", activity.element())),
            "{activity:?}"
        );
        assert!(metadata.contains("spid:entityType=\"spid:aggregator\""));
        assert_eq!(
            metadata.contains("spid:entityType=\"spid:aggregated\""),
            activity != PublicOperatorFull
        );
        assert_eq!(metadata.contains("contactType=\"billing\""), billing);
    }
}

#[test]
fn an_aggregated_sp_breaking_avviso_19_is_refused_naming_the_rule() {
    use abilita_spid::AggregatedParty;
    use abilita_spid::AggregatorActivity::*;
    let public = || {
        Some(AggregatedParty::Public {
            ipa_code: "c_h501".into(),
            email: "protocollo@comune.esempio.it".into(),
        })
    };
    let field = |result: Result<abilita_spid::ServiceProvider, abilita_core::InvalidInput>| {
        result.unwrap_err().field().to_owned()
    };
    // The activity code is not in the entity id, or a query is.
    assert_eq!(
        field(aggregated_sp(
            PublicFull,
            "https://aggregatore.esempio.it/c_h501",
            public(),
            false
        )),
        "entity_id"
    );
    assert_eq!(
        field(aggregated_sp(
            PublicFull,
            "https://aggregatore.esempio.it/pub-ag-full?x=1",
            public(),
            false
        )),
        "entity_id"
    );
    let entity = |activity: abilita_spid::AggregatorActivity| {
        format!("https://aggregatore.esempio.it/{}/x", activity.code())
    };
    // A public activity for a private organisation, and the other way round.
    let private = Some(AggregatedParty::Private {
        vat_number: Some("IT02468135791".into()),
        fiscal_code: None,
        email: "info@esempio.it".into(),
    });
    assert_eq!(
        field(aggregated_sp(
            PublicLite,
            &entity(PublicLite),
            private,
            false
        )),
        "contact.aggregated"
    );
    assert_eq!(
        field(aggregated_sp(
            PrivateFull,
            &entity(PrivateFull),
            public(),
            true
        )),
        "contact.aggregated"
    );
    // Billing data: required for private activities, refused for public ones.
    let private = Some(AggregatedParty::Private {
        vat_number: None,
        fiscal_code: Some("02468135791".into()),
        email: "info@esempio.it".into(),
    });
    assert_eq!(
        field(aggregated_sp(
            PrivateLite,
            &entity(PrivateLite),
            private,
            false
        )),
        "contact.billing"
    );
    assert_eq!(
        field(aggregated_sp(
            PublicFull,
            &entity(PublicFull),
            public(),
            true
        )),
        "contact.billing"
    );
    // A full operator names no aggregated organisation; the others do.
    assert_eq!(
        field(aggregated_sp(
            PublicOperatorFull,
            &entity(PublicOperatorFull),
            public(),
            false
        )),
        "contact.aggregated"
    );
    assert_eq!(
        field(aggregated_sp(PublicFull, &entity(PublicFull), None, false)),
        "contact.aggregated"
    );
}
