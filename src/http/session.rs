//! The session middleware: identifies the browser (visitor cookie), loads the signed-in user
//! (session cookie → hashed id → row), derives the CSRF token, reads the flash message, and
//! writes back whatever cookies changed. It knows nothing of carts: the header badge's count
//! is added by the cart's own middleware, inside this one.
//!
//! Sessions live in the database, so every replica sees the same ones.

use std::sync::Arc;

use poem::http::header;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use super::context::{Flash, RequestContext, SessionState};
use super::cookies::{self, CookieName, CookiePolicy};
use crate::crypto::{random_token, sha256_hex};
use crate::db::now;
use crate::error::AppError;
use crate::identity::store as account_store;
use crate::state::AppState;

/// How often (at most) a session's `last_seen_at` is written: once a minute is plenty for an
/// idle timeout measured in hours, and spares the database a write per request.
const TOUCH_EVERY_SECS: i64 = 60;

/// Middleware that builds the [`RequestContext`].
pub struct Sessions {
    /// Shared state.
    pub state: AppState,
}

impl<E: Endpoint> Middleware<E> for Sessions {
    type Output = SessionEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        SessionEndpoint {
            inner: ep,
            state: self.state.clone(),
        }
    }
}

/// See [`Sessions`].
pub struct SessionEndpoint<E> {
    inner: E,
    state: AppState,
}

impl<E: Endpoint> Endpoint for SessionEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let state = &self.state;
        let policy = CookiePolicy::of(state);
        let headers = req.headers();

        let visitor_cookie = cookies::read(headers, policy.name(CookieName::Visitor));
        let existing_visitor = visitor_cookie
            .as_deref()
            .and_then(|sealed| state.keys.cookies.unseal(sealed).map(str::to_owned));
        // A cookie sealed with the previous key (a rotation) is sealed again with the new one.
        let new_visitor = existing_visitor.is_none()
            || visitor_cookie
                .as_deref()
                .is_some_and(|sealed| !state.keys.cookies.sealed_by_current(sealed));
        let visitor_id = existing_visitor.unwrap_or_else(random_token);

        let session = match cookies::read(headers, policy.name(CookieName::Session)) {
            None => SessionState::Anonymous,
            Some(token) => load_session(state, &token).await?,
        };

        let flash = cookies::read(headers, policy.name(CookieName::Flash))
            .and_then(|sealed| state.keys.cookies.unseal(&sealed).map(str::to_owned))
            .and_then(|raw| Flash::decode(&raw));

        // The token is bound to the session when signed in, otherwise to the visitor; a
        // different browser (or the attacker's page) cannot know it.
        let binding = match &session {
            SessionState::Authenticated { id_hash, .. } => format!("s:{id_hash}"),
            _ => format!("v:{visitor_id}"),
        };
        let csrf_secret = state.keys.csrf.mac(&binding);
        let csrf_previous = state.keys.csrf.previous_mac(&binding);

        let ctx = RequestContext::new(
            super::observe::current_request_id(),
            visitor_id.clone(),
            session,
            csrf_secret,
            csrf_previous,
            super::client_ip(
                &req,
                state
                    .settings
                    .trust_proxy_headers
                    .then_some(state.settings.trusted_proxy_hops),
            ),
            req.header("hx-request") == Some("true"),
            req.uri()
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
            flash,
        );
        req.set_data(Arc::clone(&ctx));

        let mut resp = self.inner.call(req).await?.into_response();

        if new_visitor {
            let sealed = state.keys.cookies.seal(&visitor_id);
            resp.headers_mut().append(
                header::SET_COOKIE,
                policy.set(CookieName::Visitor, &sealed, Some(60 * 60 * 24 * 365)),
            );
        }
        // A handler that logged in or set a new flash wrote its own cookie: keep it.
        if matches!(ctx.session, SessionState::Expired)
            && !sets_cookie(&resp, policy.name(CookieName::Session))
        {
            resp.headers_mut()
                .append(header::SET_COOKIE, policy.remove(CookieName::Session));
        }
        if ctx.flash_was_shown() && !sets_cookie(&resp, policy.name(CookieName::Flash)) {
            resp.headers_mut()
                .append(header::SET_COOKIE, policy.remove(CookieName::Flash));
        }
        Ok(resp)
    }
}

fn sets_cookie(resp: &Response, name: &str) -> bool {
    resp.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('='))
        })
}

async fn load_session(state: &AppState, token: &str) -> Result<SessionState> {
    let id_hash = sha256_hex(token);
    let now = now();
    let idle_cutoff = now - secs(state.settings.session_idle_timeout);
    let admin_idle_cutoff = now - secs(state.settings.admin_session_idle_timeout);
    let found = account_store::find_live_session(
        state.db.pool(),
        &id_hash,
        now,
        idle_cutoff,
        admin_idle_cutoff,
    )
    .await
    .map_err(AppError::from)?;
    Ok(match found {
        None => SessionState::Expired,
        Some((user, last_seen)) => {
            // Short idle limits (tests, kiosks) need fresher marks than once a minute.
            let shortest = state
                .settings
                .session_idle_timeout
                .min(state.settings.admin_session_idle_timeout);
            let touch_every = TOUCH_EVERY_SECS.min(secs(shortest) / 4);
            if now - last_seen >= touch_every {
                account_store::touch_session(state.db.pool(), &id_hash, now)
                    .await
                    .map_err(AppError::from)?;
            }
            SessionState::Authenticated { id_hash, user }
        }
    })
}

/// Whole seconds of a duration as i64.
pub fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2)
}
