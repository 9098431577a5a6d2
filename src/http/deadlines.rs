//! Deadlines for slow clients. A connection costs a socket, a task and buffers for as long as
//! it is open, and one that is slow on purpose costs nothing to its sender; so every phase in
//! which the server waits for the client has a deadline:
//!
//! - **the request head**: `HTTP_HEADER_READ_TIMEOUT_SECS` from the connection's acceptance
//!   (its first request) or from the first byte of the next request;
//! - **between requests**: `HTTP_KEEP_ALIVE_TIMEOUT_SECS` of silence with no request in flight;
//! - **the request body**, per class of route ([`BodyClass`]): forms and webhooks have an idle
//!   and a total limit; an upload may stall for `UPLOAD_IDLE_TIMEOUT_SECS` and must, after
//!   `UPLOAD_RATE_GRACE_SECS`, have arrived at `UPLOAD_MIN_RATE_KIB_PER_SEC` on average, so it
//!   lasts at most grace + size / rate.
//!
//! Poem drives hyper without the timer that hyper's own header-read timeout needs, and offers
//! only an inactivity timeout that a byte every few seconds defeats. So the first two are kept
//! at the connection: [`Connections::watch`] wraps the acceptor, whose streams fail their next
//! read once their deadline passes (hyper then drops the connection), and
//! [`Connections::tracker`] tells each connection's [`Clock`] when a request is in flight, from
//! the moment its head is parsed until its response body has been sent, during which no
//! connection deadline runs (a long download or a slow handler is not a slow client). Body
//! deadlines are kept on the body itself by [`BodyDeadlines`], which makes a late body fail
//! with an I/O error; the readers (CSRF, webhooks, uploads) answer 408 by asking
//! [`body_timeout`], and the response closes the connection.

use std::collections::HashMap;
use std::future::Future as _;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use poem::http::{HeaderValue, header};
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::config::{BodyTimeouts, Settings};
use crate::metrics::Metrics;

/// The connection deadlines.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionTimeouts {
    /// From a connection's acceptance, or the first byte of a later request, to the end of the
    /// request head.
    pub header_read: Duration,
    /// Silence allowed with no request in flight, once a request has been answered.
    pub keep_alive: Duration,
}

impl ConnectionTimeouts {
    /// As configured.
    pub fn of(settings: &Settings) -> Self {
        Self {
            header_read: settings.http_header_read_timeout,
            keep_alive: settings.http_keep_alive_timeout,
        }
    }
}

/// Why a connection or a body ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Late {
    /// The request head did not arrive in time.
    #[error("the request head did not arrive in time")]
    Head,
    /// Nothing arrived between requests.
    #[error("the connection was idle between requests")]
    KeepAlive,
    /// The body sent nothing for its idle limit.
    #[error("the request body stalled")]
    BodyIdle,
    /// The body went past its total limit (or below the upload rate).
    #[error("the request body arrived too slowly")]
    BodySlow,
}

impl Late {
    fn label(self) -> &'static str {
        match self {
            Late::Head => "header_read",
            Late::KeepAlive => "keep_alive",
            Late::BodyIdle => "body_idle",
            Late::BodySlow => "body_slow",
        }
    }
}

/// The open connections of one server, each with its [`Clock`], found by the peer's address
/// (unique among the open connections of a listener).
#[derive(Clone)]
pub struct Connections {
    inner: Arc<Registry>,
}

struct Registry {
    timeouts: ConnectionTimeouts,
    metrics: Arc<Metrics>,
    open: Mutex<HashMap<SocketAddr, Arc<Clock>>>,
}

impl Connections {
    /// No connection yet.
    pub fn new(timeouts: ConnectionTimeouts, metrics: Arc<Metrics>) -> Self {
        Self {
            inner: Arc::new(Registry {
                timeouts,
                metrics,
                open: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// `acceptor`, whose connections keep the deadlines.
    pub fn watch<A: Acceptor>(&self, acceptor: A) -> WatchedAcceptor<A> {
        WatchedAcceptor {
            inner: acceptor,
            connections: self.clone(),
        }
    }

    /// The middleware that tells each connection when a request is in flight. It must be the
    /// outermost, so that it sees the response body that hyper sends.
    pub fn tracker(&self) -> Tracker {
        Tracker {
            connections: self.clone(),
        }
    }

    fn find(&self, peer: &SocketAddr) -> Option<Arc<Clock>> {
        self.open().get(peer).cloned()
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, Arc<Clock>>> {
        // The map holds no invariant a panic could break half-way.
        self.inner
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// One connection's phase, which decides its deadline.
#[derive(Debug)]
struct Phase {
    /// Requests whose response has not been sent yet.
    in_flight: usize,
    /// Whether a request has been answered (else the head timeout runs from acceptance).
    answered: bool,
    /// Since when nothing has been in flight.
    idle_since: Instant,
    /// When the first byte after `idle_since` arrived: the next request's head has begun.
    head_started: Option<Instant>,
}

/// The deadline of one connection.
#[derive(Debug)]
pub struct Clock {
    timeouts: ConnectionTimeouts,
    phase: Mutex<Phase>,
}

impl Clock {
    fn new(timeouts: ConnectionTimeouts) -> Self {
        Self {
            timeouts,
            phase: Mutex::new(Phase {
                in_flight: 0,
                answered: false,
                idle_since: Instant::now(),
                head_started: None,
            }),
        }
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the connection must have made progress, and what it is late for; none while a
    /// request is in flight.
    fn deadline(&self) -> Option<(Instant, Late)> {
        let p = self.phase();
        if p.in_flight > 0 {
            return None;
        }
        Some(match p.head_started {
            Some(start) => (start + self.timeouts.header_read, Late::Head),
            None if !p.answered => (p.idle_since + self.timeouts.header_read, Late::Head),
            None => (p.idle_since + self.timeouts.keep_alive, Late::KeepAlive),
        })
    }

    fn bytes_arrived(&self) {
        let mut p = self.phase();
        if p.in_flight == 0 && p.answered && p.head_started.is_none() {
            p.head_started = Some(Instant::now());
        }
    }

    fn begin(self: Arc<Self>) -> InFlight {
        self.phase().in_flight += 1;
        InFlight(self)
    }
}

/// A request in flight on its connection; dropped once its response body has been sent (or
/// the request was abandoned).
struct InFlight(Arc<Clock>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut p = self.0.phase();
        p.in_flight = p.in_flight.saturating_sub(1);
        if p.in_flight == 0 {
            p.answered = true;
            p.idle_since = Instant::now();
            p.head_started = None;
        }
    }
}

/// See [`Connections::watch`].
pub struct WatchedAcceptor<A> {
    inner: A,
    connections: Connections,
}

impl<A: Acceptor> Acceptor for WatchedAcceptor<A> {
    type Io = Watched<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(
        &mut self,
    ) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, poem::http::uri::Scheme)> {
        let (io, local, remote, scheme) = self.inner.accept().await?;
        let clock = Arc::new(Clock::new(self.connections.inner.timeouts));
        let peer = remote.as_socket_addr().copied();
        if let Some(peer) = peer {
            self.connections.open().insert(peer, Arc::clone(&clock));
        }
        let watched = Watched {
            io,
            clock,
            peer,
            connections: self.connections.clone(),
            timer: Box::pin(tokio::time::sleep_until(Instant::now())),
        };
        Ok((watched, local, remote, scheme))
    }
}

/// A connection's stream: a read fails once the connection's deadline has passed.
pub struct Watched<T> {
    io: T,
    clock: Arc<Clock>,
    peer: Option<SocketAddr>,
    connections: Connections,
    timer: Pin<Box<Sleep>>,
}

impl<T> Watched<T> {
    /// Fails when the deadline has passed; otherwise arms the timer to wake the reader then.
    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        let Some((deadline, late)) = self.clock.deadline() else {
            return Ok(());
        };
        if self.timer.deadline() != deadline {
            self.timer.as_mut().reset(deadline);
        }
        if Instant::now() >= deadline || self.timer.as_mut().poll(cx).is_ready() {
            self.connections
                .inner
                .metrics
                .slow_client_closed(late.label());
            tracing::debug!(peer = ?self.peer, reason = %late, "closing a slow connection");
            return Err(io::Error::new(io::ErrorKind::TimedOut, late));
        }
        Ok(())
    }
}

impl<T> Drop for Watched<T> {
    fn drop(&mut self) {
        if let Some(peer) = self.peer {
            let mut open = self.connections.open();
            // The address may already belong to a newer connection.
            if open.get(&peer).is_some_and(|c| Arc::ptr_eq(c, &self.clock)) {
                open.remove(&peer);
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                this.clock.bytes_arrived();
                // A head trickled in byte by byte is always ready: judge it here too.
                match this.check(cx) {
                    Ok(()) => Poll::Ready(Ok(())),
                    Err(e) => Poll::Ready(Err(e)),
                }
            }
            Poll::Pending => match this.check(cx) {
                Ok(()) => Poll::Pending,
                Err(e) => Poll::Ready(Err(e)),
            },
            other => other,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// See [`Connections::tracker`].
pub struct Tracker {
    connections: Connections,
}

impl<E: Endpoint> Middleware<E> for Tracker {
    type Output = TrackerEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        TrackerEndpoint {
            inner: ep,
            connections: self.connections.clone(),
        }
    }
}

/// See [`Connections::tracker`].
pub struct TrackerEndpoint<E> {
    inner: E,
    connections: Connections,
}

impl<E: Endpoint> Endpoint for TrackerEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let in_flight = req
            .remote_addr()
            .as_socket_addr()
            .and_then(|peer| self.connections.find(peer))
            .map(Clock::begin);
        let mut resp = self.inner.call(req).await?.into_response();
        if let Some(in_flight) = in_flight {
            let body = BoxBody::from(resp.take_body());
            resp.set_body(Body::from(BoxBody::new(Sending {
                body,
                _in_flight: in_flight,
            })));
        }
        Ok(resp)
    }
}

/// A response body that keeps its request in flight until hyper has sent it and drops it.
struct Sending {
    body: BoxBody<Bytes, io::Error>,
    _in_flight: InFlight,
}

impl http_body::Body for Sending {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, io::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The kinds of request body, each with its own deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyClass {
    /// Everything else: forms, htmx and JSON requests, bounded by the CSRF middleware.
    Form,
    /// `/webhooks/…`: small, sent at once by a gateway.
    Webhook,
    /// `multipart/…` and `application/offset+octet-stream` (a resumable upload's piece):
    /// only the uploads take them, streamed to storage.
    Upload,
}

impl BodyClass {
    /// The class of `req`'s body.
    pub fn of(req: &Request) -> Self {
        if req.uri().path().starts_with("/webhooks/") {
            Self::Webhook
        } else if req.header(header::CONTENT_TYPE).is_some_and(|ct| {
            let ct = ct.to_ascii_lowercase();
            ct.starts_with("multipart/") || ct.starts_with("application/offset+octet-stream")
        }) {
            Self::Upload
        } else {
            Self::Form
        }
    }
}

/// How a body's deadline is computed.
#[derive(Debug, Clone, Copy)]
enum Pace {
    /// At most `idle` between bytes and `total` in all.
    Fixed(BodyTimeouts),
    /// At most `idle` between bytes, and by `grace` + bytes received / `rate` from the start.
    MinRate {
        idle: Duration,
        grace: Duration,
        /// Bytes per second.
        rate: u64,
    },
}

/// The body deadlines of every class, as configured: a middleware that puts each request's
/// body on its class's clock.
#[derive(Debug, Clone)]
pub struct BodyDeadlines {
    form: Pace,
    webhook: Pace,
    upload: Pace,
    metrics: Arc<Metrics>,
}

impl BodyDeadlines {
    /// As configured.
    pub fn of(settings: &Settings, metrics: Arc<Metrics>) -> Self {
        Self {
            metrics,
            form: Pace::Fixed(settings.form_body_timeouts),
            webhook: Pace::Fixed(settings.webhook_body_timeouts),
            upload: Pace::MinRate {
                idle: settings.upload_idle_timeout,
                grace: settings.upload_rate_grace,
                rate: settings.upload_min_rate,
            },
        }
    }

    fn pace(&self, class: BodyClass) -> Pace {
        match class {
            BodyClass::Form => self.form,
            BodyClass::Webhook => self.webhook,
            BodyClass::Upload => self.upload,
        }
    }
}

impl<E: Endpoint> Middleware<E> for BodyDeadlines {
    type Output = BodyDeadlinesEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        BodyDeadlinesEndpoint {
            inner: ep,
            deadlines: self.clone(),
        }
    }
}

/// See [`BodyDeadlines`].
pub struct BodyDeadlinesEndpoint<E> {
    inner: E,
    deadlines: BodyDeadlines,
}

/// Whether a request's body ran out of time; kept in the request's extensions.
#[derive(Debug, Clone, Default)]
struct Expiry(Arc<OnceLock<Late>>);

/// Why the request's body failed, if it failed by running out of time (see
/// [`BodyDeadlines`]). A reader that got an error from the body asks this to answer 408.
pub fn body_timeout(req: &Request) -> Option<Late> {
    req.extensions()
        .get::<Expiry>()
        .and_then(|e| e.0.get().copied())
}

impl Late {
    /// The reason inside an I/O error from a body that ran out of time (see [`explain`]).
    pub fn of_error(e: &io::Error) -> Option<Self> {
        if e.kind() != io::ErrorKind::TimedOut {
            return None;
        }
        e.get_ref()?.downcast_ref::<Late>().copied()
    }
}

/// `reader`, a part of `req`'s body (a multipart field, whose parser turns the body's errors
/// into plain text), with its errors restored to `TimedOut` and the [`Late`] reason when the
/// body ran out of time, so the reader can tell a slow client from a broken connection.
pub fn explain<R: AsyncRead + Unpin>(req: &Request, reader: R) -> Explained<R> {
    Explained {
        reader,
        expiry: req.extensions().get::<Expiry>().cloned(),
    }
}

/// See [`explain`].
pub struct Explained<R> {
    reader: R,
    expiry: Option<Expiry>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Explained<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.reader).poll_read(cx, buf) {
            Poll::Ready(Err(e)) => {
                let late = this.expiry.as_ref().and_then(|x| x.0.get().copied());
                Poll::Ready(Err(match late {
                    Some(late) => io::Error::new(io::ErrorKind::TimedOut, late),
                    None => e,
                }))
            }
            other => other,
        }
    }
}

impl<E: Endpoint> Endpoint for BodyDeadlinesEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let expiry = Expiry::default();
        let pace = self.deadlines.pace(BodyClass::of(&req));
        let body = TimedBody::new(req.take_body(), pace, expiry.clone());
        req.set_body(Body::from(BoxBody::new(body)));
        req.extensions_mut().insert(expiry.clone());
        let mut resp = self.inner.call(req).await?.into_response();
        if let Some(late) = expiry.0.get() {
            self.deadlines.metrics.slow_client_closed(late.label());
            // The rest of the body is not worth waiting for.
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        Ok(resp)
    }
}

/// A request body that fails with `TimedOut` once its deadline passes. Only the time spent
/// waiting for the client counts: while the handler is busy elsewhere (storage slow to take a
/// block, say) the client is not late, however long that takes.
struct TimedBody {
    body: BoxBody<Bytes, io::Error>,
    pace: Pace,
    received: u64,
    /// Time spent waiting for the client before the current wait.
    waited: Duration,
    /// Since when the current wait has lasted.
    waiting_since: Option<Instant>,
    timer: Pin<Box<Sleep>>,
    expiry: Expiry,
}

impl TimedBody {
    fn new(body: Body, pace: Pace, expiry: Expiry) -> Self {
        Self {
            body: BoxBody::from(body),
            pace,
            received: 0,
            waited: Duration::ZERO,
            waiting_since: None,
            timer: Box::pin(tokio::time::sleep_until(Instant::now())),
            expiry,
        }
    }

    /// When the wait that began at `since` ends, and why.
    fn deadline(&self, since: Instant) -> (Instant, Late) {
        let (idle, budget) = match self.pace {
            Pace::Fixed(t) => (t.idle, t.total),
            Pace::MinRate { idle, grace, rate } => {
                let earned = Duration::from_secs_f64(self.received as f64 / rate.max(1) as f64);
                (idle, grace + earned)
            }
        };
        let left = budget.saturating_sub(self.waited);
        if idle < left {
            (since + idle, Late::BodyIdle)
        } else {
            (since + left, Late::BodySlow)
        }
    }
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if let Some(late) = this.expiry.0.get() {
            return Poll::Ready(Some(Err(io::Error::new(io::ErrorKind::TimedOut, *late))));
        }
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(since) = this.waiting_since.take() {
                    this.waited += since.elapsed();
                }
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                }
                return Poll::Ready(Some(Ok(frame)));
            }
            Poll::Pending => {}
            other => return other,
        }
        let since = *this.waiting_since.get_or_insert_with(Instant::now);
        let (deadline, late) = this.deadline(since);
        if this.timer.deadline() != deadline {
            this.timer.as_mut().reset(deadline);
        }
        if Instant::now() < deadline && this.timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let _ = this.expiry.0.set(late);
        tracing::info!(
            reason = %late,
            bytes = this.received,
            waited_secs = (this.waited + since.elapsed()).as_secs_f32(),
            "dropping a slow request body"
        );
        Poll::Ready(Some(Err(io::Error::new(io::ErrorKind::TimedOut, late))))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(pace: Pace, received: u64, waited: u64) -> TimedBody {
        let mut b = TimedBody::new(Body::empty(), pace, Expiry::default());
        b.received = received;
        b.waited = Duration::from_secs(waited);
        b
    }

    #[tokio::test]
    async fn an_upload_earns_time_by_the_bytes_it_sends() {
        let pace = Pace::MinRate {
            idle: Duration::from_secs(60),
            grace: Duration::from_secs(10),
            rate: 1024,
        };
        let now = Instant::now();
        let secs = Duration::from_secs;
        assert_eq!(
            body(pace, 0, 0).deadline(now),
            (now + secs(10), Late::BodySlow)
        );
        assert_eq!(
            body(pace, 100 * 1024, 0).deadline(now),
            (now + secs(60), Late::BodyIdle)
        );
        assert_eq!(
            body(pace, 20 * 1024, 0).deadline(now),
            (now + secs(30), Late::BodySlow)
        );
        assert_eq!(
            body(pace, 20 * 1024, 25).deadline(now),
            (now + secs(5), Late::BodySlow)
        );
        assert_eq!(body(pace, 0, 25).deadline(now), (now, Late::BodySlow));
    }

    #[tokio::test]
    async fn a_form_has_an_idle_and_a_total_limit() {
        let pace = Pace::Fixed(BodyTimeouts {
            idle: Duration::from_secs(10),
            total: Duration::from_secs(30),
        });
        let now = Instant::now();
        let secs = Duration::from_secs;
        assert_eq!(
            body(pace, 5, 0).deadline(now),
            (now + secs(10), Late::BodyIdle)
        );
        assert_eq!(
            body(pace, 5, 25).deadline(now),
            (now + secs(5), Late::BodySlow)
        );
    }

    #[tokio::test]
    async fn a_connection_has_no_deadline_while_a_request_is_in_flight() {
        let clock = Arc::new(Clock::new(ConnectionTimeouts {
            header_read: Duration::from_secs(10),
            keep_alive: Duration::from_secs(75),
        }));
        assert_eq!(clock.deadline().map(|d| d.1), Some(Late::Head));
        let in_flight = Arc::clone(&clock).begin();
        clock.bytes_arrived();
        assert!(clock.deadline().is_none());
        drop(in_flight);
        assert_eq!(clock.deadline().map(|d| d.1), Some(Late::KeepAlive));
        clock.bytes_arrived();
        assert_eq!(clock.deadline().map(|d| d.1), Some(Late::Head));
    }
}
