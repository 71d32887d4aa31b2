//! Drawing the notice: A4 pages, text in Titillium Web, rules, QR codes
//! and the Data Matrix as vector modules, the logo as an image.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::font::{BOLD, Font, REGULAR};
use super::{Due, NoticePdf, NoticePdfError, day, euros};

/// A4 in points.
const WIDTH: f32 = 595.28;
const HEIGHT: f32 = 841.89;
/// One centimetre.
const MARGIN: f32 = 28.35;
const INNER: f32 = WIDTH - 2.0 * MARGIN;
/// The guide's blue, for labels and bars.
const BLUE: (f32, f32, f32) = (0.0, 0.4, 0.8);
/// A payment section for banks and other channels, and Poste's bulletin.
const BANK_HEIGHT: f32 = 150.0;
const POSTAL_HEIGHT: f32 = 140.0;
const GAP: f32 = 10.0;
/// The guide's size of the QR code and of the Data Matrix: 25 mm a side
/// for the symbol, its quiet zone around it.
const SYMBOL: f32 = 25.0 * 72.0 / 25.4;

/// The side of a `modules`-wide symbol [`SYMBOL`] across, with `quiet`
/// modules of white on each side.
fn symbol_side(modules: usize, quiet: usize) -> f32 {
    #[allow(
        clippy::cast_precision_loss,
        reason = "symbols are a few dozen modules wide"
    )]
    let (modules, quiet) = (modules.max(1) as f32, quiet as f32);
    SYMBOL * (modules + 2.0 * quiet) / modules
}

/// The document being drawn: pages, their contents, and the objects the
/// pages share (fonts, logo).
pub(super) struct Document {
    regular: Font,
    bold: Font,
    /// The pages drawn, and the one being drawn.
    pages: Vec<Content>,
    current: Content,
    logo: Option<(u32, u32, Vec<u8>)>,
}

/// Where text goes, and how.
#[derive(Clone, Copy)]
enum Face {
    Regular,
    Bold,
}

impl Document {
    pub(super) fn new() -> Result<Self, NoticePdfError> {
        Ok(Self {
            regular: Font::new(b"F1", b"TitilliumWeb-Regular", REGULAR)
                .ok_or(NoticePdfError::Font)?,
            bold: Font::new(b"F2", b"TitilliumWeb-Bold", BOLD).ok_or(NoticePdfError::Font)?,
            pages: Vec::new(),
            current: Content::new(),
            logo: None,
        })
    }

    fn font(&self, face: Face) -> &Font {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }

    fn page(&mut self) -> &mut Content {
        &mut self.current
    }

    fn new_page(&mut self) {
        self.pages
            .push(std::mem::replace(&mut self.current, Content::new()));
    }

    /// `text` at (`x`, `y`) (its baseline), in `face` at `size`, in `color`.
    fn text(&mut self, x: f32, y: f32, face: Face, size: f32, color: (f32, f32, f32), text: &str) {
        let font = self.font(face);
        let (resource, bytes) = (font.resource, font.encode(text));
        let page = self.page();
        page.set_fill_rgb(color.0, color.1, color.2);
        page.begin_text();
        page.set_font(Name(resource), size);
        page.next_line(x, y);
        page.show(Str(&bytes));
        page.end_text();
    }

    /// `text` cut (with an ellipsis) to `width`.
    fn fit(&self, face: Face, size: f32, width: f32, text: &str) -> String {
        let font = self.font(face);
        if font.width(text, size) <= width {
            return text.to_owned();
        }
        let mut cut: String = text.to_owned();
        while !cut.is_empty() && font.width(&format!("{cut}…"), size) > width {
            cut.pop();
        }
        format!("{}…", cut.trim_end())
    }

    /// `text` in lines of at most `width`, at most `lines` of them (the
    /// last cut with an ellipsis).
    fn wrap(&self, face: Face, size: f32, width: f32, lines: usize, text: &str) -> Vec<String> {
        let font = self.font(face);
        let mut out: Vec<String> = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if font.width(&candidate, size) <= width || line.is_empty() {
                line = candidate;
            } else {
                out.push(std::mem::replace(&mut line, word.to_owned()));
            }
        }
        if !line.is_empty() {
            out.push(line);
        }
        if out.len() > lines {
            let rest = out.split_off(lines - 1).join(" ");
            out.push(self.fit(face, size, width, &rest));
        }
        out.into_iter()
            .map(|l| self.fit(face, size, width, &l))
            .collect()
    }

    /// A paragraph from (`x`, `y`) down: the y below it.
    #[allow(
        clippy::too_many_arguments,
        reason = "a paragraph's position, face and box"
    )]
    fn paragraph(
        &mut self,
        x: f32,
        y: f32,
        face: Face,
        size: f32,
        width: f32,
        lines: usize,
        text: &str,
    ) -> f32 {
        let mut y = y;
        for line in self.wrap(face, size, width, lines, text) {
            self.text(x, y, face, size, (0.0, 0.0, 0.0), &line);
            y -= size * 1.3;
        }
        y
    }

    /// A label above a value.
    fn field(&mut self, x: f32, y: f32, width: f32, label: &str, value: &str, size: f32) {
        self.text(x, y + size + 2.0, Face::Regular, 7.0, BLUE, label);
        let value = self.fit(Face::Bold, size, width, value);
        self.text(x, y, Face::Bold, size, (0.0, 0.0, 0.0), &value);
    }

    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, color: (f32, f32, f32)) {
        let page = self.page();
        page.set_fill_rgb(color.0, color.1, color.2);
        page.rect(x, y, w, h);
        page.fill_nonzero();
    }

    fn rule(&mut self, x: f32, y: f32, w: f32) {
        let page = self.page();
        page.set_stroke_rgb(BLUE.0, BLUE.1, BLUE.2);
        page.set_line_width(0.6);
        page.move_to(x, y);
        page.line_to(x + w, y);
        page.stroke();
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "a symbol's box, size and modules"
    )]
    /// Dark modules of a `columns`-wide matrix as black squares in a
    /// `side`-point square at (`x`, `y`) (its bottom left), `quiet` modules
    /// of white around.
    fn modules(
        &mut self,
        x: f32,
        y: f32,
        side: f32,
        columns: usize,
        rows: usize,
        quiet: usize,
        dark: impl Iterator<Item = (usize, usize)>,
    ) {
        let span = columns.max(rows) + 2 * quiet;
        #[allow(
            clippy::cast_precision_loss,
            reason = "symbols are a few dozen modules wide"
        )]
        let module = side / span as f32;
        let page = self.page();
        page.set_fill_rgb(0.0, 0.0, 0.0);
        for (column, row) in dark {
            #[allow(clippy::cast_precision_loss, reason = "as above")]
            let (cx, cy) = ((column + quiet) as f32, (row + quiet) as f32);
            page.rect(
                x + cx * module,
                y + side - (cy + 1.0) * module,
                module,
                module,
            );
        }
        page.fill_nonzero();
    }

    /// Draws the whole notice.
    pub(super) fn render(&mut self, notice: &NoticePdf) -> Result<(), NoticePdfError> {
        if let Some(logo) = &notice.logo {
            self.logo = Some((logo.width, logo.height, logo.rgb.clone()));
        }
        let mut y = self.heading(notice);
        y = self.parties(notice, y);
        y = self.how_much_and_when(notice, y);
        y = self.where_to_pay(y);
        self.rule(MARGIN, y, INNER);
        y -= 14.0;
        self.text(
            MARGIN,
            y,
            Face::Regular,
            8.0,
            (0.0, 0.0, 0.0),
            "Utilizza la porzione di avviso relativa alla rata e al canale di pagamento che preferisci.",
        );
        y -= GAP;
        let dues: Vec<&Due> = notice.dues().collect();
        let count = notice.instalments.len();
        for (index, due) in dues.iter().enumerate() {
            let matrix = notice.data_matrix(due)?;
            let needed = BANK_HEIGHT + matrix.as_ref().map_or(0.0, |_| POSTAL_HEIGHT + GAP);
            if y - needed < MARGIN {
                self.new_page();
                y = HEIGHT - MARGIN;
            }
            let rata = if notice.single.is_some() && index == 0 {
                format!("RATA UNICA entro il {}", day(due.date))
            } else {
                let number = if notice.single.is_some() {
                    index
                } else {
                    index + 1
                };
                format!("RATA {number} di {count} entro il {}", day(due.date))
            };
            y = self.bank_section(notice, due, &rata, y)?;
            if let Some(matrix) = matrix {
                y -= GAP;
                y = self.postal_section(notice, due, &rata, &matrix, y)?;
            }
            y -= GAP;
        }
        Ok(())
    }

    /// Logo, title, subject; the y below.
    fn heading(&mut self, notice: &NoticePdf) -> f32 {
        let top = HEIGHT - MARGIN;
        let text_x = if notice.logo.is_some() {
            MARGIN + 72.0
        } else {
            MARGIN
        };
        self.text(
            text_x,
            top - 18.0,
            Face::Bold,
            18.0,
            BLUE,
            "AVVISO DI PAGAMENTO",
        );
        let y = self.paragraph(
            text_x,
            top - 36.0,
            Face::Bold,
            11.0,
            330.0,
            2,
            &notice.subject,
        );
        self.text(
            WIDTH - MARGIN - 60.0,
            top - 18.0,
            Face::Bold,
            18.0,
            BLUE,
            "pagoPA",
        );
        (y - 6.0).min(top - 72.0)
    }

    /// The creditor and the recipient; the y below.
    fn parties(&mut self, notice: &NoticePdf, y: f32) -> f32 {
        let half = INNER / 2.0;
        let (left, right) = (MARGIN, MARGIN + half + 10.0);
        self.rule(MARGIN, y, INNER);
        let mut ly = y - 14.0;
        self.text(left, ly, Face::Bold, 8.0, BLUE, "ENTE CREDITORE");
        self.text(
            left + 90.0,
            ly,
            Face::Regular,
            8.0,
            (0.0, 0.0, 0.0),
            &format!("Cod. Fiscale {}", notice.creditor.code.as_str()),
        );
        ly -= 16.0;
        ly = self.paragraph(
            left,
            ly,
            Face::Bold,
            11.0,
            half - 10.0,
            2,
            &notice.creditor.name,
        );
        for extra in [&notice.creditor.office, &notice.creditor.contacts]
            .into_iter()
            .flatten()
        {
            ly = self.paragraph(left, ly, Face::Regular, 8.0, half - 10.0, 2, extra);
        }
        let mut ry = y - 14.0;
        self.text(right, ry, Face::Bold, 8.0, BLUE, "DESTINATARIO AVVISO");
        self.text(
            right + 100.0,
            ry,
            Face::Regular,
            8.0,
            (0.0, 0.0, 0.0),
            &format!("Cod. Fiscale {}", notice.debtor.fiscal_code),
        );
        ry -= 16.0;
        ry = self.paragraph(
            right,
            ry,
            Face::Bold,
            11.0,
            half - 10.0,
            2,
            &notice.debtor.name,
        );
        if let Some(address) = &notice.debtor.address {
            ry = self.paragraph(right, ry, Face::Regular, 8.0, half - 10.0, 2, address);
        }
        ly.min(ry) - 6.0
    }

    /// "QUANTO E QUANDO PAGARE?"; the y below.
    fn how_much_and_when(&mut self, notice: &NoticePdf, y: f32) -> f32 {
        self.rule(MARGIN, y, INNER);
        let mut y = y - 16.0;
        self.text(MARGIN, y, Face::Bold, 12.0, BLUE, "QUANTO E QUANDO PAGARE?");
        y -= 20.0;
        let first = notice.dues().next();
        if let Some(first) = first {
            let amount = format!("{} Euro", euros(first.notice.amount()));
            self.text(MARGIN, y, Face::Bold, 16.0, (0.0, 0.0, 0.0), &amount);
            let at = MARGIN + self.bold.width(&amount, 16.0) + 8.0;
            self.text(
                at,
                y,
                Face::Regular,
                11.0,
                (0.0, 0.0, 0.0),
                &format!("entro il {}", day(first.date)),
            );
            y -= 14.0;
        }
        let how = match (notice.single.is_some(), notice.instalments.len()) {
            (true, 0) => "Puoi pagare con una unica rata.".to_owned(),
            (true, n) => format!("Puoi pagare con una unica rata o in {n} rate."),
            (false, n) => format!("Puoi pagare in {n} rate."),
        };
        y = self.paragraph(MARGIN, y, Face::Regular, 9.0, INNER, 1, &how);
        self.paragraph(
            MARGIN,
            y,
            Face::Regular,
            8.0,
            INNER,
            3,
            "L'importo è aggiornato automaticamente dal sistema e potrebbe subire variazioni per eventuali sgravi, note di credito, indennità di mora, sanzioni o interessi, ecc. Un operatore, il sito o l'app che userai ti potrebbero quindi chiedere una cifra diversa da quella qui indicata.",
        ) - 4.0
    }

    /// "DOVE PAGARE?"; the y below.
    fn where_to_pay(&mut self, y: f32) -> f32 {
        self.rule(MARGIN, y, INNER);
        let mut y = y - 16.0;
        self.text(MARGIN, y, Face::Bold, 12.0, BLUE, "DOVE PAGARE?");
        self.text(
            MARGIN + 95.0,
            y,
            Face::Regular,
            9.0,
            (0.0, 0.0, 0.0),
            "Lista dei canali di pagamento su www.pagopa.gov.it",
        );
        y -= 16.0;
        let half = INNER / 2.0 - 10.0;
        self.text(
            MARGIN,
            y,
            Face::Bold,
            9.0,
            BLUE,
            "PAGA SUL SITO O CON LE APP",
        );
        self.text(
            MARGIN + half + 20.0,
            y,
            Face::Bold,
            9.0,
            BLUE,
            "PAGA SUL TERRITORIO",
        );
        y -= 12.0;
        let left = self.paragraph(
            MARGIN,
            y,
            Face::Regular,
            8.0,
            half,
            4,
            "del tuo Ente Creditore, della tua Banca o degli altri canali di pagamento. Potrai pagare con carte, conto corrente, CBILL.",
        );
        let right = self.paragraph(
            MARGIN + half + 20.0,
            y,
            Face::Regular,
            8.0,
            half,
            4,
            "in tutti gli Uffici Postali, in Banca, in Ricevitoria, dal Tabaccaio, al Bancomat, al Supermercato. Potrai pagare in contanti, con carte o conto corrente.",
        );
        left.min(right) - 4.0
    }

    /// One payment section for banks and other channels, from `top` down:
    /// the y below.
    fn bank_section(
        &mut self,
        notice: &NoticePdf,
        due: &Due,
        rata: &str,
        top: f32,
    ) -> Result<f32, NoticePdfError> {
        let bottom = top - BANK_HEIGHT;
        self.section_frame("BANCHE E ALTRI CANALI", rata, due, top);
        let qr = due.notice.qr_code()?;
        let columns = qr.width();
        let side = symbol_side(columns, 4);
        let colors = qr.to_colors();
        let dark = colors
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == qrcode::Color::Dark)
            .map(|(i, _)| (i % columns, i / columns));
        self.modules(MARGIN + 4.0, bottom + 10.0, side, columns, columns, 4, dark);
        let x = MARGIN + side + 16.0;
        let width = INNER - side - 120.0;
        let mut y = top - 40.0;
        self.field(x, y, width, "Destinatario", &notice.debtor.name, 9.0);
        y -= 22.0;
        self.field(x, y, width, "Ente Creditore", &notice.creditor.name, 9.0);
        y -= 22.0;
        self.field(x, y, width, "Oggetto del pagamento", &notice.subject, 9.0);
        y -= 24.0;
        if let Some(cbill) = &notice.cbill {
            self.field(x, y, 60.0, "Codice CBILL", cbill, 11.0);
        }
        self.codes(x + 70.0, y, due, 0.0);
        self.footnote(
            x,
            bottom,
            side,
            "Qui accanto trovi il codice QR e il codice interbancario CBILL per pagare attraverso il circuito bancario e gli altri canali di pagamento abilitati.",
        );
        Ok(bottom)
    }

    /// A section's bar (its title and which payment it is) and its amount.
    fn section_frame(&mut self, title: &str, rata: &str, due: &Due, top: f32) {
        self.fill(MARGIN, top - 18.0, INNER, 18.0, (0.9, 0.94, 0.98));
        self.text(MARGIN + 6.0, top - 13.0, Face::Bold, 10.0, BLUE, title);
        let width = self.bold.width(rata, 9.0);
        self.text(
            WIDTH - MARGIN - 6.0 - width,
            top - 13.0,
            Face::Bold,
            9.0,
            (0.0, 0.0, 0.0),
            rata,
        );
        let amount_x = WIDTH - MARGIN - 100.0;
        self.text(amount_x, top - 44.0, Face::Regular, 8.0, BLUE, "Euro");
        self.text(
            amount_x,
            top - 62.0,
            Face::Bold,
            16.0,
            (0.0, 0.0, 0.0),
            &euros(due.notice.amount()),
        );
    }

    /// The notice number and the creditor's fiscal code, from `x`, with
    /// `between` points more between them.
    fn codes(&mut self, x: f32, y: f32, due: &Due, between: f32) {
        self.field(
            x,
            y,
            160.0,
            "Codice Avviso",
            &due.notice.notice_number().to_print_format(),
            11.0,
        );
        self.field(
            x + 170.0 + between,
            y,
            100.0,
            "Cod. Fiscale Ente Creditore",
            due.notice.creditor().as_str(),
            11.0,
        );
    }

    /// The small print at the foot of a section, beside its symbol.
    fn footnote(&mut self, x: f32, bottom: f32, side: f32, text: &str) {
        self.paragraph(
            x,
            bottom + 14.0,
            Face::Regular,
            7.0,
            INNER - side - 24.0,
            2,
            text,
        );
    }

    /// Poste's bulletin with its Data Matrix, from `top` down: the y below.
    fn postal_section(
        &mut self,
        notice: &NoticePdf,
        due: &Due,
        rata: &str,
        matrix: &str,
        top: f32,
    ) -> Result<f32, NoticePdfError> {
        let Some(postal) = &notice.postal else {
            return Ok(top);
        };
        let bottom = top - POSTAL_HEIGHT;
        self.section_frame("BOLLETTINO POSTALE PA", rata, due, top);
        let symbol = datamatrix::DataMatrix::encode_str(
            matrix,
            datamatrix::SymbolList::default().enforce_square(),
        )
        .map_err(|_| NoticePdfError::DataMatrix)?;
        let bitmap = symbol.bitmap();
        let side = symbol_side(bitmap.width().max(bitmap.height()), 1);
        self.modules(
            MARGIN + 4.0,
            bottom + 10.0,
            side,
            bitmap.width(),
            bitmap.height(),
            1,
            bitmap.pixels(),
        );
        if let Some(authorization) = &postal.authorization {
            self.text(
                MARGIN + 4.0,
                bottom + 4.0,
                Face::Regular,
                6.0,
                (0.3, 0.3, 0.3),
                authorization,
            );
        }
        let x = MARGIN + side + 16.0;
        let width = INNER - side - 120.0;
        let mut y = top - 40.0;
        self.field(x, y, 90.0, "sul C/C n.", &postal.account, 11.0);
        self.field(
            x + 100.0,
            y,
            width - 100.0,
            "intestato a",
            &postal.holder,
            9.0,
        );
        y -= 22.0;
        self.field(x, y, width, "Destinatario", &notice.debtor.name, 9.0);
        y -= 22.0;
        self.field(x, y, width, "Oggetto del pagamento", &notice.subject, 9.0);
        y -= 24.0;
        self.field(x + 170.0, y, 30.0, "Tipo", "P1", 11.0);
        self.codes(x, y, due, 40.0);
        self.footnote(
            x,
            bottom,
            side,
            "Bollettino Postale pagabile in tutti gli Uffici Postali e sui canali fisici o digitali abilitati di Poste Italiane e dell'Ente Creditore.",
        );
        Ok(bottom)
    }

    /// The PDF bytes.
    pub(super) fn finish(mut self) -> Vec<u8> {
        self.new_page();
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(8);
        let logo = Ref::new(13);
        let first_page = 14;
        let count = i32::try_from(self.pages.len()).unwrap_or(i32::MAX);
        let page_refs: Vec<(Ref, Ref)> = (0..count)
            .map(|i| {
                (
                    Ref::new(first_page + 2 * i),
                    Ref::new(first_page + 2 * i + 1),
                )
            })
            .collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_refs.iter().map(|(page, _)| *page))
            .count(count);
        self.regular.write(&mut pdf, regular);
        self.bold.write(&mut pdf, bold);
        if let Some((width, height, rgb)) = &self.logo {
            let mut image = pdf.image_xobject(logo, rgb);
            image.width(i32::try_from(*width).unwrap_or(1));
            image.height(i32::try_from(*height).unwrap_or(1));
            image.color_space().device_rgb();
            image.bits_per_component(8);
            image.finish();
        }
        let logo_size = self.logo.as_ref().map(|(w, h, _)| {
            #[allow(clippy::cast_precision_loss, reason = "at most 2000 pixels a side")]
            let (w, h) = (*w as f32, *h as f32);
            let scale = 60.0 / w.max(h);
            (w * scale, h * scale)
        });
        for (index, ((page_ref, content_ref), mut content)) in
            page_refs.iter().zip(self.pages).enumerate()
        {
            if let (0, Some((w, h))) = (index, logo_size) {
                content.save_state();
                content.transform([w, 0.0, 0.0, h, MARGIN, HEIGHT - MARGIN - h]);
                content.x_object(Name(b"Logo"));
                content.restore_state();
            }
            let mut page = pdf.page(*page_ref);
            page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
            page.parent(tree);
            page.contents(*content_ref);
            let mut resources = page.resources();
            resources
                .fonts()
                .pair(Name(b"F1"), regular)
                .pair(Name(b"F2"), bold);
            if logo_size.is_some() {
                resources.x_objects().pair(Name(b"Logo"), logo);
            }
            resources.finish();
            page.finish();
            pdf.stream(*content_ref, &content.finish());
        }
        pdf.finish()
    }
}
