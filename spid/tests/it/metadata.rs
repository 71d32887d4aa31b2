use abilita_core::PrivateKeyPem;
use abilita_spid::dsig::{TrustedKey, verify_element};
use abilita_spid::xml::parse;
use abilita_spid::{AttributeSet, Billing, Contact, ServiceProvider, SpidAttribute, SpidLevel};

use crate::fixture_sp::{attributes, organization};

const ENTITY_ID: &str = "https://comune.esempio.it/spid";

pub(crate) fn public_contact() -> Contact {
    Contact::Public {
        ipa_code: "c_h501".into(),
        email: "protocollo@comune.esempio.it".into(),
        phone: Some("+390612345678".into()),
    }
}

/// The SP certificate in AgID's profile for `contact` (the same key,
/// `sp.key`; made with openssl, see `tests/data/README.md`).
pub(crate) fn certificate_for(contact: &Contact) -> &'static str {
    match contact {
        Contact::Private {
            vat_number: Some(_),
            ..
        } => include_str!("../data/sp-avviso29-private-vat.cert"),
        Contact::Private { .. } => include_str!("../data/sp-avviso29-private-cf.cert"),
        _ => include_str!("../data/sp-avviso29-public.cert"),
    }
}

pub(crate) fn sp(contact: Contact) -> Result<ServiceProvider, abilita_core::InvalidInput> {
    let certificate = certificate_for(&contact);
    ServiceProvider::new(
        ENTITY_ID,
        "https://comune.esempio.it",
        organization(),
        contact,
        attributes(),
        &PrivateKeyPem::new(include_str!("../data/sp.key")),
        certificate,
        SpidLevel::L2,
    )
}

/// An SP whose key is EC P-256 (ECDSA-SHA256 signatures): on loopback
/// only, as the SPID rules want RSA of a production SP.
pub(crate) fn ec_sp() -> ServiceProvider {
    ServiceProvider::new(
        "http://127.0.0.1:8000/metadata",
        "http://127.0.0.1:8000",
        organization(),
        public_contact(),
        attributes(),
        &PrivateKeyPem::new(include_str!("../data/ec-p256.key")),
        include_str!("../data/ec-p256.cert"),
        SpidLevel::L2,
    )
    .unwrap()
}

/// Element names in document order, signature content left out.
fn shape(xml: &str) -> Vec<String> {
    let document = roxmltree::Document::parse(xml).unwrap();
    document
        .descendants()
        .filter(|n| n.is_element())
        .filter(|n| {
            !n.ancestors()
                .skip(1)
                .any(|a| a.tag_name().name() == "Signature")
        })
        .map(|n| {
            format!(
                "{}|{}",
                n.tag_name().namespace().unwrap_or(""),
                n.tag_name().name()
            )
        })
        .collect()
}

#[test]
fn public_metadata_is_signed_and_has_the_shape_that_passes_spid_sp_test() {
    let metadata = sp(public_contact()).unwrap().metadata().unwrap();
    let document = parse(&metadata).unwrap();
    let key = TrustedKey::from_certificate_pem(include_str!("../data/sp.cert")).unwrap();
    verify_element(&document, &metadata, document.root_element(), &[key]).unwrap();
    assert_eq!(
        document.root_element().attribute("entityID"),
        Some(ENTITY_ID)
    );

    assert_eq!(
        shape(&metadata),
        shape(include_str!("../data/sp-metadata-template.xml")),
        "the golden template's elements, in order"
    );
    let acs = document
        .descendants()
        .find(|n| n.tag_name().name() == "AssertionConsumerService")
        .unwrap();
    assert_eq!(
        (
            acs.attribute("index"),
            acs.attribute("isDefault"),
            acs.attribute("Location")
        ),
        (
            Some("0"),
            Some("true"),
            Some("https://comune.esempio.it/acs")
        )
    );
    let requested: Vec<_> = document
        .descendants()
        .filter(|n| n.tag_name().name() == "RequestedAttribute")
        .filter_map(|n| n.attribute("Name"))
        .collect();
    assert_eq!(requested, ["fiscalNumber", "name", "familyName", "email"]);
}

/// A private SP (identified by its VAT number) with its billing block.
pub(crate) fn private_contact() -> Contact {
    let billing = Billing {
        vat_number: "02468135791".into(),
        company: "Destinatario Fatturazione".into(),
        street: "Via Roma".into(),
        number: "1".into(),
        postcode: "00100".into(),
        municipality: "Roma".into(),
        province: "RM".into(),
        email: "fatture@esempio.it".into(),
    };
    Contact::Private {
        vat_number: Some("IT12345678901".into()),
        fiscal_code: None,
        email: "spid@esempio.it".into(),
        phone: None,
        billing: Box::new(billing),
    }
}

#[test]
fn private_metadata_carries_vat_number_and_billing() {
    let contact = private_contact();
    let metadata = sp(contact).unwrap().metadata().unwrap();
    let document = parse(&metadata).unwrap();
    let contacts: Vec<_> = document
        .descendants()
        .filter(|n| n.tag_name().name() == "ContactPerson")
        .filter_map(|n| n.attribute("contactType"))
        .collect();
    assert_eq!(contacts, ["other", "billing"]);
    assert!(
        document
            .descendants()
            .any(|n| n.tag_name().name() == "Private")
    );
    assert!(
        document
            .descendants()
            .any(|n| n.tag_name().name() == "CessionarioCommittente")
    );
}

#[test]
fn what_spid_forbids_is_refused_when_configured() {
    let mailto = Contact::Public {
        ipa_code: "c_h501".into(),
        email: "mailto:protocollo@comune.esempio.it".into(),
        phone: None,
    };
    assert_eq!(sp(mailto).unwrap_err().field(), "contact.email");
    let spaced = Contact::Public {
        ipa_code: "c_h501".into(),
        email: "p@c.it".into(),
        phone: Some("+39 06 1234".into()),
    };
    assert_eq!(sp(spaced).unwrap_err().field(), "contact.phone");
    let repeated = ServiceProvider::new(
        ENTITY_ID,
        "https://comune.esempio.it",
        organization(),
        public_contact(),
        vec![AttributeSet {
            service_name: "x".into(),
            attributes: vec![SpidAttribute::Name, SpidAttribute::Name],
        }],
        &PrivateKeyPem::new(include_str!("../data/sp.key")),
        certificate_for(&public_contact()),
        SpidLevel::L1,
    );
    assert_eq!(repeated.unwrap_err().field(), "attribute_sets");
    // A key that is not the certificate's: refused at start-up (the
    // certificate's own tests are in `certificate.rs`).
    let mismatched = ServiceProvider::new(
        ENTITY_ID,
        "https://comune.esempio.it",
        organization(),
        public_contact(),
        attributes(),
        &PrivateKeyPem::new(include_str!("../../../core/tests/data/rsa-2048.key")),
        certificate_for(&public_contact()),
        SpidLevel::L1,
    );
    assert_eq!(mismatched.unwrap_err().field(), "certificate");
    assert_eq!(
        SpidAttribute::from_name("fiscalNumber"),
        Some(SpidAttribute::FiscalNumber)
    );
    assert_eq!(SpidAttribute::from_name("codiceFiscale"), None);
}

#[test]
fn an_ec_p256_sp_signs_its_metadata_with_ecdsa_sha256() {
    let metadata = ec_sp().metadata().unwrap();
    let document = parse(&metadata).unwrap();
    let method = document
        .descendants()
        .find(|n| n.tag_name().name() == "SignatureMethod")
        .and_then(|n| n.attribute("Algorithm"));
    assert_eq!(
        method,
        Some("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256")
    );
    let key = TrustedKey::from_certificate_pem(include_str!("../data/ec-p256.cert")).unwrap();
    verify_element(&document, &metadata, document.root_element(), &[key]).unwrap();
    let rsa = TrustedKey::from_certificate_pem(include_str!("../data/sp.cert")).unwrap();
    assert!(verify_element(&document, &metadata, document.root_element(), &[rsa]).is_err());
}
