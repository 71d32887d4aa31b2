//! The payment notice (*avviso di pagamento*) as a PDF, rendered here, in
//! pure Rust, after the layout of pagoPA's "Guida tecnica agli avvisi di
//! pagamento" (version 3): the notice's heading with the creditor's logo,
//! creditor and recipient, "QUANTO E QUANDO PAGARE?", "DOVE PAGARE?", and
//! one payment section per payment option, with its QR code and, when the
//! creditor has a postal account, Poste's bulletin with its Data Matrix.
//!
//! A4 pages, Titillium Web embedded (the guide's typeface), text a reader
//! extracts and searches, QR codes and Data Matrix drawn as vectors. The
//! single payment and each instalment has its own section; instalments
//! continue on further pages.
//!
//! ```
//! use abilita_core::{EuroCents, PartitaIva};
//! use abilita_pagopa::notice_pdf::{NoticeCreditor, NoticeDebtor, NoticePdf};
//! use abilita_pagopa::PaymentNotice;
//!
//! let creditor = PartitaIva::from_official_test_value("77777777777")?;
//! let notice = PaymentNotice::new("302000100000019414".parse()?, creditor.clone(), EuroCents::new(12_000))?;
//! let pdf = NoticePdf::single(
//!     "TARI 2026 - Tassa sui rifiuti",
//!     NoticeCreditor::new("Comune di Prova", &creditor)?,
//!     NoticeDebtor::new("Soggetto Settimo", "STTSGT90A01H501J")?.address("Via Roma 1, 00100 Roma (RM)")?,
//!     notice,
//!     time::macros::date!(2026 - 12 - 31),
//! )?
//! .cbill("A0EDT")?
//! .render()?;
//! assert!(pdf.starts_with(b"%PDF-"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod font;
mod page;

use abilita_core::{EuroCents, InvalidInput, PartitaIva, Rule};
use time::Date;

use crate::notice::RenderError;
use crate::{CreditorCode, PaymentNotice, PostalSlip};
use page::Document;

/// The longest subject a notice prints (it wraps on two lines).
pub const MAX_SUBJECT: usize = 140;

/// The most instalments one notice holds.
pub const MAX_INSTALMENTS: usize = 60;

/// The creditor as the notice prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeCreditor {
    name: String,
    code: CreditorCode,
    office: Option<String>,
    contacts: Option<String>,
}

impl NoticeCreditor {
    /// The creditor's name and fiscal code.
    ///
    /// # Errors
    /// A name empty or over 70 characters.
    pub fn new(name: &str, code: &PartitaIva) -> Result<Self, InvalidInput> {
        Self::with_code(
            name,
            CreditorCode::new(code.as_str()).map_err(|e| InvalidInput::new("creditor", e))?,
        )
    }

    /// The creditor by its [`CreditorCode`] (any 11 digits).
    ///
    /// # Errors
    /// A name empty or over 70 characters.
    pub fn with_code(name: &str, code: CreditorCode) -> Result<Self, InvalidInput> {
        Ok(Self {
            name: text("creditor name", name, 70)?,
            code,
            office: None,
            contacts: None,
        })
    }

    /// The office (*settore*) that issued the notice.
    ///
    /// # Errors
    /// Empty, or over 70 characters.
    pub fn office(mut self, office: &str) -> Result<Self, InvalidInput> {
        self.office = Some(text("office", office, 70)?);
        Ok(self)
    }

    /// Where citizens get help (a phone number, an e-mail, a web page).
    ///
    /// # Errors
    /// Empty, or over 140 characters.
    pub fn contacts(mut self, contacts: &str) -> Result<Self, InvalidInput> {
        self.contacts = Some(text("contacts", contacts, 140)?);
        Ok(self)
    }
}

/// The recipient as the notice prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDebtor {
    name: String,
    fiscal_code: String,
    address: Option<String>,
}

impl NoticeDebtor {
    /// The recipient's name and codice fiscale (or partita IVA).
    ///
    /// # Errors
    /// A name empty or over 70 characters, a code empty or over 16.
    pub fn new(name: &str, fiscal_code: &str) -> Result<Self, InvalidInput> {
        Ok(Self {
            name: text("debtor name", name, 70)?,
            fiscal_code: text("debtor fiscal code", fiscal_code, 16)?,
            address: None,
        })
    }

    /// Their address, on one line.
    ///
    /// # Errors
    /// Empty, or over 140 characters.
    pub fn address(mut self, address: &str) -> Result<Self, InvalidInput> {
        self.address = Some(text("address", address, 140)?);
        Ok(self)
    }
}

/// A payment option of the notice: its notice (number, creditor, amount)
/// and when it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Due {
    notice: PaymentNotice,
    date: Date,
}

/// The creditor's postal account, for Poste's bulletin.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Postal {
    account: String,
    holder: String,
    /// Poste's authorisation to print the bulletin (`AUT. DB/…`).
    authorization: Option<String>,
}

/// A logo, as RGB samples.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Logo {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

/// A payment notice to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticePdf {
    subject: String,
    creditor: NoticeCreditor,
    debtor: NoticeDebtor,
    single: Option<Due>,
    instalments: Vec<Due>,
    cbill: Option<String>,
    postal: Option<Postal>,
    logo: Option<Logo>,
}

/// Why a notice could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NoticePdfError {
    /// A field the notice cannot print.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// A QR code could not be made.
    #[error(transparent)]
    Qr(#[from] RenderError),
    /// The Data Matrix could not be made.
    #[error("the Poste Data Matrix could not be encoded")]
    DataMatrix,
    /// The bundled fonts did not load (a broken build).
    #[error("the bundled Titillium Web fonts did not load")]
    Font,
}

impl NoticePdf {
    /// A notice of one payment, due on `due`.
    ///
    /// # Errors
    /// A subject empty or over [`MAX_SUBJECT`] characters, or a notice of
    /// another creditor.
    pub fn single(
        subject: &str,
        creditor: NoticeCreditor,
        debtor: NoticeDebtor,
        notice: PaymentNotice,
        due: Date,
    ) -> Result<Self, InvalidInput> {
        Self::build(subject, creditor, debtor, Some((notice, due)), Vec::new())
    }

    /// A notice of instalments (2 to [`MAX_INSTALMENTS`]), each with its own
    /// notice number and due date, and optionally the single payment of the
    /// whole.
    ///
    /// # Errors
    /// Fewer than two or more than [`MAX_INSTALMENTS`] instalments, a notice
    /// number twice, a notice of another creditor, a subject empty or too
    /// long.
    pub fn instalments(
        subject: &str,
        creditor: NoticeCreditor,
        debtor: NoticeDebtor,
        instalments: Vec<(PaymentNotice, Date)>,
        single: Option<(PaymentNotice, Date)>,
    ) -> Result<Self, InvalidInput> {
        if !(2..=MAX_INSTALMENTS).contains(&instalments.len()) {
            return Err(InvalidInput::new(
                "instalments",
                Rule("2 to 60 instalments"),
            ));
        }
        Self::build(subject, creditor, debtor, single, instalments)
    }

    fn build(
        subject: &str,
        creditor: NoticeCreditor,
        debtor: NoticeDebtor,
        single: Option<(PaymentNotice, Date)>,
        instalments: Vec<(PaymentNotice, Date)>,
    ) -> Result<Self, InvalidInput> {
        let single = single.map(|(notice, date)| Due { notice, date });
        let instalments: Vec<Due> = instalments
            .into_iter()
            .map(|(notice, date)| Due { notice, date })
            .collect();
        let all: Vec<&Due> = single.iter().chain(&instalments).collect();
        if all.iter().any(|d| *d.notice.creditor() != creditor.code) {
            return Err(InvalidInput::new(
                "notice",
                Rule("every notice must be of the creditor printed on it"),
            ));
        }
        for (i, a) in all.iter().enumerate() {
            if all
                .iter()
                .skip(i + 1)
                .any(|b| b.notice.notice_number() == a.notice.notice_number())
            {
                return Err(InvalidInput::new("notice", Rule("each notice number once")));
            }
        }
        Ok(Self {
            subject: text("subject", subject, MAX_SUBJECT)?,
            creditor,
            debtor,
            single,
            instalments,
            cbill: None,
            postal: None,
            logo: None,
        })
    }

    /// The creditor's CBILL code (5 letters or digits), printed for
    /// payments at banks.
    ///
    /// # Errors
    /// Anything but 5 letters or digits.
    pub fn cbill(mut self, code: &str) -> Result<Self, InvalidInput> {
        if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(InvalidInput::new("cbill", Rule("5 letters or digits")));
        }
        self.cbill = Some(code.to_ascii_uppercase());
        Ok(self)
    }

    /// The creditor's postal account (up to 12 digits) and its holder: each
    /// payment section gets Poste's bulletin with its Data Matrix.
    ///
    /// # Errors
    /// An account that is not 1 to 12 digits, a holder empty or over 50
    /// characters.
    pub fn postal(mut self, account: &str, holder: &str) -> Result<Self, InvalidInput> {
        if account.is_empty() || account.len() > 12 || !account.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(InvalidInput::new("postal account", Rule("1 to 12 digits")));
        }
        self.postal = Some(Postal {
            account: account.to_owned(),
            holder: text("postal holder", holder, 50)?,
            authorization: None,
        });
        Ok(self)
    }

    /// Poste Italiane's authorisation to print the bulletin yourself
    /// (`AUT. DB/SSIC/E 1234 DEL 01/01/2026`), printed on it in 70% black
    /// as Poste's manual asks. Set [`NoticePdf::postal`] first.
    ///
    /// # Errors
    /// No postal account set, or text empty or over 50 characters.
    pub fn postal_authorization(mut self, authorization: &str) -> Result<Self, InvalidInput> {
        let authorization = text("postal authorization", authorization, 50)?;
        match &mut self.postal {
            Some(postal) => postal.authorization = Some(authorization),
            None => {
                return Err(InvalidInput::new(
                    "postal authorization",
                    Rule("set the postal account first"),
                ));
            }
        }
        Ok(self)
    }

    /// The creditor's logo, a PNG (at most 2,000 pixels a side), printed at
    /// the top left; transparency is laid on white.
    ///
    /// # Errors
    /// Bytes that are no PNG this reads, or too large a picture.
    pub fn logo_png(mut self, png_bytes: &[u8]) -> Result<Self, InvalidInput> {
        self.logo = Some(decode_logo(png_bytes).ok_or_else(|| {
            InvalidInput::new("logo", Rule("a PNG of at most 2000 x 2000 pixels"))
        })?);
        Ok(self)
    }

    /// The PDF.
    ///
    /// # Errors
    /// A QR code or Data Matrix the encoders refuse (a valid notice never
    /// makes them), or a postal slip whose fields do not fit.
    pub fn render(&self) -> Result<Vec<u8>, NoticePdfError> {
        let mut document = Document::new()?;
        document.render(self)?;
        Ok(document.finish())
    }

    /// The payment sections in print order: the single payment, then the
    /// instalments.
    fn dues(&self) -> impl Iterator<Item = &Due> {
        self.single.iter().chain(&self.instalments)
    }

    /// The Poste Data Matrix of `due`, when the creditor has a postal account.
    fn data_matrix(&self, due: &Due) -> Result<Option<String>, NoticePdfError> {
        let Some(postal) = &self.postal else {
            return Ok(None);
        };
        let slip = PostalSlip {
            account: &postal.account,
            debtor_fiscal_code: &self.debtor.fiscal_code,
            debtor_name: &self.debtor.name,
            subject: &self.subject,
        };
        due.notice
            .poste_data_matrix(&slip)
            .map(Some)
            .map_err(|e| InvalidInput::new("postal slip", e).into())
    }
}

/// Italian money: `1.234,56`.
fn euros(amount: EuroCents) -> String {
    let shown = amount.to_string();
    shown.trim_start_matches("€ ").to_owned()
}

/// `31/12/2026`.
fn day(date: Date) -> String {
    format!(
        "{:02}/{:02}/{}",
        date.day(),
        u8::from(date.month()),
        date.year()
    )
}

/// A field to print: not blank, at most `max` characters, no control
/// characters.
fn text(field: &'static str, value: &str, max: usize) -> Result<String, InvalidInput> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(InvalidInput::new(
            field,
            Rule(match max {
                16 => "1 to 16 characters, no control characters",
                50 => "1 to 50 characters, no control characters",
                70 => "1 to 70 characters, no control characters",
                _ => "1 to 140 characters, no control characters",
            }),
        ));
    }
    Ok(value.to_owned())
}

fn decode_logo(bytes: &[u8]) -> Option<Logo> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let (width, height) = (reader.info().width, reader.info().height);
    if width == 0 || height == 0 || width > 2000 || height > 2000 {
        return None;
    }
    let mut buffer = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut buffer).ok()?;
    let samples = buffer.get(..frame.buffer_size())?;
    let channels = frame.color_type.samples();
    let mut rgb = Vec::with_capacity(samples.len() / channels.max(1) * 3);
    for pixel in samples.chunks_exact(channels.max(1)) {
        let (r, g, b, a) = match pixel {
            [v] => (*v, *v, *v, 255),
            [v, a] => (*v, *v, *v, *a),
            [r, g, b] => (*r, *g, *b, 255),
            [r, g, b, a] => (*r, *g, *b, *a),
            _ => return None,
        };
        // On white: c * a + 255 * (1 - a).
        let over = |c: u8| {
            let c = u32::from(c) * u32::from(a) + 255 * (255 - u32::from(a));
            u8::try_from(c / 255).unwrap_or(u8::MAX)
        };
        rgb.extend([over(r), over(g), over(b)]);
    }
    Some(Logo { width, height, rgb })
}
