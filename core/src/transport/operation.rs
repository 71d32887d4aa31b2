//! One call as a value: its request built afresh for each attempt, and a
//! say in what follows a failed one. The transport's attempt loop is the
//! only one; platform crates extend it through this trait instead of
//! writing loops of their own (in the spirit of smithy-rs's per-attempt
//! interceptors).
//!
//! What a platform does in [`Operation::request`], before each attempt:
//! sign the request anew (ANPR's ModI tokens and PDND's client assertion
//! must never be sent twice), take a rate-limit permit (App IO's
//! institution-wide limit counts attempts, not calls), choose a key. What
//! it does in [`Operation::after_failure`]: reclassify an error it knows
//! more about (a 401 on the primary key, with a secondary key to try).

use crate::clock::BoxFuture;
use crate::error::{Error, PlatformError};
use crate::transport::ApiRequest;

/// The most attempts of one call, whatever the policy and the operation say.
pub const MAX_ATTEMPTS: u32 = 16;

/// One call: how to build its request for each attempt.
pub trait Operation<E: PlatformError>: Send + Sync {
    /// The request of attempt `attempt` (from 1). A failure here (a voucher
    /// PDND would not give, say) counts as a failed attempt: retried by
    /// the transport's rules when it is retryable, as nothing was sent to
    /// this operation's platform.
    fn request(&self, attempt: u32) -> BoxFuture<'_, Result<ApiRequest, Error<E>>>;

    /// A request like those this operation sends, whose method, path
    /// template and operation name then name the call in an error
    /// [`Operation::request`] returns before it built one (a shared rate
    /// limit whose store failed): "App IO get profile: …" rather than an
    /// unnamed failure. `None`, the default, leaves such errors as they
    /// are.
    fn describe(&self) -> Option<ApiRequest> {
        None
    }

    /// What follows failed attempt `attempt`; by default the transport's
    /// rules ([`Decision::Policy`]).
    fn after_failure(&self, error: &Error<E>, attempt: u32) -> Decision {
        let _ = (error, attempt);
        Decision::Policy
    }
}

/// What follows a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// The transport's rules: the retry policy, the error's class, the
    /// request's retry safety and the server's wait hint.
    Policy,
    /// Try again at once: the operation changed what the next attempt
    /// sends (another key). It counts beside the retry policy's attempts,
    /// so an operation must return it a bounded number of times (the
    /// transport stops at [`MAX_ATTEMPTS`] whatever it says).
    RetryNow,
    /// The platform's answer shows it did not act (its own error body, not
    /// a gateway's): retry by the policy's waits and attempts, even a
    /// request that is not safe to repeat.
    NotActedOn,
    /// Give up: return this error.
    Stop,
}

/// A request sent as it is, however many attempts.
pub(crate) struct Fixed(pub(crate) ApiRequest);

impl<E: PlatformError> Operation<E> for Fixed {
    fn request(&self, _attempt: u32) -> BoxFuture<'_, Result<ApiRequest, Error<E>>> {
        let request = self.0.duplicate();
        Box::pin(async move { Ok(request) })
    }
}
