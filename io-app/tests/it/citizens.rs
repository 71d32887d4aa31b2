//! The operations about citizens beyond sending: the older profile read,
//! the subscriptions feed, special services' activations, and the
//! organisation's logo.

use abilita_core::{Error, PartitaIva};
use abilita_io::model::Recipient;
use abilita_io::subscriptions::FiscalCodeHash;
use abilita_io::{ActivationStatus, IoError, Reach};
use abilita_mock::io::CitizenState;
use time::Duration;
use time::macros::date;

use super::{INSTITUTION, fiscal_code, harness, service, service_error};

/// The day the feed is read for (the harness's clock starts the day before).
const DAY: time::Date = date!(2026 - 11 - 27);

#[tokio::test]
async fn the_older_profile_read_answers_as_the_body_one() {
    let h = harness().await;
    let io = h.no_retry_client("key-1");
    let allowed = Recipient::new(fiscal_code(1)).unwrap();
    let blocking = Recipient::new(fiscal_code(2)).unwrap();
    let absent = Recipient::new(fiscal_code(3)).unwrap();
    h.io.set_citizen(allowed.as_str(), CitizenState::Allowed, &[]);
    h.io.set_citizen(blocking.as_str(), CitizenState::Allowed, &["svc-tributi"]);
    for (who, sender_allowed) in [(&allowed, true), (&blocking, false)] {
        let by_path = io.profile_by_path(who).await.unwrap();
        assert_eq!(by_path.sender_allowed, sender_allowed);
        assert_eq!(by_path, io.profile(who).await.unwrap());
    }
    assert!(matches!(
        service_error(io.profile_by_path(&absent).await),
        IoError::NotRegistered { .. }
    ));
}

#[tokio::test]
async fn the_feed_tells_a_day_of_subscriptions_once_the_day_is_over() {
    let h = harness().await;
    let mut feed_service = service("svc-anagrafe", "feed-1", "feed-2", false);
    feed_service.subscriptions_feed_allowed = true;
    h.io.add_service(&feed_service);
    let io = h.no_retry_client("feed-1");
    let [newcomer, blocker, returning, leaving, brief] =
        [10, 11, 12, 13, 14].map(|n| Recipient::new(fiscal_code(n)).unwrap());

    // The day before (2026-11-26, the harness's clock): a citizen who
    // blocks the service, one who allows it, one who will leave.
    h.io.set_citizen(returning.as_str(), CitizenState::Allowed, &["svc-anagrafe"]);
    h.io.set_citizen(blocker.as_str(), CitizenState::Allowed, &[]);
    h.io.set_citizen(leaving.as_str(), CitizenState::Allowed, &[]);
    h.clock.advance(Duration::days(1));
    h.io.set_citizen(newcomer.as_str(), CitizenState::Allowed, &[]);
    h.io.set_citizen(blocker.as_str(), CitizenState::Allowed, &["svc-anagrafe"]);
    h.io.set_citizen(returning.as_str(), CitizenState::Allowed, &[]);
    h.io.set_citizen(leaving.as_str(), CitizenState::NotRegistered, &[]);
    // A profile created and the service blocked the same day: neither.
    h.io.set_citizen(brief.as_str(), CitizenState::Allowed, &["svc-anagrafe"]);

    assert!(matches!(
        service_error(io.subscriptions_feed(DAY).await),
        IoError::FeedNotReady { .. }
    ));
    h.clock.advance(Duration::days(1));
    let feed = io.subscriptions_feed(DAY).await.unwrap();
    assert_eq!(feed.day, DAY);
    let mut subscribed = vec![
        FiscalCodeHash::of(&newcomer),
        FiscalCodeHash::of(&returning),
    ];
    subscribed.sort();
    let mut got = feed.subscriptions.clone();
    got.sort();
    assert_eq!(got, subscribed);
    let mut unsubscribed = vec![FiscalCodeHash::of(&blocker), FiscalCodeHash::of(&leaving)];
    unsubscribed.sort();
    let mut got = feed.unsubscriptions.clone();
    got.sort();
    assert_eq!(got, unsubscribed);
    // The day before holds its own events only: two new profiles (the
    // third blocked the service the day it joined).
    let before = io.subscriptions_feed(date!(2026 - 11 - 26)).await.unwrap();
    assert_eq!(before.subscriptions.len(), 2, "{before:?}");

    // The hash as IO defines it, LOWERCASE(HEX(SHA256(UPPERCASE(CF)))):
    // the value computed by Python's hashlib for the sandbox code.
    assert_eq!(
        FiscalCodeHash::of(&Recipient::io_sandbox()).as_str(),
        "69c91b400de1b28c17fef445c0ab36b16f2b5b8df0b996448f9860895868371d"
    );
    assert_eq!(
        FiscalCodeHash::parse("69c91b400de1b28c17fef445c0ab36b16f2b5b8df0b996448f9860895868371d")
            .unwrap(),
        FiscalCodeHash::of(&Recipient::io_sandbox())
    );
    assert!(
        FiscalCodeHash::parse(
            &"69c91b400de1b28c17fef445c0ab36b16f2b5b8df0b996448f9860895868371d".to_uppercase()
        )
        .is_err()
    );
    // A service IO did not grant the feed.
    let refused = h.no_retry_client("key-1").subscriptions_feed(DAY).await;
    assert!(matches!(service_error(refused), IoError::Forbidden { .. }));
}

#[tokio::test]
async fn a_special_service_reaches_only_the_citizens_who_activated_it() {
    let h = harness().await;
    let mut special = service("svc-speciale", "special-1", "special-2", false);
    special.special = true;
    h.io.add_service(&special);
    let io = h.no_retry_client("special-1");
    let citizen = Recipient::new(fiscal_code(20)).unwrap();
    h.io.set_citizen(citizen.as_str(), CitizenState::Allowed, &[]);

    assert!(matches!(
        service_error(io.activation(&citizen).await),
        IoError::NotFound { .. }
    ));
    assert_eq!(io.reach(&citizen).await.unwrap(), Reach::ServiceBlocked);
    let pending = io
        .set_activation(&citizen, ActivationStatus::Pending)
        .await
        .unwrap();
    assert_eq!(
        (pending.status, pending.version),
        (ActivationStatus::Pending, 0)
    );
    assert_eq!(io.reach(&citizen).await.unwrap(), Reach::Reachable);
    // A pending activation lets the service write for 24 hours only.
    h.clock.advance(Duration::hours(25));
    assert_eq!(io.reach(&citizen).await.unwrap(), Reach::ServiceBlocked);
    let active = io
        .set_activation(&citizen, ActivationStatus::Active)
        .await
        .unwrap();
    assert_eq!(
        (active.status, active.version),
        (ActivationStatus::Active, 1)
    );
    assert_eq!(io.activation(&citizen).await.unwrap(), active);
    assert_eq!(io.reach(&citizen).await.unwrap(), Reach::Reachable);

    // An ordinary service may not call them; an unknown status is never sent.
    let ordinary = h.no_retry_client("key-1");
    assert!(matches!(
        service_error(ordinary.activation(&citizen).await),
        IoError::Forbidden { .. }
    ));
    assert!(matches!(
        io.set_activation(&citizen, ActivationStatus::Unknown).await,
        Err(Error::InvalidInput(_))
    ));
}

#[tokio::test]
async fn the_organisation_logo_is_a_png_for_an_eleven_digit_code() {
    let h = harness().await;
    let organisation = PartitaIva::new(INSTITUTION).unwrap();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    // Only a key of IO's ApiServiceWrite group may: IO's 403 otherwise.
    assert!(matches!(
        service_error(
            h.no_retry_client("key-1")
                .upload_organization_logo(&organisation, png)
                .await
        ),
        IoError::Forbidden { .. }
    ));
    let mut admin = service("svc-admin", "admin-1", "admin-2", false);
    admin.service_write_allowed = true;
    h.io.add_service(&admin);
    let io = h.no_retry_client("admin-1");
    io.upload_organization_logo(&organisation, png)
        .await
        .unwrap();
    assert!(matches!(
        io.upload_organization_logo(&organisation, b"GIF89a").await,
        Err(Error::InvalidInput(_))
    ));
    // The manage key is no service's: IO's 403.
    let manage = h.client("manage-key", None);
    assert!(matches!(
        service_error(manage.upload_organization_logo(&organisation, png).await),
        IoError::Forbidden { .. }
    ));
}
