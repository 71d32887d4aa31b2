//! Activations (`POST` and `PUT /activations/`): a SPECIAL service (SEND,
//! CGN, and the like, set up by PagoPA) reaches only the citizens who
//! activated it. IO answers any other service 403.

use abilita_core::{ApiRequest, Error, InvalidInput, Rule};
use serde::{Deserialize, Serialize};

use crate::IoClient;
use crate::error::IoError;
use crate::model::Recipient;

/// A citizen's activation of a special service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ActivationStatus {
    /// The service may write to the citizen.
    Active,
    /// It may not.
    Inactive,
    /// Being activated: IO delivers for a grace period (24 hours by
    /// default).
    Pending,
    /// A state this SDK does not know yet (read only: never sent).
    #[serde(other)]
    Unknown,
}

/// An activation as IO stores it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Activation {
    /// The special service.
    pub service_id: String,
    /// The citizen's codice fiscale.
    pub fiscal_code: String,
    /// The state.
    pub status: ActivationStatus,
    /// How many times it changed (from 0).
    pub version: u64,
}

impl IoClient {
    /// This special service's activation for `recipient`.
    ///
    /// # Errors
    /// [`IoError::NotFound`] when the citizen never had one;
    /// [`IoError::Forbidden`] for a service that is not special.
    pub async fn activation(&self, recipient: &Recipient) -> Result<Activation, Error<IoError>> {
        let body = serde_json::json!({ "fiscal_code": recipient.as_str() });
        self.send(|| {
            ApiRequest::post("/activations/")
                .operation("read activation")
                .json(&body)
                .retry_safe()
        })
        .await?
        .json()
    }

    /// Creates or changes this special service's activation for
    /// `recipient`.
    ///
    /// # Errors
    /// [`abilita_core::Error::InvalidInput`] for
    /// [`ActivationStatus::Unknown`]; [`IoError::Forbidden`] for a service
    /// that is not special.
    pub async fn set_activation(
        &self,
        recipient: &Recipient,
        status: ActivationStatus,
    ) -> Result<Activation, Error<IoError>> {
        if status == ActivationStatus::Unknown {
            return Err(InvalidInput::new("status", Rule("ACTIVE, INACTIVE or PENDING")).into());
        }
        let body = serde_json::json!({ "fiscal_code": recipient.as_str(), "status": status });
        self.send(|| {
            ApiRequest::put("/activations/")
                .operation("set activation")
                .json(&body)
        })
        .await?
        .json()
    }
}
