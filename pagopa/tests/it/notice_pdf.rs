//! The payment notice as a PDF, checked from outside: poppler's
//! `pdfinfo`, `pdftotext` and `pdftoppm` read it, an independent QR reader
//! (rqrr) decodes every QR code of the rendered page to its exact payload,
//! and libdmtx's `dmtxread` the Poste Data Matrix. Those tests need
//! poppler-utils and dmtx-utils and are run by `scripts/notice-pdf.sh`; the
//! rest run with a plain `cargo test`.

use std::path::{Path, PathBuf};
use std::process::Command;

use abilita_core::{EuroCents, PartitaIva};
use abilita_pagopa::notice_pdf::{NoticeCreditor, NoticeDebtor, NoticePdf};
use abilita_pagopa::{NoticeNumber, PaymentNotice, PostalSlip, SegregationCode};
use time::macros::date;

fn creditor() -> PartitaIva {
    PartitaIva::from_official_test_value("77777777777").unwrap()
}

fn notice(n: u64, cents: u64) -> PaymentNotice {
    let nav = NoticeNumber::from_iuv_base(&SegregationCode::new("01").unwrap(), n).unwrap();
    PaymentNotice::new(nav, creditor(), EuroCents::new(cents)).unwrap()
}

fn parties() -> (NoticeCreditor, NoticeDebtor) {
    (
        NoticeCreditor::new("Comune di Prova", &creditor())
            .unwrap()
            .office("Servizio Tributi")
            .unwrap()
            .contacts("tributi@comune.prova.it - 06 1234567")
            .unwrap(),
        NoticeDebtor::new("Soggetto Settimo", "STTSGT90A01H501J")
            .unwrap()
            .address("Via della Libertà 1, 00100 Roma (RM)")
            .unwrap(),
    )
}

const SUBJECT: &str = "TARI 2026 - Tassa sui rifiuti, saldo dell'anno";

/// A single payment, with Poste's bulletin.
fn single_postal() -> (NoticePdf, Vec<PaymentNotice>) {
    let (creditor, debtor) = parties();
    let pay = notice(1, 12_000);
    let pdf = NoticePdf::single(
        SUBJECT,
        creditor,
        debtor,
        pay.clone(),
        date!(2026 - 12 - 31),
    )
    .unwrap()
    .cbill("A0EDT")
    .unwrap()
    .postal("123456789012", "Comune di Prova - Servizio Tesoreria")
    .unwrap()
    .postal_authorization("AUT. DB/SSIC/E 1234 DEL 01/01/2026")
    .unwrap();
    (pdf, vec![pay])
}

/// The single payment or three instalments, without a postal account.
fn instalments() -> (NoticePdf, Vec<PaymentNotice>) {
    let (creditor, debtor) = parties();
    let whole = notice(10, 30_000);
    let rates: Vec<PaymentNotice> = (11..=13).map(|n| notice(n, 10_000)).collect();
    let dues = [
        date!(2026 - 03 - 31),
        date!(2026 - 06 - 30),
        date!(2026 - 09 - 30),
    ];
    let pdf = NoticePdf::instalments(
        SUBJECT,
        creditor,
        debtor,
        rates.iter().cloned().zip(dues).collect(),
        Some((whole.clone(), date!(2026 - 03 - 31))),
    )
    .unwrap();
    let mut all = vec![whole];
    all.extend(rates);
    (pdf, all)
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("abilita-notice-pdf-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} did not start ({e}): run scripts/notice-pdf.sh"));
    assert!(
        output.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every QR code rqrr finds on the page images under `dir` (`page-*.png`).
fn qr_payloads(dir: &Path) -> Vec<String> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    let mut found = Vec::new();
    for page in pages {
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&page).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut buffer).unwrap();
        let channels = frame.color_type.samples();
        let (width, height) = (frame.width as usize, frame.height as usize);
        let gray: Vec<u8> = buffer[..frame.buffer_size()]
            .chunks_exact(channels)
            .map(|p| p[0])
            .collect();
        let mut image =
            rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| gray[y * width + x]);
        for grid in image.detect_grids() {
            let (_, content) = grid.decode().unwrap();
            found.push(content);
        }
    }
    found.sort();
    found
}

#[test]
fn a_notice_is_a_pdf_with_its_fonts_embedded_and_a4_pages() {
    for (pdf, _) in [single_postal(), instalments()] {
        let bytes = pdf.render().unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(text.contains("/FontFile2") && text.contains("TitilliumWeb-Bold"));
        assert!(text.contains("/MediaBox [0 0 595.28 841.89]"), "A4");
    }
}

#[test]
fn a_logo_is_drawn_on_the_first_page() {
    let logo = notice(1, 100).qr_png(2).unwrap();
    let bytes = single_postal().0.logo_png(&logo).unwrap().render().unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("/Subtype /Image") && text.contains("/Logo Do"),
        "the logo is drawn"
    );
}

#[test]
fn what_a_notice_cannot_print_is_refused() {
    let (creditor, debtor) = parties();
    let other = PartitaIva::from_official_test_value("99999000013").unwrap();
    let foreign = PaymentNotice::new(
        notice(1, 100).notice_number().clone(),
        other,
        EuroCents::new(100),
    )
    .unwrap();
    assert!(
        NoticePdf::single(
            SUBJECT,
            creditor.clone(),
            debtor.clone(),
            foreign,
            date!(2026 - 12 - 31)
        )
        .is_err()
    );
    assert!(
        NoticePdf::single(
            "",
            creditor.clone(),
            debtor.clone(),
            notice(1, 100),
            date!(2026 - 12 - 31)
        )
        .is_err()
    );
    assert!(
        NoticePdf::instalments(
            SUBJECT,
            creditor.clone(),
            debtor.clone(),
            vec![(notice(1, 100), date!(2026 - 12 - 31))],
            None
        )
        .is_err()
    );
    assert!(
        NoticePdf::instalments(
            SUBJECT,
            creditor.clone(),
            debtor.clone(),
            vec![
                (notice(1, 100), date!(2026 - 12 - 31)),
                (notice(1, 100), date!(2026 - 12 - 31))
            ],
            None
        )
        .is_err()
    );
    let pdf = NoticePdf::single(
        SUBJECT,
        creditor,
        debtor,
        notice(1, 100),
        date!(2026 - 12 - 31),
    )
    .unwrap();
    assert!(pdf.clone().cbill("A0ED").is_err());
    assert!(pdf.clone().postal("12a", "Comune").is_err());
    assert!(
        pdf.clone().postal_authorization("AUT. DB").is_err(),
        "no postal account to authorise"
    );
    assert!(pdf.clone().logo_png(b"not a png").is_err());
    assert!(
        NoticeDebtor::new("Soggetto\u{7}", "STTSGT90A01H501J").is_err(),
        "control characters"
    );
}

#[test]
#[ignore = "needs poppler-utils and dmtx-utils (scripts/notice-pdf.sh)"]
fn poppler_reads_the_notice_and_each_code_decodes_to_its_payload() {
    for (name, (pdf, notices)) in [("single", single_postal()), ("instalments", instalments())] {
        let dir = scratch(name);
        let file = dir.join("avviso.pdf");
        std::fs::write(&file, pdf.render().unwrap()).unwrap();
        let file = file.to_str().unwrap();

        let info = tool("pdfinfo", &[file]);
        assert!(info.contains("(A4)"), "{info}");
        let text = tool("pdftotext", &["-layout", file, "-"]);
        if name == "single" {
            assert!(text.contains("AUT. DB/SSIC/E 1234"), "{text}");
        }
        for needed in [
            "AVVISO DI PAGAMENTO",
            "Comune di Prova",
            "77777777777",
            "Soggetto Settimo",
            "STTSGT90A01H501J",
            "Via della Libertà",
        ] {
            assert!(text.contains(needed), "{needed} in:\n{text}");
        }
        for notice in &notices {
            assert!(
                text.contains(&notice.notice_number().to_print_format()),
                "{text}"
            );
            let amount = notice.amount().to_string();
            assert!(
                text.contains(amount.trim_start_matches("€ ")),
                "{amount} in:\n{text}"
            );
        }

        // 300 dpi, a scan of the printed page.
        tool(
            "pdftoppm",
            &[
                "-r",
                "300",
                "-png",
                file,
                dir.join("page").to_str().unwrap(),
            ],
        );
        let mut expected: Vec<String> = notices.iter().map(PaymentNotice::qr_payload).collect();
        expected.sort();
        assert_eq!(
            qr_payloads(&dir),
            expected,
            "every QR code, exactly its payload"
        );

        if name == "single" {
            let page = dir.join("page-1.png");
            let read = tool("dmtxread", &["-N1", "-m", "2000", page.to_str().unwrap()]);
            let slip = PostalSlip {
                account: "123456789012",
                debtor_fiscal_code: "STTSGT90A01H501J",
                debtor_name: "Soggetto Settimo",
                subject: SUBJECT,
            };
            assert_eq!(
                read.trim_end_matches('\n'),
                notices[0].poste_data_matrix(&slip).unwrap()
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
