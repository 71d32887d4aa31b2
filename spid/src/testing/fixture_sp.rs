//! The SP and the AuthnRequest spid-sp-test's Response fixtures were made
//! for (the Responses themselves are in `tests/data/responses`).

use abilita_core::PrivateKeyPem;

use crate::{
    AttributeSet, Comparison, Contact, Organization, PendingRequest, ServiceProvider,
    SpidAttribute, SpidLevel,
};
use time::OffsetDateTime;
use time::macros::datetime;

/// An instant at which the fixtures are valid.
pub const FIXTURES_NOW: OffsetDateTime = datetime!(2026-11-26 08:05:30 UTC);

/// The municipality of every test SP.
pub fn organization() -> Organization {
    Organization {
        name: "Comune di Esempio".into(),
        display_name: "Comune di Esempio".into(),
        url: "https://www.comune.esempio.it".into(),
    }
}

/// The one AttributeConsumingService of every test SP.
pub fn attributes() -> Vec<AttributeSet> {
    vec![AttributeSet {
        service_name: "Servizi online del Comune".into(),
        attributes: vec![
            SpidAttribute::FiscalNumber,
            SpidAttribute::Name,
            SpidAttribute::FamilyName,
            SpidAttribute::Email,
        ],
    }]
}

/// The SP the fixtures were made for (its floor: SpidL2).
pub fn sp() -> ServiceProvider {
    sp_at(SpidLevel::L2)
}

/// That SP with the floor `min_level`.
pub fn sp_at(min_level: SpidLevel) -> ServiceProvider {
    ServiceProvider::new(
        "http://127.0.0.1:8000/metadata",
        "http://127.0.0.1:8000",
        organization(),
        Contact::Public {
            ipa_code: "c_h501".into(),
            email: "protocollo@comune.esempio.it".into(),
            phone: None,
        },
        attributes(),
        &PrivateKeyPem::new(include_str!("../../tests/data/sp.key")),
        include_str!("../../tests/data/sp.cert"),
        min_level,
    )
    .unwrap_or_else(|error| panic!("the fixtures' SP: {error}"))
}

/// The AuthnRequest the fixtures answer (`authn-request.xml`).
pub fn pending() -> PendingRequest {
    PendingRequest {
        id: "_74ca5abb2bfc40da9871a7e15481862c".into(),
        idp_entity_id: "https://localhost:8443".into(),
        issued_at: datetime!(2026-11-26 08:04:49.709 UTC),
        level: SpidLevel::L2,
        comparison: Comparison::Minimum,
    }
}
