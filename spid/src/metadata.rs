//! The SP metadata (Avviso 29 v3), generated and signed.

use abilita_core::InvalidInput;

use crate::attributes::SpidAttribute;
use crate::config::{AggregatedParty, Billing, ConfigRule, Contact, ServiceProvider};
use crate::dsig::{SignError, sign_template, signature_template};
use crate::xml::write::escape;

const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const SPID: &str = "https://spid.gov.it/saml-extensions";
const FPA: &str = "https://spid.gov.it/invoicing-extensions";
const CIE: &str = "https://www.cartaidentita.interno.gov.it/saml-extensions";

/// The attributes the CIE SAML profile releases; a CIE metadata asks for
/// these only.
pub const CIE_ATTRIBUTES: [SpidAttribute; 4] = [
    SpidAttribute::Name,
    SpidAttribute::FamilyName,
    SpidAttribute::DateOfBirth,
    SpidAttribute::FiscalNumber,
];

/// What the CIE federation's metadata says of the SP beyond its SPID
/// contact (the Ministry of the Interior's "Manuale operativo per i
/// fornitori di servizi", the `cie:` extensions of the `administrative`
/// contact).
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::exhaustive_structs,
    reason = "built by callers with a literal (or `..Default::default()`)"
)]
pub struct CieContact {
    /// The seat's municipality, by its cadastral (Belfiore) code (`H501`).
    pub municipality: String,
    /// The seat's province (`RM`), when in Italy.
    pub province: Option<String>,
    /// A private SP's ATECO/NACE rev. 2 code (`62.01.00`); required for a
    /// private SP.
    pub nace2_code: Option<String>,
}

/// Which federation a metadata document is for.
#[derive(Clone, Copy)]
enum Federation<'a> {
    Spid,
    /// With the CIE `administrative` contact, already written.
    Cie(&'a str),
}
const POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

impl ServiceProvider {
    /// The signed metadata document, to publish at `/metadata` and send to
    /// AgID.
    ///
    /// # Errors
    /// When the signature cannot be made or does not verify with the
    /// configured certificate.
    pub fn metadata(&self) -> Result<String, SignError> {
        self.metadata_for(Federation::Spid)
    }

    /// The signed metadata for the CIE federation ("Entra con CIE"), to
    /// send to the Ministry of the Interior: the same SP, its attribute
    /// sets cut to [`CIE_ATTRIBUTES`], and the `administrative` contact
    /// with the `cie:` extensions.
    ///
    /// # Errors
    /// [`InvalidInput`] when the SP cannot be described for CIE: an
    /// attribute set with none of the CIE attributes, a private SP without
    /// VAT number, fiscal code and NACE2 code (the three are required), an
    /// empty municipality; or when the signature cannot be made.
    pub fn cie_metadata(&self, cie: &CieContact) -> Result<String, InvalidInput> {
        let fail =
            |field: &'static str, rule: &'static str| InvalidInput::new(field, ConfigRule(rule));
        if self
            .attribute_sets
            .iter()
            .any(|set| !set.attributes.iter().any(|a| CIE_ATTRIBUTES.contains(a)))
        {
            return Err(fail(
                "attribute_sets",
                "each set asks for at least one CIE attribute (name, familyName, dateOfBirth, fiscalNumber)",
            ));
        }
        if cie.municipality.trim().is_empty() {
            return Err(fail("cie.municipality", "the seat's cadastral code (H501)"));
        }
        if let Contact::Private {
            vat_number,
            fiscal_code,
            ..
        } = &self.contact
            && (vat_number.is_none() || fiscal_code.is_none() || cie.nace2_code.is_none())
        {
            return Err(fail(
                "cie.nace2_code",
                "a private CIE SP publishes its VAT number, fiscal code and NACE2 code",
            ));
        }
        let contact = self.cie_contact(cie).ok_or_else(|| {
            fail(
                "contact",
                "the CIE federation's metadata of an aggregated SP is not covered (Avviso 19 is SPID's)",
            )
        })?;
        self.metadata_for(Federation::Cie(&contact))
            .map_err(|error| InvalidInput::new("certificate", error))
    }

    fn metadata_for(&self, federation: Federation<'_>) -> Result<String, SignError> {
        let certificate: String = self
            .certificate_pem
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let id = format!("_{}", hex_id(self.entity_id.as_bytes()));
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor xmlns:md=\"{MD}\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" {extensions} entityID=\"{}\" ID=\"{id}\">",
            escape(&self.entity_id),
            extensions = match federation {
                Federation::Spid => format!("xmlns:spid=\"{SPID}\""),
                Federation::Cie(_) => format!("xmlns:cie=\"{CIE}\""),
            },
        );
        xml.push_str(&signature_template(&id, &self.key));
        xml.push_str(&format!(
            "<md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\" AuthnRequestsSigned=\"true\" WantAssertionsSigned=\"true\">\
             <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
             <md:KeyDescriptor use=\"encryption\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
             <md:SingleLogoutService Binding=\"{POST}\" Location=\"{slo}\"/>\
             <md:SingleLogoutService Binding=\"{REDIRECT}\" Location=\"{slo}\"/>\
             <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>\
             <md:AssertionConsumerService index=\"0\" isDefault=\"true\" Binding=\"{POST}\" Location=\"{acs}\"/>",
            slo = escape(&self.slo_url()),
            acs = escape(&self.acs_url()),
        ));
        for (index, set) in self.attribute_sets.iter().enumerate() {
            xml.push_str(&format!(
                "<md:AttributeConsumingService index=\"{index}\"><md:ServiceName xml:lang=\"it\">{}</md:ServiceName>",
                escape(&set.service_name)
            ));
            let cie = matches!(federation, Federation::Cie(_));
            for attribute in set
                .attributes
                .iter()
                .filter(|a| !cie || CIE_ATTRIBUTES.contains(a))
            {
                xml.push_str(&format!(
                    "<md:RequestedAttribute Name=\"{}\"/>",
                    attribute.name()
                ));
            }
            xml.push_str("</md:AttributeConsumingService>");
        }
        let organization = &self.organization;
        xml.push_str(&format!(
            "</md:SPSSODescriptor><md:Organization><md:OrganizationName xml:lang=\"it\">{}</md:OrganizationName>\
             <md:OrganizationDisplayName xml:lang=\"it\">{}</md:OrganizationDisplayName>\
             <md:OrganizationURL xml:lang=\"it\">{}</md:OrganizationURL></md:Organization>",
            escape(&organization.name),
            escape(&organization.display_name),
            escape(&organization.url)
        ));
        xml.push_str(&match federation {
            Federation::Spid => self.contacts(),
            Federation::Cie(contact) => contact.to_owned(),
        });
        xml.push_str("</md:EntityDescriptor>");
        sign_template(&xml, &self.key, &self.certificate_pem)
    }

    /// The `other` contact (and, for private SPs, the `billing` one).
    fn contacts(&self) -> String {
        let phone = |phone: &Option<String>| {
            phone
                .as_ref()
                .map(|p| format!("<md:TelephoneNumber>{}</md:TelephoneNumber>", escape(p)))
                .unwrap_or_default()
        };
        match &self.contact {
            Contact::Public {
                ipa_code,
                email,
                phone: number,
            } => format!(
                "<md:ContactPerson contactType=\"other\"><md:Extensions><spid:IPACode>{}</spid:IPACode><spid:Public/></md:Extensions>\
                 <md:EmailAddress>{}</md:EmailAddress>{}</md:ContactPerson>",
                escape(ipa_code),
                escape(email),
                phone(number)
            ),
            Contact::Private {
                vat_number,
                fiscal_code,
                email,
                phone: number,
                billing,
            } => format!(
                "<md:ContactPerson contactType=\"other\"><md:Extensions>{}{}<spid:Private/></md:Extensions>\
                 <md:EmailAddress>{}</md:EmailAddress>{}</md:ContactPerson>{}",
                optional("VATNumber", vat_number),
                optional("FiscalCode", fiscal_code),
                escape(email),
                phone(number),
                billing_contact(billing),
            ),
            Contact::Aggregated(aggregation) => {
                let aggregator = &aggregation.aggregator;
                let mut xml = format!(
                    "<md:ContactPerson contactType=\"other\" spid:entityType=\"spid:aggregator\"><md:Extensions>{}{}{}<spid:{}/></md:Extensions>\
                     <md:Company>{}</md:Company><md:EmailAddress>{}</md:EmailAddress>{}</md:ContactPerson>",
                    optional("IPACode", &aggregator.ipa_code),
                    optional("VATNumber", &aggregator.vat_number),
                    optional("FiscalCode", &aggregator.fiscal_code),
                    aggregation.activity.element(),
                    escape(&aggregator.company),
                    escape(&aggregator.email),
                    phone(&aggregator.phone),
                );
                let aggregated = match &aggregation.aggregated {
                    Some(AggregatedParty::Public { ipa_code, email }) => Some((
                        format!(
                            "{}<spid:Public/>",
                            optional("IPACode", &Some(ipa_code.clone()))
                        ),
                        email,
                    )),
                    Some(AggregatedParty::Private {
                        vat_number,
                        fiscal_code,
                        email,
                    }) => Some((
                        format!(
                            "{}{}<spid:Private/>",
                            optional("VATNumber", vat_number),
                            optional("FiscalCode", fiscal_code)
                        ),
                        email,
                    )),
                    None => None,
                };
                if let Some((extensions, email)) = aggregated {
                    // Its Company is the OrganizationName (AgID's validator).
                    xml.push_str(&format!(
                        "<md:ContactPerson contactType=\"other\" spid:entityType=\"spid:aggregated\"><md:Extensions>{extensions}</md:Extensions>\
                         <md:Company>{}</md:Company><md:EmailAddress>{}</md:EmailAddress></md:ContactPerson>",
                        escape(&self.organization.name),
                        escape(email),
                    ));
                }
                if let Some(billing) = &aggregation.billing {
                    xml.push_str(&billing_contact(billing));
                }
                xml
            }
        }
    }
}

/// `<spid:{name}>value</spid:{name}>` when there is a value.
fn optional(name: &str, value: &Option<String>) -> String {
    value
        .as_ref()
        .map(|value| format!("<spid:{name}>{}</spid:{name}>", escape(value)))
        .unwrap_or_default()
}

/// The `billing` contact with `fpa:CessionarioCommittente`.
fn billing_contact(billing: &Billing) -> String {
    format!(
        "<md:ContactPerson contactType=\"billing\"><md:Extensions xmlns:fpa=\"{FPA}\"><fpa:CessionarioCommittente>\
         <fpa:DatiAnagrafici><fpa:IdFiscaleIVA><fpa:IdPaese>IT</fpa:IdPaese><fpa:IdCodice>{}</fpa:IdCodice></fpa:IdFiscaleIVA>\
         <fpa:Anagrafica><fpa:Denominazione>{company}</fpa:Denominazione></fpa:Anagrafica></fpa:DatiAnagrafici>\
         <fpa:Sede><fpa:Indirizzo>{}</fpa:Indirizzo><fpa:NumeroCivico>{}</fpa:NumeroCivico><fpa:CAP>{}</fpa:CAP>\
         <fpa:Comune>{}</fpa:Comune><fpa:Provincia>{}</fpa:Provincia><fpa:Nazione>IT</fpa:Nazione></fpa:Sede>\
         </fpa:CessionarioCommittente></md:Extensions><md:Company>{company}</md:Company>\
         <md:EmailAddress>{}</md:EmailAddress></md:ContactPerson>",
        escape(&billing.vat_number),
        escape(&billing.street),
        escape(&billing.number),
        escape(&billing.postcode),
        escape(&billing.municipality),
        escape(&billing.province),
        escape(&billing.email),
        company = escape(&billing.company),
    )
}

impl ServiceProvider {
    /// The CIE `administrative` contact: the `cie:` extensions, then
    /// Company (required by the CIE schema), EmailAddress, TelephoneNumber;
    /// `None` for an aggregated SP.
    fn cie_contact(&self, cie: &CieContact) -> Option<String> {
        let element =
            |name: &str, value: &str| format!("<cie:{name}>{}</cie:{name}>", escape(value));
        let (extensions, email, phone) = match &self.contact {
            Contact::Public {
                ipa_code,
                email,
                phone,
            } => (
                format!("<cie:Public/>{}", element("IPACode", ipa_code)),
                email,
                phone,
            ),
            Contact::Private {
                vat_number,
                fiscal_code,
                email,
                phone,
                ..
            } => {
                let mut extensions = "<cie:Private/>".to_owned();
                for (name, value) in [
                    ("VATNumber", vat_number),
                    ("FiscalCode", fiscal_code),
                    ("NACE2Code", &cie.nace2_code),
                ] {
                    if let Some(value) = value {
                        extensions.push_str(&element(name, value));
                    }
                }
                (extensions, email, phone)
            }
            Contact::Aggregated(_) => return None,
        };
        let province = cie
            .province
            .as_ref()
            .map(|p| element("Province", p))
            .unwrap_or_default();
        let phone = phone
            .as_ref()
            .map(|p| format!("<md:TelephoneNumber>{}</md:TelephoneNumber>", escape(p)))
            .unwrap_or_default();
        Some(format!(
            "<md:ContactPerson contactType=\"administrative\"><md:Extensions>{extensions}{}{province}<cie:Country>IT</cie:Country></md:Extensions>\
             <md:Company>{}</md:Company><md:EmailAddress>{}</md:EmailAddress>{phone}</md:ContactPerson>",
            element("Municipality", &cie.municipality),
            escape(&self.organization.name),
            escape(email),
        ))
    }
}

/// A stable XML ID derived from the entity id: metadata is re-signed, not
/// renamed, when regenerated.
fn hex_id(seed: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, seed);
    digest
        .as_ref()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}
