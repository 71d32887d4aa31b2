//! Titillium Web, the payment notice's typeface, embedded whole as a
//! TrueType CID font: text is written as glyph ids (Identity-H) with a
//! ToUnicode map, so any reader extracts and searches it.
//!
//! The fonts are Titillium Web Regular and Bold (the "latin" subset that
//! covers Italian), under the SIL Open Font License: `pagopa/fonts/`
//! holds them with the licence and their source.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Finish, Name, Pdf, Rect, Ref, Str};

/// One embedded face.
pub(super) struct Font {
    /// Its resource name on the page (`F1`).
    pub(super) resource: &'static [u8],
    postscript: &'static [u8],
    data: &'static [u8],
    face: ttf_parser::Face<'static>,
}

pub(super) const REGULAR: &[u8] = include_bytes!("../../fonts/TitilliumWeb-Regular.ttf");
pub(super) const BOLD: &[u8] = include_bytes!("../../fonts/TitilliumWeb-Bold.ttf");

impl Font {
    /// The face in `data`, or `None` when it does not parse (the bundled
    /// fonts always do; a test checks it).
    pub(super) fn new(
        resource: &'static [u8],
        postscript: &'static [u8],
        data: &'static [u8],
    ) -> Option<Self> {
        let face = ttf_parser::Face::parse(data, 0).ok()?;
        Some(Self {
            resource,
            postscript,
            data,
            face,
        })
    }

    fn units(&self) -> f32 {
        f32::from(self.face.units_per_em())
    }

    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map_or(0, |g| g.0)
    }

    /// The advance of glyph `id` in thousandths of the font size.
    fn advance(&self, id: u16) -> f32 {
        let units = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(id))
            .map_or(0.0, f32::from);
        units * 1000.0 / self.units()
    }

    /// The width of `text` at `size` points.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(c)))
            .sum::<f32>()
            * size
            / 1000.0
    }

    /// `text` as the two-byte glyph ids Identity-H reads.
    pub(super) fn encode(&self, text: &str) -> Vec<u8> {
        text.chars()
            .flat_map(|c| self.glyph(c).to_be_bytes())
            .collect()
    }

    /// Writes the font's objects from `first` on (five references): the
    /// Type0 font, its CID font, descriptor, font file and ToUnicode map.
    pub(super) fn write(&self, pdf: &mut Pdf, first: Ref) {
        let (type0, cid, descriptor, file, cmap) = (
            first,
            Ref::new(first.get() + 1),
            Ref::new(first.get() + 2),
            Ref::new(first.get() + 3),
            Ref::new(first.get() + 4),
        );
        let name = Name(self.postscript);
        let system = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        pdf.type0_font(type0)
            .base_font(name)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);

        // Every character the font maps, for widths and text extraction.
        let mut glyphs: Vec<(u16, char)> = Vec::new();
        if let Some(table) = self.face.tables().cmap {
            for subtable in table.subtables.into_iter().filter(|s| s.is_unicode()) {
                subtable.codepoints(|code| {
                    if let (Some(c), Some(g)) = (char::from_u32(code), subtable.glyph_index(code)) {
                        glyphs.push((g.0, c));
                    }
                });
            }
        }
        glyphs.sort_unstable();
        glyphs.dedup_by_key(|(g, _)| *g);

        let mut font = pdf.cid_font(cid);
        font.subtype(CidFontType::Type2)
            .base_font(name)
            .system_info(system)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let mut widths = font.widths();
        for (glyph, _) in &glyphs {
            widths.consecutive(*glyph, [self.advance(*glyph)]);
        }
        widths.finish();
        font.finish();

        let scale = 1000.0 / self.units();
        let bbox = self.face.global_bounding_box();
        pdf.font_descriptor(descriptor)
            .name(name)
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                f32::from(bbox.x_min) * scale,
                f32::from(bbox.y_min) * scale,
                f32::from(bbox.x_max) * scale,
                f32::from(bbox.y_max) * scale,
            ))
            .italic_angle(0.0)
            .ascent(f32::from(self.face.ascender()) * scale)
            .descent(f32::from(self.face.descender()) * scale)
            .cap_height(f32::from(self.face.capital_height().unwrap_or(700)) * scale)
            .stem_v(80.0)
            .font_file2(file);
        let length = i32::try_from(self.data.len()).unwrap_or(i32::MAX);
        pdf.stream(file, self.data).pair(Name(b"Length1"), length);

        let mut unicode = UnicodeCmap::new(Name(b"Titillium-UTF16"), system);
        for (glyph, c) in glyphs {
            unicode.pair(glyph, c);
        }
        pdf.cmap(cmap, &unicode.finish());
    }
}
