//! The Service Providers the IdP trusts, read from their metadata: where to
//! answer (ACS, SLO), what to send (attribute sets), and the keys their
//! requests must be signed with.

use abilita_spid::dsig::TrustedKey;
use roxmltree::Node;

use super::{MD, SAML_POST};

/// An `AssertionConsumerService` of an SP.
#[derive(Debug, Clone)]
pub(crate) struct Acs {
    pub(crate) index: String,
    pub(crate) location: String,
    pub(crate) binding: String,
    pub(crate) default: bool,
}

/// A trusted SP.
#[derive(Clone)]
pub(crate) struct Sp {
    pub(crate) entity_id: String,
    pub(crate) acs: Vec<Acs>,
    /// `(binding, Location, ResponseLocation)` of each SingleLogoutService.
    pub(crate) slo: Vec<(String, String, String)>,
    /// `AttributeConsumingService` index → the attribute names it asks for.
    pub(crate) attribute_sets: Vec<(String, Vec<String>)>,
    pub(crate) keys: Vec<TrustedKey>,
}

impl std::fmt::Debug for Sp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sp")
            .field("entity_id", &self.entity_id)
            .finish_non_exhaustive()
    }
}

fn is(node: Node<'_, '_>, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(MD) && node.tag_name().name() == name
}

impl Sp {
    /// Reads an SP's `EntityDescriptor`. Its signature, if any, is not
    /// checked: whoever registers an SP with a test IdP is trusted, as an
    /// IdP trusts what AgID's registry gives it.
    pub(crate) fn from_metadata(xml: &str) -> Result<Self, String> {
        let document = abilita_spid::xml::parse(xml).map_err(|e| format!("SP metadata: {e}"))?;
        let root = document.root_element();
        if !is(root, "EntityDescriptor") {
            return Err("SP metadata: the root is not an md:EntityDescriptor".to_owned());
        }
        let entity_id = root
            .attribute("entityID")
            .filter(|id| !id.is_empty())
            .ok_or("SP metadata: no entityID")?
            .to_owned();
        let descriptor = root
            .children()
            .find(|c| is(*c, "SPSSODescriptor"))
            .ok_or("SP metadata: no SPSSODescriptor")?;
        let acs: Vec<Acs> = descriptor
            .children()
            .filter(|c| is(*c, "AssertionConsumerService"))
            .filter_map(|c| {
                Some(Acs {
                    index: c.attribute("index")?.to_owned(),
                    location: c.attribute("Location")?.to_owned(),
                    binding: c.attribute("Binding")?.to_owned(),
                    default: c.attribute("isDefault") == Some("true"),
                })
            })
            .collect();
        if !acs.iter().any(|a| a.binding == SAML_POST) {
            return Err(
                "SP metadata: no AssertionConsumerService with the HTTP-POST binding".to_owned(),
            );
        }
        let slo = descriptor
            .children()
            .filter(|c| is(*c, "SingleLogoutService"))
            .filter_map(|c| {
                let location = c.attribute("Location")?.to_owned();
                let response = c
                    .attribute("ResponseLocation")
                    .unwrap_or(&location)
                    .to_owned();
                Some((c.attribute("Binding")?.to_owned(), location, response))
            })
            .collect();
        let attribute_sets = descriptor
            .children()
            .filter(|c| is(*c, "AttributeConsumingService"))
            .filter_map(|c| {
                let names = c
                    .children()
                    .filter(|r| is(*r, "RequestedAttribute"))
                    .filter_map(|r| r.attribute("Name").map(str::to_owned))
                    .collect();
                Some((c.attribute("index")?.to_owned(), names))
            })
            .collect();
        let keys: Vec<TrustedKey> = descriptor
            .children()
            .filter(|c| is(*c, "KeyDescriptor") && c.attribute("use") != Some("encryption"))
            .flat_map(|c| c.descendants())
            .filter(|n| n.is_element() && n.tag_name().name() == "X509Certificate")
            .filter_map(|n| TrustedKey::from_certificate_pem(n.text().unwrap_or_default()).ok())
            .collect();
        if keys.is_empty() {
            return Err("SP metadata: no usable signing certificate".to_owned());
        }
        Ok(Self {
            entity_id,
            acs,
            slo,
            attribute_sets,
            keys,
        })
    }

    /// The ACS marked default, else the lowest index, with HTTP-POST.
    pub(crate) fn default_acs(&self) -> Option<&Acs> {
        let post = || self.acs.iter().filter(|a| a.binding == SAML_POST);
        post()
            .find(|a| a.default)
            .or_else(|| post().min_by_key(|a| a.index.parse::<u32>().unwrap_or(u32::MAX)))
    }

    /// Where to post a LogoutRequest (`Location`) or a LogoutResponse
    /// (`ResponseLocation`): the HTTP-POST service, the only binding the
    /// IdP answers with, as SPID IdPs do.
    pub(crate) fn slo_post(&self, response: bool) -> Option<&str> {
        self.slo
            .iter()
            .find(|(binding, _, _)| binding == SAML_POST)
            .map(|(_, location, response_location)| {
                if response {
                    response_location.as_str()
                } else {
                    location.as_str()
                }
            })
    }
}
