//! The receipt the Nodo delivers (`ctReceipt`, `ctReceiptV2`), read whole.

use roxmltree::Node;
use time::{Date, PrimitiveDateTime, UtcOffset};

use abilita_core::EuroCents;

use super::fault::Fault;
use super::read::{Children, amount, boolean, date, date_time, digits, syntax, text, token};
use crate::{CreditorCode, NoticeNumber};

/// The most characters of a `receiptId` (an `xsd:string`; the Nodo's
/// payment tokens are 32): a bound, not a rule of the schema.
pub const MAX_RECEIPT_ID: usize = 256;

/// Which primitive delivered a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReceiptVersion {
    /// `paSendRT` (`ctReceipt`).
    V1,
    /// `paSendRTV2` (`ctReceiptV2`: digital stamps, fees, bundles).
    V2,
}

/// A payment receipt as the Nodo sent it. Field names are English; the
/// schema's names are beside each. `xml` keeps the `receipt` element as
/// received, for the creditor's records.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Receipt {
    /// `paSendRT` or `paSendRTV2`.
    pub version: ReceiptVersion,
    /// `receiptId`: pagoPA's payment token, unique per payment.
    pub receipt_id: String,
    /// `noticeNumber`.
    pub notice: NoticeNumber,
    /// `fiscalCode`: the creditor of the notice.
    pub creditor: CreditorCode,
    /// `creditorReferenceId`: the IUV.
    pub creditor_reference: String,
    /// `paymentAmount`: the sum of the transfers.
    pub amount: EuroCents,
    /// `description`.
    pub description: String,
    /// `companyName`.
    pub company_name: String,
    /// `officeName`.
    pub office_name: Option<String>,
    /// `debtor`.
    pub debtor: Party,
    /// `transferList`.
    pub transfers: Vec<ReceiptTransfer>,
    /// `idPSP`, `pspFiscalCode`, `pspPartitaIVA`, `PSPCompanyName`,
    /// `idChannel`, `channelDescription`.
    pub psp: Psp,
    /// `payer`, when not the debtor.
    pub payer: Option<Party>,
    /// `paymentMethod`.
    pub payment_method: Option<String>,
    /// `paymentNote` (V2; Checkout's cart id for payments started on the
    /// creditor's site).
    pub payment_note: Option<String>,
    /// `fee`: what the payer paid the PSP.
    pub fee: Option<EuroCents>,
    /// `primaryCiIncurredFee` (V2): the part of the fee the creditor bears.
    pub creditor_fee: Option<EuroCents>,
    /// `idBundle` (V2).
    pub bundle: Option<String>,
    /// `idCiBundle` (V2).
    pub creditor_bundle: Option<String>,
    /// `paymentDateTime`, as written: the Nodo writes Italian local time,
    /// with the offset only when it sends one.
    pub paid_at: Option<(PrimitiveDateTime, Option<UtcOffset>)>,
    /// `applicationDate`.
    pub application_date: Option<Date>,
    /// `transferDate`.
    pub transfer_date: Option<Date>,
    /// `metadata`.
    pub metadata: Vec<(String, String)>,
    /// `standIn`: paid while pagoPA ran in Stand-In.
    pub stand_in: bool,
    /// The `receipt` element as received.
    pub xml: String,
}

/// A debtor or payer (`ctSubject`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Party {
    /// `entityUniqueIdentifierType` `G`: a legal person; `F`: a natural one.
    pub legal_person: bool,
    /// `entityUniqueIdentifierValue`: a codice fiscale, or `ANONIMO`.
    pub id: String,
    /// `fullName`.
    pub full_name: String,
    /// `streetName`.
    pub street: Option<String>,
    /// `civicNumber`.
    pub civic_number: Option<String>,
    /// `postalCode`.
    pub postal_code: Option<String>,
    /// `city`.
    pub city: Option<String>,
    /// `stateProvinceRegion`.
    pub province_or_region: Option<String>,
    /// `country`.
    pub country: Option<String>,
    /// `e-mail`.
    pub email: Option<String>,
}

/// Who collected the payment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Psp {
    /// `idPSP`.
    pub id: String,
    /// `pspFiscalCode`.
    pub fiscal_code: Option<String>,
    /// `pspPartitaIVA`.
    pub vat_number: Option<String>,
    /// `PSPCompanyName`.
    pub company_name: String,
    /// `idChannel`.
    pub channel: String,
    /// `channelDescription`.
    pub channel_description: String,
}

/// One transfer of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiptTransfer {
    /// `idTransfer`, 1 to 5.
    pub id: u8,
    /// `transferAmount`.
    pub amount: EuroCents,
    /// `fiscalCodePA`: the beneficiary creditor.
    pub creditor: CreditorCode,
    /// `companyName` (V2).
    pub company_name: Option<String>,
    /// `IBAN`, or (V2) `MBDAttachment`.
    pub destination: Credited,
    /// `remittanceInformation`.
    pub remittance: String,
    /// `transferCategory`: the taxonomy code, as sent (the Nodo does not
    /// check it).
    pub category: String,
    /// `metadata`.
    pub metadata: Vec<(String, String)>,
}

/// Where a transfer went.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credited {
    /// `IBAN`, as sent.
    Account(String),
    /// `MBDAttachment`: the base64 of the revenue stamp bought (Agenzia
    /// delle Entrate's `marcaDaBollo` XML).
    Stamp(String),
}

/// Reads a `receipt` element.
pub(super) fn read(
    node: Node<'_, '_>,
    version: ReceiptVersion,
    source: &str,
) -> Result<Receipt, Fault> {
    let v2 = version == ReceiptVersion::V2;
    let mut fields = Children::of(node, "receipt")?;
    let receipt_id = text(fields.required("receiptId")?, 1, MAX_RECEIPT_ID)?;
    let notice_digits = digits(fields.required("noticeNumber")?, 18)?;
    let creditor_digits = digits(fields.required("fiscalCode")?, 11)?;
    let outcome = text(fields.required("outcome")?, 2, 2)?;
    if outcome != "OK" && outcome != "KO" {
        return Err(syntax("<outcome> must be OK or KO"));
    }
    let creditor_reference = text(fields.required("creditorReferenceId")?, 1, 35)?;
    let amount_paid = amount(fields.required("paymentAmount")?, false)?;
    let description = text(fields.required("description")?, 1, 140)?;
    let company_name = text(fields.required("companyName")?, 1, 140)?;
    let office_name = optional_text(&mut fields, "officeName", 140)?;
    let debtor = party(fields.required("debtor")?, "debtor")?;
    let transfers = transfer_list(fields.required("transferList")?, v2)?;
    let psp_id = text(fields.required("idPSP")?, 1, 35)?;
    let psp_fiscal_code = optional_text(&mut fields, "pspFiscalCode", 70)?;
    let psp_vat = optional_text(&mut fields, "pspPartitaIVA", 20)?;
    let psp_name = text(fields.required("PSPCompanyName")?, 1, 70)?;
    let channel = text(fields.required("idChannel")?, 1, 35)?;
    let channel_description = text(fields.required("channelDescription")?, 1, 35)?;
    let payer = fields
        .optional("payer")?
        .map(|n| party(n, "payer"))
        .transpose()?;
    let payment_method = optional_text(&mut fields, "paymentMethod", 35)?;
    let payment_note = if v2 {
        optional_text(&mut fields, "paymentNote", 210)?
    } else {
        None
    };
    let fee = fields
        .optional("fee")?
        .map(|n| amount(n, false))
        .transpose()?;
    let (creditor_fee, bundle, creditor_bundle) = if v2 {
        (
            fields
                .optional("primaryCiIncurredFee")?
                .map(|n| amount(n, false))
                .transpose()?,
            optional_text(&mut fields, "idBundle", 70)?,
            optional_text(&mut fields, "idCiBundle", 70)?,
        )
    } else {
        (None, None, None)
    };
    let paid_at = fields
        .optional("paymentDateTime")?
        .map(date_time)
        .transpose()?;
    let application_date = fields.optional("applicationDate")?.map(date).transpose()?;
    let transfer_date = fields.optional("transferDate")?.map(date).transpose()?;
    let metadata = match fields.optional("metadata")? {
        Some(node) => metadata(node)?,
        None => Vec::new(),
    };
    // The XSD says `standIn`; SANP's example writes `standin`: both read.
    let stand_in = match fields.optional("standIn")? {
        Some(node) => Some(node),
        None => fields.optional("standin")?,
    }
    .map(boolean)
    .transpose()?
    .unwrap_or(false);
    fields.finish()?;
    if outcome != "OK" {
        return Err(Fault::new(
            super::FaultCode::Semantics,
            "a receipt reports a payment made: its outcome must be OK",
        ));
    }
    let notice = NoticeNumber::new(&notice_digits).map_err(|e| {
        Fault::new(
            super::FaultCode::Semantics,
            format!("the receipt's noticeNumber is not a notice number: {e}"),
        )
    })?;
    let creditor = CreditorCode::new(&creditor_digits).map_err(|e| syntax(e.to_string()))?;
    let xml = source
        .get(node.range())
        .map(str::to_owned)
        .unwrap_or_default();
    Ok(Receipt {
        version,
        receipt_id,
        notice,
        creditor,
        creditor_reference,
        amount: amount_paid,
        description,
        company_name,
        office_name,
        debtor,
        transfers,
        psp: Psp {
            id: psp_id,
            fiscal_code: psp_fiscal_code,
            vat_number: psp_vat,
            company_name: psp_name,
            channel,
            channel_description,
        },
        payer,
        payment_method,
        payment_note,
        fee,
        creditor_fee,
        bundle,
        creditor_bundle,
        paid_at,
        application_date,
        transfer_date,
        metadata,
        stand_in,
        xml,
    })
}

fn optional_text(
    fields: &mut Children<'_, '_>,
    name: &str,
    max: usize,
) -> Result<Option<String>, Fault> {
    fields.optional(name)?.map(|n| text(n, 1, max)).transpose()
}

/// A `ctSubject`.
pub(super) fn party(node: Node<'_, '_>, name: &'static str) -> Result<Party, Fault> {
    let mut fields = Children::of(node, name)?;
    let mut id = Children::of(fields.required("uniqueIdentifier")?, "uniqueIdentifier")?;
    let kind = text(id.required("entityUniqueIdentifierType")?, 1, 1)?;
    let legal_person = match kind.as_str() {
        "G" => true,
        "F" => false,
        _ => return Err(syntax("<entityUniqueIdentifierType> must be F or G")),
    };
    let value = text(id.required("entityUniqueIdentifierValue")?, 2, 16)?;
    id.finish()?;
    let full_name = text(fields.required("fullName")?, 1, 70)?;
    let street = optional_text(&mut fields, "streetName", 70)?;
    let civic_number = optional_text(&mut fields, "civicNumber", 16)?;
    let postal_code = optional_text(&mut fields, "postalCode", 16)?;
    let city = optional_text(&mut fields, "city", 35)?;
    let province_or_region = optional_text(&mut fields, "stateProvinceRegion", 35)?;
    let country = optional_text(&mut fields, "country", 2)?;
    if country
        .as_deref()
        .is_some_and(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(syntax("<country> must be two upper-case letters"));
    }
    let email = optional_text(&mut fields, "e-mail", 256)?;
    fields.finish()?;
    Ok(Party {
        legal_person,
        id: value,
        full_name,
        street,
        civic_number,
        postal_code,
        city,
        province_or_region,
        country,
        email,
    })
}

fn transfer_list(node: Node<'_, '_>, v2: bool) -> Result<Vec<ReceiptTransfer>, Fault> {
    let mut list = Children::of(node, "transferList")?;
    let transfers = list
        .repeated("transfer", 1, 5)?
        .into_iter()
        .map(|n| transfer(n, v2))
        .collect::<Result<Vec<_>, _>>()?;
    list.finish()?;
    Ok(transfers)
}

fn transfer(node: Node<'_, '_>, v2: bool) -> Result<ReceiptTransfer, Fault> {
    let mut fields = Children::of(node, "transfer")?;
    let id = match token(fields.required("idTransfer")?)?.as_ref() {
        "1" => 1,
        "2" => 2,
        "3" => 3,
        "4" => 4,
        "5" => 5,
        _ => return Err(syntax("<idTransfer> must be 1 to 5")),
    };
    let transfer_amount = amount(fields.required("transferAmount")?, true)?;
    let creditor = CreditorCode::new(&digits(fields.required("fiscalCodePA")?, 11)?)
        .map_err(|e| syntax(e.to_string()))?;
    let company_name = if v2 {
        optional_text(&mut fields, "companyName", 140)?
    } else {
        None
    };
    let destination = match fields.optional("IBAN")? {
        Some(iban) => Credited::Account(text(iban, 1, 35)?),
        None if v2 => Credited::Stamp(text(fields.required("MBDAttachment")?, 1, usize::MAX)?),
        None => return Err(syntax("<transfer> expects <IBAN>")),
    };
    let remittance = text(fields.required("remittanceInformation")?, 1, 140)?;
    let category = text(fields.required("transferCategory")?, 1, 140)?;
    let metadata = match fields.optional("metadata")? {
        Some(node) => metadata(node)?,
        None => Vec::new(),
    };
    fields.finish()?;
    Ok(ReceiptTransfer {
        id,
        amount: transfer_amount,
        creditor,
        company_name,
        destination,
        remittance,
        category,
        metadata,
    })
}

/// A `ctMetadata`: 1 to 15 `mapEntry`.
fn metadata(node: Node<'_, '_>) -> Result<Vec<(String, String)>, Fault> {
    let mut entries = Children::of(node, "metadata")?;
    let pairs = entries
        .repeated("mapEntry", 1, 15)?
        .into_iter()
        .map(|entry| {
            let mut pair = Children::of(entry, "mapEntry")?;
            let key = text(pair.required("key")?, 1, 140)?;
            let value = text(pair.required("value")?, 1, 140)?;
            pair.finish()?;
            Ok((key, value))
        })
        .collect::<Result<Vec<_>, Fault>>()?;
    entries.finish()?;
    Ok(pairs)
}
