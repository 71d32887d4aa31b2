//! Logos: a service's (`PUT /manage/services/{id}/logo`) and the
//! organisation's (`PUT /organizations/{organization_fiscal_code}/logo`).
//! IO takes a PNG, base64-encoded in JSON; it asks for 300×300 pixels on
//! a white or transparent background.

use abilita_core::{ApiRequest, Error, InvalidInput, PartitaIva};
use base64::Engine as _;

use crate::IoClient;
use crate::error::IoError;
use crate::model::ContentRule;

/// The JSON body IO takes for a logo, or the local refusal of bytes that
/// are not a PNG (IO would refuse them after the upload).
pub(crate) fn body(png: &[u8]) -> Result<serde_json::Value, InvalidInput> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !png.starts_with(SIGNATURE) {
        return Err(InvalidInput::new(
            "logo",
            ContentRule("the logo must be a PNG"),
        ));
    }
    let logo = base64::engine::general_purpose::STANDARD.encode(png);
    Ok(serde_json::json!({ "logo": logo }))
}

impl IoClient {
    /// Uploads the logo of the organisation `organization` (its 11-digit
    /// fiscal code), shown beside all of its services. IO accepts it
    /// (202) and stores it shortly after. The service's key needs IO's
    /// `ApiServiceWrite` group.
    ///
    /// # Errors
    /// [`abilita_core::Error::InvalidInput`] when `png` is not a PNG;
    /// [`IoError::Validation`] when IO refuses it; [`IoError::Forbidden`]
    /// for a key without the group.
    pub async fn upload_organization_logo(
        &self,
        organization: &PartitaIva,
        png: &[u8],
    ) -> Result<(), Error<IoError>> {
        let body = body(png)?;
        self.send(|| {
            ApiRequest::put("/organizations/{organization_fiscal_code}/logo")
                .operation("upload organization logo")
                .path_param("organization_fiscal_code", organization.as_str())
                .json(&body)
        })
        .await
        .map(drop)
    }
}
