//! The report as CSV, for the people who check the day's money in a
//! spreadsheet.
//!
//! One row per transfer (RFC 4180: comma-separated, CRLF, fields quoted
//! when they hold a comma, quote or line break). Flow ids, IUVs and IURs
//! come from PSPs, so a field a spreadsheet would run as a formula (`=`,
//! `+`, `-`, `@`, tab or CR first) is written after a `'`, as OWASP's
//! advice on CSV injection says.

use std::io::{self, Write};

use super::{Matched, PaidTransfer, Report, Reported};

/// The header row.
pub const CSV_HEADER: &str = "outcome,iuv,iur,transfer,psp_id,fdr,revision,index,pay_status,reported_amount,paid_amount,pay_date,paid_on";

impl Report {
    /// Writes the report as CSV: [`CSV_HEADER`], then every transfer with its
    /// outcome (`reconciled`, `amount_mismatch`, `unknown`, `revoked`,
    /// `duplicate`, `unreported`, `awaiting`). Amounts are in euros with
    /// two decimals.
    ///
    /// # Errors
    /// The writer's.
    pub fn write_csv(&self, out: &mut impl Write) -> io::Result<()> {
        write!(out, "{CSV_HEADER}\r\n")?;
        for m in &self.reconciled {
            matched(out, "reconciled", m)?;
        }
        for m in &self.mismatched {
            matched(out, "amount_mismatch", m)?;
        }
        for (outcome, list) in [
            ("unknown", &self.unknown),
            ("revoked", &self.revoked),
            ("duplicate", &self.duplicates),
        ] {
            for r in list {
                row(out, outcome, Some(r), None)?;
            }
        }
        for (outcome, list) in [
            ("unreported", &self.unreported),
            ("awaiting", &self.awaiting),
        ] {
            for p in list {
                row(out, outcome, None, Some(p))?;
            }
        }
        Ok(())
    }

    /// The report as a CSV string (see [`Report::write_csv`]).
    #[must_use]
    pub fn to_csv(&self) -> String {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = self.write_csv(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

fn matched(out: &mut impl Write, outcome: &str, m: &Matched) -> io::Result<()> {
    row(out, outcome, Some(&m.reported), Some(&m.paid))
}

fn row(
    out: &mut impl Write,
    outcome: &str,
    reported: Option<&Reported>,
    paid: Option<&PaidTransfer>,
) -> io::Result<()> {
    let (iuv, iur, transfer) = match (reported, paid) {
        (Some(r), _) => (&r.payment.iuv, &r.payment.iur, r.payment.transfer),
        (None, Some(p)) => (&p.iuv, &p.iur, p.transfer),
        (None, None) => return Ok(()),
    };
    let fields = [
        outcome.to_owned(),
        iuv.clone(),
        iur.clone(),
        transfer.to_string(),
        reported.map(|r| r.flow.psp_id.clone()).unwrap_or_default(),
        reported.map(|r| r.flow.fdr.clone()).unwrap_or_default(),
        reported
            .map(|r| r.flow.revision.to_string())
            .unwrap_or_default(),
        reported
            .map(|r| r.payment.index.to_string())
            .unwrap_or_default(),
        reported
            .map(|r| r.payment.status.as_str().to_owned())
            .unwrap_or_default(),
        reported
            .map(|r| r.payment.amount.to_decimal_string())
            .unwrap_or_default(),
        paid.map(|p| p.amount.to_decimal_string())
            .unwrap_or_default(),
        reported
            .and_then(|r| abilita_core::rfc3339_utc(r.payment.paid_at))
            .unwrap_or_default(),
        paid.map(|p| p.paid_on.to_string()).unwrap_or_default(),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_field(out, field)?;
    }
    out.write_all(b"\r\n")
}

/// One field, neutralised and quoted as needed.
fn write_field(out: &mut impl Write, field: &str) -> io::Result<()> {
    let formula = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = field.contains([',', '"', '\r', '\n']);
    if quote {
        out.write_all(b"\"")?;
    }
    if formula {
        out.write_all(b"'")?;
    }
    out.write_all(field.replace('"', "\"\"").as_bytes())?;
    if quote {
        out.write_all(b"\"")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::write_field;

    fn field(text: &str) -> String {
        let mut out = Vec::new();
        let _ = write_field(&mut out, text);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(field("01000000000000101"), "01000000000000101");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("-1,5"), "\"'-1,5\"");
    }
}
