//! Serving the simulators on sockets of their own, for the `abilita-mock`
//! program and [`crate::Simulators`]: a plain `hyper` server per simulator
//! that dispatches through the same route table as the wiremock mounting.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use abilita_core::{BoxFuture, Clock};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::kit::{self, Call, Platform, Reply};

use crate::anpr::AnprSimulator;
use crate::checkout::CheckoutSimulator;
use crate::fdr::FdrSimulator;
use crate::gpd::GpdSimulator;
use crate::io::{IoSimulator, ServiceSetup};
use crate::print::PrintSimulator;

/// The subscription key the program grants by default, for every creditor
/// it is told about and every segregation code.
pub const DEFAULT_KEY: &str = "abilita-test-key";

/// The creditor the program serves by default: pagoPA's official test
/// creditor.
pub const DEFAULT_CREDITOR: &str = "77777777777";

/// The service the program defines on its IO simulator.
pub const DEFAULT_IO_SERVICE: &str = "abilita-test-service";

/// The institution's manage key the program grants by default.
pub const DEFAULT_MANAGE_KEY: &str = "abilita-test-manage-key";

/// A running simulator on its own server.
#[derive(Debug)]
#[non_exhaustive]
pub struct Running<S> {
    /// The server; it stops when dropped.
    pub server: Server,
    /// The simulator, for control from Rust.
    pub simulator: S,
}

/// The largest request body the servers read (IO's service logos are the
/// largest bodies the platforms take); a larger one gets 413 unread, so an
/// anonymous caller cannot make the program hold more.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// How long [`Server::shutdown`] lets requests in flight finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// Anything the server can answer through: a simulator's route table, or
/// the Nodo's control API, whose answer waits on the station it calls.
pub(crate) trait App: Send + Sync {
    fn answer<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Reply>;
}

impl<P: Platform> App for P {
    fn answer<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Reply> {
        Box::pin(std::future::ready(kit::serve(self, &call)))
    }
}

/// An HTTP/1.1 server for one simulator, on `hyper`: it keeps nothing of a
/// request once answered, so its memory is the simulator's state and the
/// connections open. Besides the simulator's routes it answers `GET
/// /health` with `{"status":"UP"}`.
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    stop: watch::Sender<bool>,
    accepting: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Serves `platform` on `address` (port 0: any free port).
    async fn start<P: Platform>(address: SocketAddr, platform: P) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address).await?;
        platform.served_at(&format!("http://{}", listener.local_addr()?));
        Self::serve(listener, Arc::new(platform))
    }

    /// Serves `app` on `listener`.
    pub(crate) fn serve(listener: TcpListener, app: Arc<dyn App>) -> std::io::Result<Self> {
        let address = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let accepting = tokio::spawn(accept(listener, app, stopped));
        Ok(Self {
            address,
            stop,
            accepting: Some(accepting),
        })
    }

    /// `http://IP:PORT`.
    #[must_use]
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address bound.
    #[must_use]
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops accepting connections, lets the requests in flight finish for
    /// up to [`SHUTDOWN_GRACE`], then closes every connection. A request is
    /// applied to the simulator's state at once or not at all (handlers do
    /// not wait on anything), so closing never leaves one half-applied; an
    /// answer held back by a fault is dropped, as a lost response would be.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Accepts connections until told to stop, then drains them.
async fn accept(listener: TcpListener, app: Arc<dyn App>, mut stopped: watch::Receiver<bool>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        // Finished connections are reaped as we go: the set holds live ones.
        while connections.try_join_next().is_some() {}
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of descriptors, say: wait a little rather than spin.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let app = app.clone();
                let stopped = stopped.clone();
                connections.spawn(connection(stream, app, stopped));
            }
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drained).await.is_err() {
        connections.shutdown().await;
    }
}

/// Serves one connection; asked to stop, it finishes the request in
/// flight and closes.
async fn connection(stream: TcpStream, app: Arc<dyn App>, mut stopped: watch::Receiver<bool>) {
    let service = service_fn(move |request| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(respond(app.as_ref(), request).await) }
    });
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stopped.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

async fn respond(app: &dyn App, request: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let Ok(body) = Limited::new(body, MAX_BODY).collect().await else {
        return response(
            &Reply::new(413).json(&json!({ "detail": "the body is too large or broken" })),
            Bytes::new(),
        );
    };
    let body = body.to_bytes();
    let reply = if parts.method == http::Method::GET && parts.uri.path() == "/health" {
        Reply::new(200).json(&json!({ "status": "UP" }))
    } else {
        let call = Call::new(
            parts.method.as_str(),
            parts.uri.path(),
            parts.uri.query(),
            &parts.headers,
            &body,
        );
        app.answer(call).await
    };
    if !reply.delay().is_zero() {
        tokio::time::sleep(reply.delay()).await;
    }
    let bytes = Bytes::from(reply.body().to_vec());
    response(&reply, bytes)
}

fn response(reply: &Reply, body: Bytes) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(body));
    *response.status_mut() = http::StatusCode::from_u16(reply.status())
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in reply.headers() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// Starts the Nodo's control server: `POST /__control/nodo/pay` makes
/// the Nodo simulator pay a notice at a station (see [`crate::nodo`]).
///
/// # Errors
/// When the address cannot be bound.
pub async fn start_nodo(address: SocketAddr) -> std::io::Result<Server> {
    let listener = TcpListener::bind(address).await?;
    Server::serve(listener, Arc::new(crate::nodo::Control::new()))
}

/// Starts a GPD simulator where `key` may act for `creditors`.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start_gpd(
    address: SocketAddr,
    clock: Arc<dyn Clock>,
    key: &str,
    creditors: &[&str],
) -> std::io::Result<Running<GpdSimulator>> {
    let simulator = GpdSimulator::new(clock);
    simulator.grant(key, creditors, None);
    let server = Server::start(address, simulator.clone()).await?;
    Ok(Running { server, simulator })
}

/// Starts an FdR simulator where `key` may read the flows of `creditors`,
/// fed by `gpd`'s payments when given.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start_fdr(
    address: SocketAddr,
    clock: Arc<dyn Clock>,
    key: &str,
    creditors: &[&str],
    gpd: Option<GpdSimulator>,
) -> std::io::Result<Running<FdrSimulator>> {
    let simulator = match gpd {
        Some(gpd) => FdrSimulator::fed_by(clock, gpd),
        None => FdrSimulator::new(clock),
    };
    simulator.grant(key, creditors);
    let server = Server::start(address, simulator.clone()).await?;
    Ok(Running { server, simulator })
}

/// Starts a Checkout simulator where `key` may create carts, paying on
/// `gpd` when given.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start_checkout(
    address: SocketAddr,
    key: &str,
    gpd: Option<GpdSimulator>,
) -> std::io::Result<Running<CheckoutSimulator>> {
    let simulator = gpd.map_or_else(CheckoutSimulator::new, CheckoutSimulator::fed_by);
    simulator.grant(key);
    let server = Server::start(address, simulator.clone()).await?;
    Ok(Running { server, simulator })
}

/// Starts a print service simulator where `key` may print.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start_print(
    address: SocketAddr,
    clock: Arc<dyn Clock>,
    key: &str,
) -> std::io::Result<Running<PrintSimulator>> {
    let simulator = PrintSimulator::new(clock);
    simulator.grant(key);
    let server = Server::start(address, simulator.clone()).await?;
    Ok(Running { server, simulator })
}

/// Starts an IO simulator with one approved service of `institution`
/// ([`DEFAULT_IO_SERVICE`], keys `key` and `key` + `-secondary`, allowed
/// to read the subscriptions feed so that pipelines can try it) and the
/// institution's `manage_key`.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start_io(
    address: SocketAddr,
    clock: Arc<dyn Clock>,
    key: &str,
    manage_key: &str,
    institution: &str,
) -> std::io::Result<Running<IoSimulator>> {
    let simulator = IoSimulator::new(clock);
    let mut service = ServiceSetup::new(DEFAULT_IO_SERVICE, institution, key);
    service.subscriptions_feed_allowed = true;
    service.service_write_allowed = true;
    simulator.add_service(&service);
    simulator.add_manage_key(institution, manage_key);
    let server = Server::start(address, simulator.clone()).await?;
    Ok(Running { server, simulator })
}

/// Starts a PDND + ANPR simulator; clients register through
/// `POST /__control/anpr/clients` (or [`AnprSimulator::register_client`]).
///
/// # Errors
/// When the address cannot be bound.
pub async fn start_anpr(
    address: SocketAddr,
    clock: Arc<dyn Clock>,
) -> std::io::Result<Running<AnprSimulator>> {
    let simulator = AnprSimulator::new(clock);
    let server = Server::start(address, simulator.clone()).await?;
    Ok(Running { server, simulator })
}

/// Serves a SPID (or CIE) test IdP; its base URL becomes the served address.
///
/// # Errors
/// When the address cannot be bound.
pub async fn start_spid_idp(
    address: SocketAddr,
    idp: crate::spid::SpidIdp,
) -> std::io::Result<Running<crate::spid::SpidIdp>> {
    let server = Server::start(address, idp.clone()).await?;
    Ok(Running {
        server,
        simulator: idp,
    })
}
