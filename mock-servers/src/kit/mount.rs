//! Mounting a simulator on a [`wiremock::MockServer`], for Rust tests: one
//! mock that matches the paths of the simulator's route table and answers
//! through the same dispatch as the program's server.

use std::sync::Arc;

use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{Call, Platform, route};

struct Mounted<P>(Arc<P>);

impl<P: Platform> Match for Mounted<P> {
    fn matches(&self, request: &Request) -> bool {
        route::owns::<P>(request.url.path())
    }
}

impl<P: Platform> Respond for Mounted<P> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let call = Call::new(
            request.method.as_str(),
            request.url.path(),
            request.url.query(),
            &request.headers,
            &request.body,
        );
        let reply = route::serve(self.0.as_ref(), &call);
        let mut template = ResponseTemplate::new(reply.status());
        for (name, value) in reply.headers() {
            template = template.insert_header(name.as_str(), value.as_str());
        }
        let delay = reply.delay();
        template.set_body_bytes(reply.into_body()).set_delay(delay)
    }
}

/// Mounts `platform` on `server`, beside anything else mounted there.
pub(crate) async fn mount<P: Platform + Clone>(platform: &P, server: &MockServer, name: &str) {
    platform.served_at(&server.uri());
    Mock::given(Mounted(Arc::new(platform.clone())))
        .respond_with(Mounted(Arc::new(platform.clone())))
        .named(name)
        .mount(server)
        .await;
}
