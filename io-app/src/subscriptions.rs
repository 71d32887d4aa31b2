//! The subscriptions feed (`GET /subscriptions-feed/{date}`): who
//! subscribed to or left a service on a day, as hashes of their codici
//! fiscali. A service that keeps its own list of reachable citizens reads
//! it once a day instead of asking IO about each citizen before each
//! message. IO grants it case by case, mainly to national services.

use abilita_core::{ApiRequest, Error, IdentifierError, IdentifierKind};
use serde::Deserialize;
use time::Date;

use crate::IoClient;
use crate::error::IoError;
use crate::model::Recipient;

const HASH: IdentifierKind = IdentifierKind::Platform("fiscal code hash");

/// A citizen as the feed names them: `LOWERCASE(HEX(SHA256(UPPERCASE(codice
/// fiscale))))`, 64 lower-case hex digits. Compare it with
/// [`FiscalCodeHash::of`] of the citizens a service knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FiscalCodeHash(String);

impl FiscalCodeHash {
    /// The hash IO gives `recipient` in the feed.
    #[must_use]
    pub fn of(recipient: &Recipient) -> Self {
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            recipient.as_str().to_ascii_uppercase().as_bytes(),
        );
        Self(digest.as_ref().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Reads a hash (from the feed, or from storage).
    ///
    /// # Errors
    /// Unless it is 64 lower-case hex digits. (IO's schema says 16
    /// characters and this pattern at once, which no value meets; the
    /// pattern is what IO sends.)
    pub fn parse(text: &str) -> Result<Self, IdentifierError> {
        if let Some((i, found)) = text
            .chars()
            .enumerate()
            .find(|(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
        {
            return Err(IdentifierError::Character {
                kind: HASH,
                position: i + 1,
                found,
                expected: "a lower-case hex digit",
            });
        }
        if text.len() != 64 {
            return Err(IdentifierError::Length {
                kind: HASH,
                expected: "64",
                found: text.len(),
            });
        }
        Ok(Self(text.to_owned()))
    }

    /// The hash as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for FiscalCodeHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One day of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionsFeed {
    /// The day (UTC).
    pub day: Date,
    /// Citizens who can now receive the service's messages: new IO users,
    /// and users who allowed the service again.
    pub subscriptions: Vec<FiscalCodeHash>,
    /// Citizens who no longer can: users who deleted their profile or
    /// blocked the service.
    pub unsubscriptions: Vec<FiscalCodeHash>,
}

#[derive(Deserialize)]
struct FeedBody {
    subscriptions: Vec<FiscalCodeHash>,
    unsubscriptions: Vec<FiscalCodeHash>,
}

impl IoClient {
    /// The feed of `day` (UTC) for this service. IO publishes a day's feed
    /// when the next day starts: read yesterday's each morning.
    ///
    /// # Errors
    /// [`IoError::FeedNotReady`] for today or a later day;
    /// [`IoError::Forbidden`] when IO did not grant the service the feed.
    pub async fn subscriptions_feed(&self, day: Date) -> Result<SubscriptionsFeed, Error<IoError>> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = day
            .format(&format)
            .ok()
            .filter(|d| d.len() == 10)
            .ok_or_else(|| {
                abilita_core::InvalidInput::new(
                    "date",
                    abilita_core::Rule("a day of the years 0 to 9999"),
                )
            })?;
        let body: FeedBody = self
            .send(|| {
                ApiRequest::get("/subscriptions-feed/{date}")
                    .operation("read subscriptions feed")
                    .path_param("date", &date)
            })
            .await?
            .json()?;
        Ok(SubscriptionsFeed {
            day,
            subscriptions: body.subscriptions,
            unsubscriptions: body.unsubscriptions,
        })
    }
}
