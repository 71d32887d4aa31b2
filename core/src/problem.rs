//! RFC 7807 problem details, the error body most pagoPA and PDND services
//! answer with: read once here, by every platform crate's error type.

use serde::Deserialize;

/// A problem-details body (`application/problem+json`): every field
/// optional, as the platforms fill them unevenly. Platform crates flatten
/// it into their own error bodies (`#[serde(flatten)]`) and add their
/// fields (IO's gateway `message`, ANPR's `listaErrori`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ProblemJson {
    /// A short summary (`Conflict`, `Profile not found`).
    #[serde(default)]
    pub title: String,
    /// The occurrence's explanation, which names the field or state.
    #[serde(default)]
    pub detail: String,
    /// The HTTP status, as the body repeats it.
    #[serde(default)]
    pub status: Option<u16>,
}

impl ProblemJson {
    /// The body of `bytes`, if it is JSON of this shape.
    #[must_use]
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }

    /// The detail, or the title when there is no detail.
    #[must_use]
    pub fn detail_or_title(&self) -> &str {
        if self.detail.trim().is_empty() {
            &self.title
        } else {
            &self.detail
        }
    }
}
