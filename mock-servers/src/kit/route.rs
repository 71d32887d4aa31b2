//! One route table per simulator: the paths it serves, each with its
//! handler. The table decides which requests a simulator owns (what the
//! wiremock mounting matches) and where each goes (the dispatch), so the two
//! cannot disagree.

use crate::faults::{Fault, Faults, LOST_RESPONSE_DELAY};

use super::{Call, Outcome, Reply};

/// A route: a method and a path pattern whose `{name}` segments capture one
/// non-empty path segment each.
pub(crate) struct Route<P: Platform> {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    pub(crate) handler: Handler<P>,
}

/// Who may call a route, and so what runs before its handler.
pub(crate) enum Handler<P: Platform> {
    /// The platform's API: faults are injected, then the caller admitted
    /// ([`Platform::admit`]), then the handler runs.
    Api(fn(&P, &P::Caller, &Call<'_>, &Params<'_>) -> Outcome),
    /// The simulator's control API (`/__control/…`): no faults, no keys.
    Control(fn(&P, &Call<'_>, &Params<'_>) -> Outcome),
}

/// The segments a route's pattern captured, by name.
#[derive(Debug, Default)]
pub(crate) struct Params<'a>(Vec<(&'static str, std::borrow::Cow<'a, str>)>);

impl Params<'_> {
    /// The segment captured as `{name}`, percent-decoded (an IUPD with a
    /// blank arrives as `%20`); empty when the route has none (a route
    /// table and its handlers are written together, so this is a bug,
    /// answered by the handler's own "not found").
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_ref())
    }
}

impl<P: Platform> Route<P> {
    /// The captures when `path` fits this route's pattern.
    fn captures<'a>(&self, path: &'a str) -> Option<Params<'a>> {
        let mut params = Vec::new();
        let mut pattern = self.path.split('/');
        let mut actual = path.split('/');
        loop {
            match (pattern.next(), actual.next()) {
                (None, None) => return Some(Params(params)),
                (Some(p), Some(a)) => {
                    if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                        if a.is_empty() {
                            return None;
                        }
                        // A segment that does not decode to UTF-8 names
                        // nothing a platform stores.
                        let decoded = percent_encoding::percent_decode_str(a).decode_utf8().ok()?;
                        params.push((name, decoded));
                    } else if p != a {
                        return None;
                    }
                }
                _ => return None,
            }
        }
    }
}

/// A platform simulator: its route table and the answers its gateway gives.
pub(crate) trait Platform: Sized + Send + Sync + 'static {
    /// Who an admitted API call comes from (a key's grant, a service).
    type Caller;

    /// The prefix of the simulator's control API (`/__control/gpd`); the
    /// kit serves `POST {prefix}/faults` there for every simulator.
    const CONTROL: &'static str;

    /// Every route the simulator serves, but the shared `faults` one.
    fn routes() -> &'static [Route<Self>];

    /// The faults to inject on API routes.
    fn faults(&self) -> &Faults;

    /// The gateway's checks before any API handler (keys, rate limits); a
    /// refusal is answered as is.
    fn admit(&self, call: &Call<'_>, params: &Params<'_>) -> Result<Self::Caller, Reply>;

    /// A last touch on an admitted call's answer (rate-limit headers, a
    /// request id).
    fn finish(&self, _caller: &Self::Caller, _call: &Call<'_>, reply: Reply) -> Reply {
        reply
    }

    /// The answer to a path or method the platform does not serve.
    fn not_found(&self) -> Reply;

    /// The answer to a throttled call ([`Faults::throttle_next`]).
    fn throttled(&self) -> Reply;

    /// The answer to a call that failed on the platform's side
    /// ([`Faults::set_server_error_share`]).
    fn unavailable(&self) -> Reply;

    /// Called with the base URI (`http://127.0.0.1:PORT`) the simulator is
    /// served at, before any request.
    fn served_at(&self, _base_uri: &str) {}
}

/// Whether a route of `P` has `path` (whatever the method).
pub(crate) fn owns<P: Platform>(path: &str) -> bool {
    is_faults_path::<P>(path) || P::routes().iter().any(|r| r.captures(path).is_some())
}

fn is_faults_path<P: Platform>(path: &str) -> bool {
    path.strip_prefix(P::CONTROL) == Some("/faults")
}

/// Answers `call` through `platform`'s route table.
pub(crate) fn serve<P: Platform>(platform: &P, call: &Call<'_>) -> Reply {
    if call.method() == "POST" && is_faults_path::<P>(call.path()) {
        return platform.faults().configure(call.body());
    }
    let found = P::routes().iter().find_map(|route| {
        (route.method == call.method())
            .then(|| route.captures(call.path()))
            .flatten()
            .map(|params| (route, params))
    });
    let Some((route, params)) = found else {
        return platform.not_found();
    };
    match route.handler {
        Handler::Control(handler) => handler(platform, call, &params).unwrap_or_else(|r| r),
        Handler::Api(handler) => {
            let faults = platform.faults();
            let fault = faults.draw();
            let reply = match fault {
                Some(Fault::Throttle) => platform.throttled(),
                Some(Fault::ServerError) => platform.unavailable(),
                Some(Fault::LoseResponse) | None => match platform.admit(call, &params) {
                    Ok(caller) => {
                        let reply = handler(platform, &caller, call, &params).unwrap_or_else(|r| r);
                        platform.finish(&caller, call, reply)
                    }
                    Err(refusal) => refusal,
                },
            };
            if fault == Some(Fault::LoseResponse) {
                reply.delayed(LOST_RESPONSE_DELAY)
            } else {
                faults.delay(reply)
            }
        }
    }
}

/// The routes of `P` as `(method, path pattern)`, in table order, the
/// shared `faults` route last.
pub(crate) fn table<P: Platform>() -> impl Iterator<Item = (&'static str, String)> {
    P::routes()
        .iter()
        .map(|r| (r.method, r.path.to_owned()))
        .chain([("POST", format!("{}/faults", P::CONTROL))])
}
