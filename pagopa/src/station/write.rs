//! The station's answers, written to `paForNode.xsd`: the root element
//! qualified (and declaring its namespace, so that it stands alone), its
//! children unqualified, every value within the schema's bounds.

use std::fmt::Write as _;

use abilita_core::EuroCents;
use abilita_core::xml::write::{escape, escape_into};
use time::Date;

use super::fault::{Fault, FaultCode};
use super::read::char_len;
use crate::gpd::{Debtor, DebtorKind, Metadata, PaymentOption, TransferDestination};
use crate::{CreditorCode, NoticeNumber};

/// The namespace of paForNode's messages.
pub(super) const NAMESPACE: &str = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd";
/// SOAP 1.1's envelope namespace, as a literal for `concat!`.
macro_rules! soap_envelope {
    () => {
        "http://schemas.xmlsoap.org/soap/envelope/"
    };
}
/// SOAP 1.1's envelope namespace.
pub(super) const SOAP_ENVELOPE: &str = soap_envelope!();

/// The highest amount `stAmount` allows (999,999,999.99 euro).
const MAX_AMOUNT: u64 = 99_999_999_999;
/// The IBAN key of the postal account a PAGOPA transfer type asks for.
const POSTAL_IBAN_KEY: &str = "IBANAPPOGGIO";

/// A value the creditor's data holds that `paForNode.xsd` cannot carry:
/// the creditor's data must change, and the Nodo is told
/// `PAA_SYSTEM_ERROR`.
pub(super) fn unfit(what: &str, rule: &str) -> Fault {
    Fault::new(
        FaultCode::SystemError,
        format!("the creditor's {what} {rule}"),
    )
}

/// A response body under construction.
pub(super) struct Body(String);

impl Body {
    /// `<paf:{root} xmlns:paf=…>` then `outcome`.
    pub(super) fn open(root: &str, ok: bool) -> Self {
        let mut out = String::with_capacity(2048);
        out.push_str(ENVELOPE_OPEN);
        for part in [
            "<paf:",
            root,
            r#" xmlns:paf=""#,
            NAMESPACE,
            r#""><outcome>"#,
            if ok { "OK" } else { "KO" },
            "</outcome>",
        ] {
            out.push_str(part);
        }
        Self(out)
    }

    /// A KO answer: `outcome` then the `fault`, whose `id` is the creditor's
    /// fiscal code as the Nodo expects from a creditor.
    pub(super) fn fault(root: &str, fault: &Fault, creditor_id: &str) -> String {
        let mut body = Self::open(root, false);
        body.raw("<fault>");
        body.text("faultCode", fault.code.code());
        body.text("faultString", fault.code.fault_string());
        body.text("id", creditor_id);
        if !fault.description.is_empty() {
            body.text("description", &fault.description);
        }
        body.raw("</fault>");
        body.close(root)
    }

    pub(super) fn raw(&mut self, markup: &str) {
        self.0.push_str(markup);
    }

    /// `<name>value</name>`, escaped.
    pub(super) fn text(&mut self, name: &str, value: &str) {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        escape_into(&mut self.0, value);
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
    }

    /// `text` after checking `value` has `1..=max` characters.
    pub(super) fn bounded(
        &mut self,
        name: &str,
        value: &str,
        max: usize,
        what: &str,
    ) -> Result<(), Fault> {
        let length = char_len(value);
        if length == 0 || length > max {
            return Err(unfit(
                what,
                &format!("must be 1 to {max} characters for paForNode, got {length}"),
            ));
        }
        self.text(name, value);
        Ok(())
    }

    /// An amount, `\d+\.\d{2}`, not zero, at most 999,999,999.99.
    pub(super) fn amount(
        &mut self,
        name: &str,
        amount: EuroCents,
        what: &str,
    ) -> Result<(), Fault> {
        if amount.cents() == 0 || amount.cents() > MAX_AMOUNT {
            return Err(unfit(
                what,
                "must be 0.01 to 999999999.99 euro for paForNode",
            ));
        }
        let cents = amount.cents();
        let _ = write!(
            self.0,
            "<{name}>{}.{:02}</{name}>",
            cents / 100,
            cents % 100
        );
        Ok(())
    }

    pub(super) fn date(&mut self, name: &str, date: Date) -> Result<(), Fault> {
        if !(1..=9999).contains(&date.year()) {
            return Err(unfit("due date", "must fall in the years 1 to 9999"));
        }
        let _ = write!(
            self.0,
            "<{name}>{:04}-{:02}-{:02}</{name}>",
            date.year(),
            u8::from(date.month()),
            date.day()
        );
        Ok(())
    }

    /// The whole SOAP envelope, the answer closed.
    pub(super) fn close(mut self, root: &str) -> String {
        self.0.push_str("</paf:");
        self.0.push_str(root);
        self.0.push('>');
        self.0.push_str(ENVELOPE_CLOSE);
        self.0
    }
}

/// What comes before and after the answer element.
const ENVELOPE_OPEN: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv=""#,
    soap_envelope!(),
    r#""><soapenv:Body>"#
);
const ENVELOPE_CLOSE: &str = "</soapenv:Body></soapenv:Envelope>";

/// A SOAP 1.1 fault, for a request the station could not read as a
/// paForNode message at all.
pub(super) fn soap_fault(code: &str, reason: &str) -> String {
    format!(
        "{ENVELOPE_OPEN}<soapenv:Fault><faultcode>soapenv:{code}</faultcode><faultstring>{}</faultstring></soapenv:Fault>{ENVELOPE_CLOSE}",
        escape(reason)
    )
}

/// The position's facts the answers repeat.
pub(super) struct Payee<'a> {
    pub(super) creditor: &'a CreditorCode,
    pub(super) company_name: &'a str,
    pub(super) office_name: Option<&'a str>,
}

/// `paymentList` … `officeName` of a verify (or demand) answer.
pub(super) fn payment_description(
    body: &mut Body,
    payee: &Payee<'_>,
    option: &PaymentOption,
) -> Result<(), Fault> {
    body.raw("<paymentList><paymentOptionDescription>");
    body.amount("amount", option.amount, "option amount")?;
    body.text("options", "EQ");
    body.date("dueDate", option.due_date.date())?;
    body.bounded(
        "detailDescription",
        &option.description,
        140,
        "option description",
    )?;
    let all_postal = option.transfers.iter().all(|t| match &t.destination {
        TransferDestination::Account { iban, postal_iban } => {
            postal_iban.is_some() || iban.italian().is_some_and(|b| b.is_postal())
        }
        TransferDestination::Stamp { .. } => false,
    });
    body.text("allCCP", if all_postal { "true" } else { "false" });
    body.raw("</paymentOptionDescription></paymentList>");
    body.bounded(
        "paymentDescription",
        &option.description,
        140,
        "option description",
    )?;
    body.text("fiscalCodePA", payee.creditor.as_str());
    body.bounded("companyName", payee.company_name, 140, "company name")?;
    if let Some(office) = payee.office_name {
        body.bounded("officeName", office, 140, "office name")?;
    }
    Ok(())
}

/// How the PSP will pay (`transferType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TransferType {
    /// A postal bulletin: transfer 1 must credit a postal account.
    Postal,
    /// pagoPA with a postal account beside each transfer (`IBANAPPOGGIO`).
    PagoPa,
}

/// `data` of an activation answer: `ctPaymentPA` (V1) or `ctPaymentPAV2`.
pub(super) fn payment_data(
    body: &mut Body,
    payee: &Payee<'_>,
    debtor: &Debtor,
    option: &PaymentOption,
    v2: bool,
    transfer_type: Option<TransferType>,
) -> Result<(), Fault> {
    let sum = option
        .transfers
        .iter()
        .try_fold(EuroCents::ZERO, |sum, t| sum.checked_add(t.amount));
    if sum != Some(option.amount) {
        return Err(unfit("option", "amount must be the sum of its transfers"));
    }
    if option.transfers.is_empty() || option.transfers.len() > 5 {
        return Err(unfit("option", "must have 1 to 5 transfers"));
    }
    body.raw("<data>");
    body.bounded("creditorReferenceId", option.iuv.as_str(), 35, "IUV")?;
    body.amount("paymentAmount", option.amount, "option amount")?;
    body.date("dueDate", option.due_date.date())?;
    body.bounded(
        "description",
        &option.description,
        140,
        "option description",
    )?;
    body.bounded("companyName", payee.company_name, 140, "company name")?;
    if let Some(office) = payee.office_name {
        body.bounded("officeName", office, 140, "office name")?;
    }
    subject(body, debtor)?;
    body.raw("<transferList>");
    for transfer in &option.transfers {
        body.raw("<transfer>");
        let _ = write!(body.0, "<idTransfer>{}</idTransfer>", transfer.id);
        body.amount("transferAmount", transfer.amount, "transfer amount")?;
        let beneficiary = transfer
            .organization_fiscal_code
            .as_ref()
            .map_or(payee.creditor.as_str(), |code| code.as_str());
        body.text("fiscalCodePA", beneficiary);
        let mut metadata: Vec<(&str, &str)> = transfer
            .metadata
            .iter()
            .map(|m| (m.key.as_str(), m.value.as_str()))
            .collect();
        match &transfer.destination {
            TransferDestination::Account { iban, postal_iban } => {
                let postal = postal_iban.as_ref().or_else(|| {
                    iban.italian()
                        .is_some_and(|b| b.is_postal())
                        .then_some(iban)
                });
                let credited = match transfer_type {
                    Some(TransferType::Postal) if transfer.id == 1 => postal.ok_or_else(|| {
                        Fault::new(
                            FaultCode::Semantics,
                            "a postal payment needs a postal account on transfer 1, which this notice has not",
                        )
                    })?,
                    _ => iban,
                };
                if let Some(postal) = postal_iban
                    .as_ref()
                    .filter(|_| v2 && transfer_type == Some(TransferType::PagoPa))
                {
                    metadata.push((POSTAL_IBAN_KEY, postal.as_str()));
                }
                body.text("IBAN", credited.as_str());
            }
            TransferDestination::Stamp { stamp } if v2 => {
                body.raw("<richiestaMarcaDaBollo>");
                body.bounded(
                    "hashDocumento",
                    &stamp.hash_document,
                    72,
                    "stamp document hash",
                )?;
                body.text("tipoBollo", &stamp.stamp_type);
                body.text("provinciaResidenza", &stamp.provincial_residence);
                body.raw("</richiestaMarcaDaBollo>");
            }
            TransferDestination::Stamp { .. } => {
                return Err(Fault::new(
                    FaultCode::Semantics,
                    "a digital revenue stamp can be paid through paGetPaymentV2 only",
                ));
            }
        }
        body.bounded(
            "remittanceInformation",
            &transfer.remittance_information,
            140,
            "remittance information",
        )?;
        body.text("transferCategory", transfer.category.as_str());
        map_entries(body, &metadata)?;
        body.raw("</transfer>");
    }
    body.raw("</transferList>");
    let option_metadata: Vec<(&str, &str)> = option
        .metadata
        .iter()
        .map(|Metadata { key, value }| (key.as_str(), value.as_str()))
        .collect();
    map_entries(body, &option_metadata)?;
    body.raw("</data>");
    Ok(())
}

/// `metadata` with 1 to 15 entries, or nothing when there are none.
fn map_entries(body: &mut Body, entries: &[(&str, &str)]) -> Result<(), Fault> {
    if entries.is_empty() {
        return Ok(());
    }
    if entries.len() > 15 {
        return Err(unfit(
            "metadata",
            "must have at most 15 entries for paForNode",
        ));
    }
    body.raw("<metadata>");
    for (key, value) in entries {
        body.raw("<mapEntry>");
        body.bounded("key", key, 140, "metadata key")?;
        body.bounded("value", value, 140, "metadata value")?;
        body.raw("</mapEntry>");
    }
    body.raw("</metadata>");
    Ok(())
}

/// `debtor` (`ctSubject`). Optional address fields that do not fit the
/// schema's patterns are left out rather than failing the payment.
fn subject(body: &mut Body, debtor: &Debtor) -> Result<(), Fault> {
    body.raw("<debtor><uniqueIdentifier>");
    let kind = match debtor.kind {
        DebtorKind::Natural => "F",
        DebtorKind::Legal => "G",
    };
    body.text("entityUniqueIdentifierType", kind);
    body.bounded(
        "entityUniqueIdentifierValue",
        &debtor.fiscal_code,
        16,
        "debtor's fiscal code",
    )?;
    body.raw("</uniqueIdentifier>");
    body.bounded("fullName", &debtor.full_name, 70, "debtor's full name")?;
    let optional = [
        ("streetName", debtor.street_name.as_deref(), 70),
        ("civicNumber", debtor.civic_number.as_deref(), 16),
        ("postalCode", debtor.postal_code.as_deref(), 16),
        ("city", debtor.city.as_deref(), 35),
        (
            "stateProvinceRegion",
            debtor.province.as_deref().or(debtor.region.as_deref()),
            35,
        ),
    ];
    for (name, value, max) in optional {
        if let Some(value) = value.filter(|v| (1..=max).contains(&char_len(v))) {
            body.text(name, value);
        }
    }
    if let Some(country) = debtor
        .country
        .as_deref()
        .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        body.text("country", country);
    }
    if let Some(email) = debtor.email.as_deref().filter(|e| is_schema_email(e)) {
        body.text("e-mail", email);
    }
    body.raw("</debtor>");
    Ok(())
}

/// `stEMail`: `[a-zA-Z0-9_\.\+\-]+@[a-zA-Z0-9\-]+(\.[a-zA-Z0-9\-]+)*`, at
/// most 256 characters.
fn is_schema_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.+-".contains(&b));
    let domain_ok = domain.split('.').all(|label| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    email.len() <= 256 && local_ok && domain_ok
}

/// `qrCode` of a demand answer.
pub(super) fn qr_code(body: &mut Body, creditor: &CreditorCode, notice: &NoticeNumber) {
    body.raw("<qrCode>");
    body.text("fiscalCode", creditor.as_str());
    body.text("noticeNumber", notice.as_str());
    body.raw("</qrCode>");
}
