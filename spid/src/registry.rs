//! The IdPs an SP trusts: AgID's signed aggregate (verified against the
//! pinned AgID certificate), single signed IdP metadata, and, only through
//! a method that says so, unsigned metadata of test IdPs.
//!
//! The keys that verify Responses come from here and nowhere else, so a
//! registry is only ever filled from verified documents. IdP certificates
//! rotate: refresh the aggregate (daily is customary) and keep the last
//! registry that loaded if a refresh fails, which [`SharedRegistry`] does
//! (`tokio::spawn(shared.clone().refresh_every(transport, agid_keys(),
//! one_day))`, the endpoints built on the same `shared`). AgID's signing
//! certificate is in the crate ([`AGID_REGISTRY_CERTIFICATE_PEM`], with
//! where it comes from and how to update it).
//!
//! # Refreshing
//! A new aggregate *replaces* the IdPs the previous one brought: an IdP that
//! left AgID's list is gone, and one whose certificates changed keeps only
//! the new ones. IdPs added one by one ([`IdpRegistry::add_signed_idp`],
//! test IdPs) stay. Within an entry, an unusable certificate is dropped and
//! reported; the IdP is skipped only when none is left.
//!
//! An older list must not silently replace a newer one (a download served
//! from a stale mirror, or replayed by whoever can answer it). What can be
//! told: a document's `mdrpi:PublicationInfo/@creationInstant` (SAML
//! metadata RPI 1.0), or else its `validUntil`; when both the list held and
//! the one offered carry it, an earlier one is refused
//! ([`RegistryError::Older`]). What cannot: AgID's aggregate as published
//! (the 2022 copy in the tests) carries neither, so two signed versions of
//! it cannot be ordered; then the newest download wins, and the TLS of the
//! download is what stands between the SP and a replayed list.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use abilita_core::{ApiRequest, Transport};
use roxmltree::Node;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::dsig::{DsigError, KeyError, TrustedKey, verify_document};
use crate::xml::{XmlError, parse, text_content};

const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const MDUI: &str = "urn:oasis:names:tc:SAML:metadata:ui";
const MDRPI: &str = "urn:oasis:names:tc:SAML:metadata:rpi";
const REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// Where AgID publishes the aggregate: the base URL of a [`Transport`] for
/// [`IdpRegistry::fetch_aggregate`].
pub const AGID_REGISTRY_BASE_URL: &str = "https://registry.spid.gov.it";

/// The aggregate's path under [`AGID_REGISTRY_BASE_URL`].
pub const AGGREGATE_PATH: &str = "/metadata/idp/spid-entities-idps.xml";

/// The certificate AgID signs the aggregate with (PEM): subject
/// `CN=Progetto SPID, O=Agenzia per l'Italia Digitale`, serialNumber
/// `VATIT-97735020584`, valid from 2019-11-18 to 2039-11-17, SHA-256
/// fingerprint `90:A7:E9:F5:…:2F:F1`.
///
/// Where it comes from: the `KeyInfo` of AgID's aggregate as published in
/// May 2022 (GitHub `pagopa-archive/spid-idp`, `spid-entities-idps.xml`,
/// commit `ef0c39c`, a copy of the registry's file), whose signature it
/// verifies (and xmlsec1 agrees). A third-party copy of the aggregate seen
/// later carries another AgID certificate (valid 2020-02-18 to 2040-02-17);
/// it is not shipped, as where it came from could not be confirmed.
///
/// To update: download the aggregate from [`AGID_REGISTRY_BASE_URL`] over
/// TLS, take the certificate from its `ds:KeyInfo`, check its fingerprint
/// with AgID (the registry's pages, or AgID's SPID office), and pass it to
/// [`TrustedKey::from_certificate_pem`]: the pinned keys are always an
/// argument, so a deployment can pin a new certificate without a new crate.
pub const AGID_REGISTRY_CERTIFICATE_PEM: &str =
    include_str!("../assets/agid/registry-signer-2019.pem");

/// The pinned AgID keys ([`AGID_REGISTRY_CERTIFICATE_PEM`]), ready for
/// [`IdpRegistry::load_aggregate`] and [`SharedRegistry::refresh`].
#[must_use]
pub fn agid_keys() -> Vec<TrustedKey> {
    TrustedKey::from_certificate_pem(AGID_REGISTRY_CERTIFICATE_PEM)
        .into_iter()
        .collect()
}

/// Why IdP metadata was not loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Not acceptable XML (size, depth, DTD, well-formedness).
    #[error("the IdP metadata is not acceptable XML")]
    Xml(#[from] XmlError),
    /// The document's own signature is missing or not by a trusted key.
    #[error("the IdP metadata's signature is not valid")]
    Signature(#[from] DsigError),
    /// A certificate in the metadata is not usable.
    #[error("an IdP certificate is not usable")]
    Certificate(#[from] KeyError),
    /// The document says it is no longer valid (`validUntil`).
    #[error("the IdP metadata expired at {0}")]
    Expired(OffsetDateTime),
    /// The aggregate is older than the one held (see the module docs).
    #[error("the IdP aggregate of {offered} is older than the one held, of {held}")]
    Older {
        /// The held list's publication (or `validUntil`).
        held: OffsetDateTime,
        /// The offered list's.
        offered: OffsetDateTime,
    },
    /// A required element is missing or malformed.
    #[error("the IdP metadata is not SPID metadata: {0}")]
    Shape(&'static str),
    /// The download failed.
    #[error("the IdP registry could not be downloaded")]
    Fetch(#[from] abilita_core::Error),
}

/// One IdP, as an app needs it to draw the chooser and to talk to it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Idp {
    /// The entity id (the Responses' Issuer).
    pub entity_id: String,
    /// The organisation's display name (Italian when several are given).
    pub display_name: String,
    /// A logo URL, when the metadata carries one (`mdui:Logo`).
    pub logo_url: Option<String>,
    /// The HTTP-Redirect SingleSignOnService.
    pub sso_redirect: Option<String>,
    /// The HTTP-POST SingleSignOnService.
    pub sso_post: Option<String>,
    /// The HTTP-Redirect SingleLogoutService.
    pub slo_redirect: Option<String>,
    /// The HTTP-POST SingleLogoutService.
    pub slo_post: Option<String>,
    /// The signing keys (KeyDescriptors for signing or for any use).
    pub keys: Vec<TrustedKey>,
}

/// What [`IdpRegistry::load_aggregate`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct AggregateReport {
    /// IdPs the aggregate brought (each replacing any held under its id).
    pub added: usize,
    /// IdPs of the previous aggregate that this one no longer lists:
    /// removed, keys and all.
    pub removed: Vec<String>,
    /// Entries skipped, by entity id, and why.
    pub skipped: Vec<(String, RegistryError)>,
    /// Certificates dropped from IdPs that were kept, by entity id.
    pub dropped_certificates: Vec<(String, KeyError)>,
}

/// The trusted IdPs, by entity id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdpRegistry {
    idps: BTreeMap<String, Idp>,
    /// The IdPs the last aggregate brought: a new one replaces them.
    from_aggregate: BTreeSet<String>,
    /// The last aggregate's publication instant, when it had one.
    aggregate_published: Option<OffsetDateTime>,
}

impl IdpRegistry {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads AgID's aggregate (`EntitiesDescriptor`), after verifying the
    /// whole-document signature with `agid` (the pinned AgID certificate)
    /// and its `validUntil`, if any, against `now`. Its IdPs replace those
    /// of the previous aggregate (see the module docs on refreshing).
    ///
    /// An entry that is not usable (no usable signing certificate, no
    /// entity id) is skipped and reported, so that one IdP's mistake does
    /// not take every other IdP's citizens out of the service.
    ///
    /// # Errors
    /// A [`RegistryError`] about the whole document (an older list
    /// included); nothing changes then.
    pub fn load_aggregate(
        &mut self,
        xml: &str,
        agid: &[TrustedKey],
        now: OffsetDateTime,
    ) -> Result<AggregateReport, RegistryError> {
        let document = parse(xml)?;
        let root = document.root_element();
        if !is(root, MD, "EntitiesDescriptor") {
            return Err(RegistryError::Shape(
                "the root is not an EntitiesDescriptor",
            ));
        }
        verify_document(&document, xml, agid)?;
        still_valid(root, now)?;
        let published = published(root)?;
        if let (Some(held), Some(offered)) = (self.aggregate_published, published)
            && offered < held
        {
            return Err(RegistryError::Older { held, offered });
        }

        let mut report = AggregateReport::default();
        let mut loaded = BTreeMap::new();
        for entity in root.children().filter(|c| is(*c, MD, "EntityDescriptor")) {
            let id = entity.attribute("entityID").unwrap_or_default().to_owned();
            match idp(entity, now) {
                Ok((idp, dropped)) => {
                    report
                        .dropped_certificates
                        .extend(dropped.into_iter().map(|error| (id.clone(), error)));
                    loaded.insert(idp.entity_id.clone(), idp);
                }
                Err(error) => report.skipped.push((id, error)),
            }
        }
        for gone in std::mem::take(&mut self.from_aggregate) {
            self.idps.remove(&gone);
            if !loaded.contains_key(&gone) {
                report.removed.push(gone);
            }
        }
        report.added = loaded.len();
        self.from_aggregate = loaded.keys().cloned().collect();
        self.idps.extend(loaded);
        self.aggregate_published = published.or(self.aggregate_published);
        Ok(report)
    }

    /// Downloads AgID's aggregate through `transport` (based at
    /// [`AGID_REGISTRY_BASE_URL`], or a mirror) and loads it as
    /// [`load_aggregate`](Self::load_aggregate) does.
    ///
    /// # Errors
    /// A [`RegistryError`]; nothing is added then.
    pub async fn fetch_aggregate(
        &mut self,
        transport: &Transport,
        agid: &[TrustedKey],
    ) -> Result<AggregateReport, RegistryError> {
        let response = transport
            .send::<Infallible>(ApiRequest::get(AGGREGATE_PATH).retry_safe())
            .await?;
        let xml = std::str::from_utf8(response.body())
            .map_err(|_| RegistryError::Shape("the aggregate is not UTF-8"))?;
        self.load_aggregate(xml, agid, transport.clock().now())
    }

    /// Adds one IdP from its own `EntityDescriptor`, signed by one of
    /// `signers` (AgID, or a key the operator pinned for it).
    ///
    /// # Errors
    /// A [`RegistryError`]; nothing is added then.
    pub fn add_signed_idp(
        &mut self,
        xml: &str,
        signers: &[TrustedKey],
        now: OffsetDateTime,
    ) -> Result<&Idp, RegistryError> {
        let document = parse(xml)?;
        verify_document(&document, xml, signers)?;
        self.add_entity(document.root_element(), now)
    }

    /// Adds one IdP from metadata that nobody signed: only for test IdPs
    /// (spid-sp-test, a local spid-saml-check), never for production, as
    /// anyone who can change the file can then log in as anyone.
    ///
    /// # Errors
    /// A [`RegistryError`]; nothing is added then.
    pub fn add_unsigned_idp_insecure(
        &mut self,
        xml: &str,
        now: OffsetDateTime,
    ) -> Result<&Idp, RegistryError> {
        let document = parse(xml)?;
        self.add_entity(document.root_element(), now)
    }

    fn add_entity(
        &mut self,
        root: Node<'_, '_>,
        now: OffsetDateTime,
    ) -> Result<&Idp, RegistryError> {
        if !is(root, MD, "EntityDescriptor") {
            return Err(RegistryError::Shape("the root is not an EntityDescriptor"));
        }
        still_valid(root, now)?;
        let (idp, dropped) = idp(root, now)?;
        for error in dropped {
            tracing::warn!(entity_id = %idp.entity_id, %error, "an IdP certificate was dropped");
        }
        self.from_aggregate.remove(&idp.entity_id);
        let entry = self.idps.entry(idp.entity_id.clone());
        Ok(match entry {
            Entry::Occupied(mut held) => {
                held.insert(idp);
                held.into_mut()
            }
            Entry::Vacant(free) => free.insert(idp),
        })
    }

    /// The IdP with this entity id.
    #[must_use]
    pub fn get(&self, entity_id: &str) -> Option<&Idp> {
        self.idps.get(entity_id)
    }

    /// Every IdP, by entity id: what the "Entra con SPID" chooser lists.
    pub fn idps(&self) -> impl Iterator<Item = &Idp> {
        self.idps.values()
    }

    /// The signing keys of an IdP (none for an unknown one, so that its
    /// Responses are refused): what
    /// [`finish_login`](crate::ServiceProvider::finish_login) asks for.
    #[must_use]
    pub fn keys_of(&self, entity_id: &str) -> Vec<TrustedKey> {
        self.get(entity_id)
            .map(|idp| idp.keys.clone())
            .unwrap_or_default()
    }
}

/// A registry shared by the SP's endpoints and a refresh task: each request
/// reads one consistent snapshot, and a refresh swaps in a whole new one.
/// Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct SharedRegistry {
    current: Arc<RwLock<Arc<IdpRegistry>>>,
}

impl From<IdpRegistry> for SharedRegistry {
    fn from(registry: IdpRegistry) -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(registry))),
        }
    }
}

impl SharedRegistry {
    /// The registry as it is now; later refreshes do not change it.
    #[must_use]
    pub fn snapshot(&self) -> Arc<IdpRegistry> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Replaces the registry.
    pub fn replace(&self, registry: IdpRegistry) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(registry);
    }

    /// Downloads AgID's aggregate once ([`IdpRegistry::fetch_aggregate`]
    /// on a copy) and swaps it in; on any error the registry is left as it
    /// was, the last good one. A change of IdPs or keys is logged at
    /// `info`.
    ///
    /// # Errors
    /// The [`RegistryError`] of the download or the check.
    pub async fn refresh(
        &self,
        transport: &Transport,
        agid: &[TrustedKey],
    ) -> Result<AggregateReport, RegistryError> {
        let before = self.snapshot();
        let mut next = IdpRegistry::clone(&before);
        let report = next.fetch_aggregate(transport, agid).await?;
        if next != *before {
            tracing::info!(
                idps = report.added,
                removed = ?report.removed,
                skipped = report.skipped.len(),
                dropped_certificates = report.dropped_certificates.len(),
                "the SPID IdP registry changed"
            );
        }
        for (entity_id, error) in &report.skipped {
            tracing::warn!(%entity_id, %error, "an IdP of AgID's aggregate was skipped");
        }
        self.replace(next);
        Ok(report)
    }

    /// Refreshes every `every`, forever (daily is customary): spawn it
    /// (`tokio::spawn(registry.clone().refresh_every(…))`). A failed
    /// refresh is logged at `warn` and keeps the last good registry; the
    /// next attempt comes `every` later. Sleeps on the transport's clock.
    pub async fn refresh_every(self, transport: Transport, agid: Vec<TrustedKey>, every: Duration) {
        loop {
            transport.clock().sleep(every).await;
            if let Err(error) = self.refresh(&transport, &agid).await {
                tracing::warn!(
                    error = %abilita_core::ErrorChain(&error),
                    "the SPID IdP registry was not refreshed; the last good one stays"
                );
            }
        }
    }
}

fn is(node: Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == name
}

fn still_valid(node: Node<'_, '_>, now: OffsetDateTime) -> Result<(), RegistryError> {
    let Some(until) = node.attribute("validUntil") else {
        return Ok(());
    };
    let until = OffsetDateTime::parse(until, &Rfc3339)
        .map_err(|_| RegistryError::Shape("validUntil is not a date-time"))?;
    if until <= now {
        return Err(RegistryError::Expired(until));
    }
    Ok(())
}

/// When an `EntitiesDescriptor` was published: its
/// `mdrpi:PublicationInfo/@creationInstant`, else its `validUntil`.
fn published(root: Node<'_, '_>) -> Result<Option<OffsetDateTime>, RegistryError> {
    let creation = root
        .children()
        .filter(|c| is(*c, MD, "Extensions"))
        .flat_map(|e| e.children().filter(|c| is(*c, MDRPI, "PublicationInfo")))
        .find_map(|info| info.attribute("creationInstant"));
    creation
        .or_else(|| root.attribute("validUntil"))
        .map(|at| {
            OffsetDateTime::parse(at, &Rfc3339)
                .map_err(|_| RegistryError::Shape("the publication instant is not a date-time"))
        })
        .transpose()
}

/// One `EntityDescriptor` with an `IDPSSODescriptor`, and the errors of the
/// certificates dropped from it.
fn idp(entity: Node<'_, '_>, now: OffsetDateTime) -> Result<(Idp, Vec<KeyError>), RegistryError> {
    still_valid(entity, now)?;
    let entity_id = entity
        .attribute("entityID")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or(RegistryError::Shape("EntityDescriptor without entityID"))?;
    let descriptor = entity
        .children()
        .find(|c| is(*c, MD, "IDPSSODescriptor"))
        .ok_or(RegistryError::Shape(
            "EntityDescriptor without IDPSSODescriptor",
        ))?;

    let endpoint = |name: &str, binding: &str| {
        descriptor
            .children()
            .filter(|c| is(*c, MD, name) && c.attribute("Binding") == Some(binding))
            .find_map(|c| c.attribute("Location"))
            .map(str::to_owned)
    };
    let (mut keys, mut dropped) = (Vec::new(), Vec::new());
    let certificates = descriptor
        .children()
        .filter(|c| is(*c, MD, "KeyDescriptor"))
        .filter(|c| c.attribute("use").is_none_or(|u| u == "signing"))
        .flat_map(|c| c.descendants().filter(|d| is(*d, DS, "X509Certificate")));
    for certificate in certificates {
        let key = crate::dsig::base64_content(certificate)
            .map_err(|_| KeyError::NotACertificate)
            .and_then(|der| TrustedKey::from_certificate_der(&der));
        match key {
            Ok(key) => keys.push(key),
            Err(error) => dropped.push(error),
        }
    }
    if keys.is_empty() {
        return Err(match dropped.pop() {
            Some(error) => RegistryError::Certificate(error),
            None => RegistryError::Shape("IDPSSODescriptor without a signing certificate"),
        });
    }

    let names: Vec<Node<'_, '_>> = entity
        .children()
        .filter(|c| is(*c, MD, "Organization"))
        .flat_map(|o| {
            o.children()
                .filter(|c| is(*c, MD, "OrganizationDisplayName"))
        })
        .collect();
    let italian = names
        .iter()
        .find(|n| n.attribute(("http://www.w3.org/XML/1998/namespace", "lang")) == Some("it"));
    let display_name = italian
        .or(names.first())
        .map(|n| {
            text_content(*n)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| entity_id.to_owned());
    let logo_url = entity
        .descendants()
        .find(|d| is(*d, MDUI, "Logo"))
        .map(|logo| text_content(logo).trim().to_owned())
        .filter(|url| !url.is_empty());

    let idp = Idp {
        entity_id: entity_id.to_owned(),
        display_name,
        logo_url,
        sso_redirect: endpoint("SingleSignOnService", REDIRECT),
        sso_post: endpoint("SingleSignOnService", POST),
        slo_redirect: endpoint("SingleLogoutService", REDIRECT),
        slo_post: endpoint("SingleLogoutService", POST),
        keys,
    };
    Ok((idp, dropped))
}
