//! Messages as App IO defines them (`NewMessage` and friends in
//! `io-messages.services-func.index.yaml`), with IO's limits checked when the
//! values are built: nothing that IO would refuse with a 400 leaves the SDK.

use abilita_core::{
    CodiceFiscale, CodiceFiscaleKind, EuroCents, IdentifierError, IdentifierKind, InvalidReason,
    PartitaIva,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Why a message part was refused locally (the core's one shape).
pub use abilita_core::Rule as ContentRule;

/// The length IO measures: JavaScript `string.length`, i.e. UTF-16 code
/// units (an emoji counts 2).
#[must_use]
pub fn io_length(text: &str) -> usize {
    text.encode_utf16().count()
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $rule:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The smallest length IO accepts, in UTF-16 code units.
            pub const MIN: usize = $min;
            /// The largest length IO accepts, in UTF-16 code units.
            pub const MAX: usize = $max;

            /// Checks the length as IO counts it.
            ///
            /// # Errors
            /// When the text is shorter or longer than IO accepts: the rule
            /// and the length found.
            pub fn new(text: impl Into<String>) -> Result<Self, abilita_core::Length> {
                let text = text.into();
                let found = io_length(&text);
                if (Self::MIN..=Self::MAX).contains(&found) {
                    Ok(Self(text))
                } else {
                    Err(abilita_core::Length { rule: $rule, found })
                }
            }

            /// The text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

bounded_text!(
    /// A message subject: 10 to 120 UTF-16 code units. It shows in the inbox
    /// and in push notifications: keep personal data out of it.
    Subject,
    10,
    120,
    "the subject must be 10 to 120 characters (UTF-16 code units)"
);
bounded_text!(
    /// A message body in IO's markdown: 80 to 10000 UTF-16 code units,
    /// front matter included. See [`crate::markdown`] for what IO renders.
    Markdown,
    80,
    10_000,
    "the markdown must be 80 to 10000 characters (UTF-16 code units), front matter included"
);

/// A recipient: a person's codice fiscale (16 characters). IO's own pattern
/// does not verify the check character, but this SDK does; IO's sandbox
/// recipient `AAAAAA00A00A000A` is reached through
/// [`Recipient::io_sandbox`], never by loosening the check for everyone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Recipient(CodiceFiscale);

/// IO's sandbox test recipient, always among a service's authorized recipients.
pub const IO_SANDBOX_FISCAL_CODE: &str = "AAAAAA00A00A000A";

impl Recipient {
    /// A person's codice fiscale as recipient.
    ///
    /// # Errors
    /// For a legal entity's 11-digit code: IO delivers to persons only.
    pub fn new(fiscal_code: CodiceFiscale) -> Result<Self, IdentifierError> {
        match fiscal_code.kind() {
            CodiceFiscaleKind::Person => Ok(Self(fiscal_code)),
            CodiceFiscaleKind::LegalEntity => Err(IdentifierError::Invalid {
                kind: IdentifierKind::CodiceFiscale,
                reason: InvalidReason::NotAPerson,
            }),
        }
    }

    /// Parses and checks a recipient's codice fiscale.
    ///
    /// # Errors
    /// As [`CodiceFiscale::new`] and [`Recipient::new`].
    pub fn parse(text: &str) -> Result<Self, IdentifierError> {
        Self::new(CodiceFiscale::new(text)?)
    }

    /// IO's sandbox recipient `AAAAAA00A00A000A` (which fails the codice
    /// fiscale checks by design).
    #[must_use]
    #[allow(
        clippy::expect_used,
        reason = "a constant of the core's list of official test values"
    )]
    pub fn io_sandbox() -> Self {
        Self(
            CodiceFiscale::from_official_test_value(IO_SANDBOX_FISCAL_CODE)
                .expect("an official test value"),
        )
    }

    /// The codice fiscale.
    #[must_use]
    pub fn fiscal_code(&self) -> &CodiceFiscale {
        &self.0
    }

    /// The code as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// A message to send (`NewMessage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct NewMessage {
    /// The recipient.
    pub fiscal_code: Recipient,
    /// What it says.
    pub content: MessageContent,
    /// `STANDARD` (default) or `ADVANCED` (Premium contract).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_level_type: Option<FeatureLevel>,
}

/// The content of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(
    clippy::exhaustive_structs,
    reason = "a request body built by callers, field for field as the spec has it"
)]
pub struct MessageContent {
    /// The subject.
    pub subject: Subject,
    /// The body.
    pub markdown: Markdown,
    /// A due date (a reminder near it for Premium services), sent in UTC.
    #[serde(with = "utc_option", skip_serializing_if = "Option::is_none")]
    pub due_date: Option<OffsetDateTime>,
    /// A pagoPA payment notice attached to the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_data: Option<PaymentData>,
    /// Remote content held by the institution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub third_party_data: Option<ThirdPartyData>,
    /// `true`: anonymous push and no e-mail copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_secure_channels: Option<bool>,
}

impl MessageContent {
    /// A plain message: subject and markdown only.
    #[must_use]
    pub fn new(subject: Subject, markdown: Markdown) -> Self {
        Self {
            subject,
            markdown,
            due_date: None,
            payment_data: None,
            third_party_data: None,
            require_secure_channels: None,
        }
    }
}

/// `STANDARD` or `ADVANCED` (read and payment status, attachments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum FeatureLevel {
    /// The default.
    Standard,
    /// Premium.
    Advanced,
}

/// The largest amount IO accepts in a message: 9 999 999 999 cents.
pub const MAX_IO_AMOUNT: EuroCents = EuroCents::new(9_999_999_999);

/// A pagoPA notice attached to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentData {
    amount: EuroCents,
    notice_number: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    invalid_after_due_date: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    payee: Option<Payee>,
}

/// The creditor of a notice, when it is not the sending service's organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Payee {
    fiscal_code: PartitaIva,
}

impl PaymentData {
    /// A notice of `amount` (1 cent to [`MAX_IO_AMOUNT`]) with an 18-digit
    /// notice number whose first digit is 0–3 (IO's pattern
    /// `^[0123][0-9]{17}$`; the check digits are pagoPA's business and are
    /// verified by `abilita-pagopa`).
    ///
    /// # Errors
    /// An amount or notice number IO would refuse.
    pub fn new(amount: EuroCents, notice_number: &str) -> Result<Self, ContentRule> {
        if amount == EuroCents::ZERO || amount > MAX_IO_AMOUNT {
            return Err(ContentRule("the amount must be 1 to 9999999999 cents"));
        }
        let bytes = notice_number.as_bytes();
        if bytes.len() != 18
            || !matches!(bytes.first(), Some(b'0'..=b'3'))
            || !bytes.iter().all(u8::is_ascii_digit)
        {
            return Err(ContentRule(
                "the notice number must be 18 digits starting with 0, 1, 2 or 3",
            ));
        }
        Ok(Self {
            amount,
            notice_number: notice_number.to_owned(),
            invalid_after_due_date: false,
            payee: None,
        })
    }

    /// Shows the notice as expired after the message's due date.
    #[must_use]
    pub fn invalid_after_due_date(mut self) -> Self {
        self.invalid_after_due_date = true;
        self
    }

    /// Names a creditor other than the sender's organization (needs IO's
    /// payee agreement, else 403).
    #[must_use]
    pub fn payee(mut self, fiscal_code: PartitaIva) -> Self {
        self.payee = Some(Payee { fiscal_code });
        self
    }

    /// The amount.
    #[must_use]
    pub fn amount(&self) -> EuroCents {
        self.amount
    }

    /// The notice number.
    #[must_use]
    pub fn notice_number(&self) -> &str {
        &self.notice_number
    }
}

/// Remote content held by the institution (IO fetches it on display).
///
/// Built by [`ThirdPartyData::new`], which checks what IO's schema asks:
/// a non-empty id and a ULID configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThirdPartyData {
    id: String,
    configuration_id: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    has_attachments: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    has_remote_content: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    has_precondition: Option<Precondition>,
}

impl ThirdPartyData {
    /// Remote content `id` (the institution's, not empty) under the
    /// remote-content configuration `configuration_id` (a ULID the sender
    /// owns).
    ///
    /// # Errors
    /// For an empty id or a configuration id that is no ULID.
    pub fn new(id: impl Into<String>, configuration_id: &str) -> Result<Self, ContentRule> {
        let id = id.into();
        if id.is_empty() {
            return Err(ContentRule("the remote content id must not be empty"));
        }
        if !is_ulid(configuration_id) {
            return Err(ContentRule(
                "the configuration id must be a ULID: 26 characters of Crockford's base 32",
            ));
        }
        Ok(Self {
            id,
            configuration_id: configuration_id.to_owned(),
            has_attachments: false,
            has_remote_content: false,
            has_precondition: None,
        })
    }

    /// The content has attachments (the message must be `ADVANCED`).
    #[must_use]
    pub fn with_attachments(mut self) -> Self {
        self.has_attachments = true;
        self
    }

    /// The body itself is remote.
    #[must_use]
    pub fn with_remote_content(mut self) -> Self {
        self.has_remote_content = true;
        self
    }

    /// When IO shows the remote precondition.
    #[must_use]
    pub fn precondition(mut self, when: Precondition) -> Self {
        self.has_precondition = Some(when);
        self
    }

    /// The institution's id of the content.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The remote-content configuration.
    #[must_use]
    pub fn configuration_id(&self) -> &str {
        &self.configuration_id
    }

    /// Whether it has attachments.
    #[must_use]
    pub fn has_attachments(&self) -> bool {
        self.has_attachments
    }
}

/// A ULID as IO's `Ulid` format reads it: 26 characters of Crockford's
/// base 32, the first at most `7` (48 bits of time).
pub(crate) fn is_ulid(text: &str) -> bool {
    const CROCKFORD: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    text.len() == 26
        && text.bytes().all(|b| CROCKFORD.contains(&b))
        && text.as_bytes().first().is_some_and(|b| *b <= b'7')
}

/// When a remote precondition is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Precondition {
    /// Every time.
    Always,
    /// The first time.
    Once,
    /// Never.
    Never,
}

/// Whether IO may deliver to a citizen (`POST /profiles`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Profile {
    /// Whether this service may write to the citizen.
    pub sender_allowed: bool,
    /// The citizen's languages (`it_IT`, `en_GB`, …).
    #[serde(default)]
    pub preferred_languages: Vec<String>,
}

/// A message's processing state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum MessageStatus {
    /// Queued; also IO's answer before any processing.
    Accepted,
    /// Temporarily failing (documented; no longer produced by IO).
    Throttled,
    /// Failed for good.
    Failed,
    /// In the citizen's inbox.
    Processed,
    /// The citizen is not registered, or blocked the service.
    Rejected,
    /// A state this SDK does not know yet.
    #[serde(other)]
    Unknown,
}

impl MessageStatus {
    /// Whether the state will not change any more.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, Self::Failed | Self::Processed | Self::Rejected)
    }
}

/// Whether the citizen read an `ADVANCED` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ReadStatus {
    /// The citizen does not share it.
    Unavailable,
    /// Not read.
    Unread,
    /// Read.
    Read,
    /// A value this SDK does not know yet.
    #[serde(other)]
    Unknown,
}

/// Whether the notice of an `ADVANCED` message was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum PaymentStatus {
    /// Paid.
    Paid,
    /// Not paid.
    NotPaid,
    /// A value this SDK does not know yet.
    #[serde(other)]
    Unknown,
}

/// A sent message as IO returns it (`GET /messages/{fiscal_code}/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct MessageState {
    /// The message.
    pub message: SentMessage,
    /// Its state; `ACCEPTED` when IO says nothing yet.
    #[serde(default = "accepted")]
    pub status: MessageStatus,
    /// Read status, for `ADVANCED` messages.
    #[serde(default)]
    pub read_status: Option<ReadStatus>,
    /// Payment status, for `ADVANCED` messages with a notice.
    #[serde(default)]
    pub payment_status: Option<PaymentStatus>,
}

fn accepted() -> MessageStatus {
    MessageStatus::Accepted
}

/// The stored message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SentMessage {
    /// Its id (a ULID).
    pub id: String,
    /// The sending service.
    #[serde(default)]
    pub sender_service_id: Option<String>,
    /// When IO stored it.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// Serialises an optional date-time in UTC with `Z`, as IO asks.
mod utc_option {
    use serde::Serializer;
    use time::OffsetDateTime;

    /// Checked: a date-time UTC cannot write is an error, never a panic
    /// ([`IoClient::submit`](crate::IoClient::submit) refuses it first).
    pub(super) fn serialize<S: Serializer>(
        value: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(at) => {
                let text = abilita_core::rfc3339_utc(*at).ok_or_else(|| {
                    serde::ser::Error::custom("a date-time beyond RFC 3339's years in UTC")
                })?;
                serializer.serialize_str(&text)
            }
            None => serializer.serialize_none(),
        }
    }
}
