//! What the HTTP layer knows about the current request before any handler runs: who is
//! asking (session or anonymous visitor), their CSRF token, a pending flash message.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::identity::model::User;

/// A one-shot message for the next page ("Saved.", "Check your email.").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// Colour and icon.
    pub kind: FlashKind,
    /// The text (escaped when rendered).
    pub message: String,
}

/// Flash message styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashKind {
    /// Something worked.
    Success,
    /// Neutral information.
    Info,
    /// Something did not work.
    Error,
}

impl Flash {
    /// A success message.
    pub fn success(message: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Success,
            message: message.into(),
        }
    }
    /// An informational message.
    pub fn info(message: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Info,
            message: message.into(),
        }
    }
    /// An error message.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Error,
            message: message.into(),
        }
    }

    /// `kind|message`, the cookie payload before sealing.
    pub fn encode(&self) -> String {
        let kind = match self.kind {
            FlashKind::Success => "success",
            FlashKind::Info => "info",
            FlashKind::Error => "error",
        };
        format!("{kind}|{}", self.message)
    }

    /// Parses [`Flash::encode`]'s output.
    pub fn decode(raw: &str) -> Option<Self> {
        let (kind, message) = raw.split_once('|')?;
        let kind = match kind {
            "success" => FlashKind::Success,
            "info" => FlashKind::Info,
            "error" => FlashKind::Error,
            _ => return None,
        };
        Some(Self {
            kind,
            message: message.to_owned(),
        })
    }
}

/// The signed-in state of the request.
#[derive(Debug, Clone)]
pub enum SessionState {
    /// No session cookie.
    Anonymous,
    /// A live session.
    Authenticated {
        /// SHA-256 of the session token (the row key).
        id_hash: String,
        /// The user.
        user: User,
    },
    /// A session cookie that no longer matches a live session (expired, logged out elsewhere).
    Expired,
}

/// Per-request context, stored in the request's extensions as `Arc<RequestContext>`.
#[derive(Debug)]
pub struct RequestContext {
    /// Correlates logs, the `x-request-id` header and error pages.
    pub request_id: String,
    /// The browser's signed random id.
    pub visitor_id: String,
    /// Session state.
    pub session: SessionState,
    /// The token unsafe requests must carry (form field `csrf_token` or `X-CSRF-Token`),
    /// masked afresh for this response.
    pub csrf_token: String,
    /// The unmasked secret the token must decode to.
    pub csrf_secret: [u8; 32],
    /// During a key rotation, the secret a page rendered before it carries.
    pub csrf_previous: Option<[u8; 32]>,
    /// Client address (proxy-aware when configured).
    pub client_ip: String,
    /// The request came from htmx (`HX-Request: true`).
    pub is_htmx: bool,
    /// Path and query, for "log in and come back" links.
    pub path_and_query: String,
    /// Items in the cart, for the header badge: set by the cart's middleware
    /// (`cart::CartBadge`) on requests that render a page.
    cart_units: OnceLock<u32>,
    flash: Option<Flash>,
    flash_shown: AtomicBool,
}

impl RequestContext {
    /// Builds the context (done once per request by the session middleware).
    #[expect(clippy::too_many_arguments, reason = "built in exactly one place")]
    pub fn new(
        request_id: String,
        visitor_id: String,
        session: SessionState,
        csrf_secret: [u8; 32],
        csrf_previous: Option<[u8; 32]>,
        client_ip: String,
        is_htmx: bool,
        path_and_query: String,
        flash: Option<Flash>,
    ) -> Arc<Self> {
        Arc::new(Self {
            request_id,
            visitor_id,
            session,
            csrf_token: crate::crypto::mask(&csrf_secret),
            csrf_secret,
            csrf_previous,
            client_ip,
            is_htmx,
            path_and_query,
            cart_units: OnceLock::new(),
            flash,
            flash_shown: AtomicBool::new(false),
        })
    }

    /// Units in the cart for the header badge, when known.
    pub fn cart_units(&self) -> Option<u32> {
        self.cart_units.get().copied()
    }

    /// Records the cart's units (once per request; later calls change nothing).
    pub fn set_cart_units(&self, units: u32) {
        let _ = self.cart_units.set(units);
    }

    /// The client's key for per-address rate limits (IPv6 by /64).
    pub fn rate_key(&self) -> String {
        crate::rate_limit::client_key(&self.client_ip)
    }

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&User> {
        match &self.session {
            SessionState::Authenticated { user, .. } => Some(user),
            _ => None,
        }
    }

    /// The session row key, if signed in.
    pub fn session_id_hash(&self) -> Option<&str> {
        match &self.session {
            SessionState::Authenticated { id_hash, .. } => Some(id_hash),
            _ => None,
        }
    }

    /// Takes the pending flash for rendering; the middleware then clears its cookie.
    pub fn take_flash(&self) -> Option<&Flash> {
        let flash = self.flash.as_ref()?;
        self.flash_shown.store(true, Ordering::Relaxed);
        Some(flash)
    }

    /// Whether a page showed the flash (so its cookie can go).
    pub fn flash_was_shown(&self) -> bool {
        self.flash_shown.load(Ordering::Relaxed)
    }
}
