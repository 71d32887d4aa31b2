//! The SP metadata (Avviso 29 v3), generated and signed.

use crate::config::{Contact, ServiceProvider};
use crate::dsig::{SignError, sign_template, signature_template};
use crate::xml::write::escape;

const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const SPID: &str = "https://spid.gov.it/saml-extensions";
const FPA: &str = "https://spid.gov.it/invoicing-extensions";
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
        let certificate: String = self
            .certificate_pem
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let id = format!("_{}", hex_id(self.entity_id.as_bytes()));
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor xmlns:md=\"{MD}\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" xmlns:spid=\"{SPID}\" entityID=\"{}\" ID=\"{id}\">",
            escape(&self.entity_id)
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
            for attribute in &set.attributes {
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
        xml.push_str(&self.contacts());
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
            } => {
                let vat = vat_number
                    .as_ref()
                    .map(|v| format!("<spid:VATNumber>{}</spid:VATNumber>", escape(v)))
                    .unwrap_or_default();
                let cf = fiscal_code
                    .as_ref()
                    .map(|c| format!("<spid:FiscalCode>{}</spid:FiscalCode>", escape(c)))
                    .unwrap_or_default();
                format!(
                    "<md:ContactPerson contactType=\"other\"><md:Extensions>{vat}{cf}<spid:Private/></md:Extensions>\
                     <md:EmailAddress>{}</md:EmailAddress>{}</md:ContactPerson>\
                     <md:ContactPerson contactType=\"billing\"><md:Extensions xmlns:fpa=\"{FPA}\"><fpa:CessionarioCommittente>\
                     <fpa:DatiAnagrafici><fpa:IdFiscaleIVA><fpa:IdPaese>IT</fpa:IdPaese><fpa:IdCodice>{}</fpa:IdCodice></fpa:IdFiscaleIVA>\
                     <fpa:Anagrafica><fpa:Denominazione>{company}</fpa:Denominazione></fpa:Anagrafica></fpa:DatiAnagrafici>\
                     <fpa:Sede><fpa:Indirizzo>{}</fpa:Indirizzo><fpa:NumeroCivico>{}</fpa:NumeroCivico><fpa:CAP>{}</fpa:CAP>\
                     <fpa:Comune>{}</fpa:Comune><fpa:Provincia>{}</fpa:Provincia><fpa:Nazione>IT</fpa:Nazione></fpa:Sede>\
                     </fpa:CessionarioCommittente></md:Extensions><md:Company>{company}</md:Company>\
                     <md:EmailAddress>{}</md:EmailAddress></md:ContactPerson>",
                    escape(email),
                    phone(number),
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
        }
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
