//! Errors rendered in the site layout: the error-page middleware (inside the session
//! middleware, so pages get the layout and the user menu), and the login redirect for
//! `Unauthorized` (`HX-Redirect` for htmx). The renderings it shares with the last-resort path
//! are in `http::errors`.

use std::sync::Arc;

use poem::PathPattern;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use super::{PageMeta, page};
use crate::error::AppError;
use crate::http::context::{Flash, RequestContext, SessionState};
use crate::http::errors::{
    ErrorFormat, describe_for, error_section, json_error, standalone_error_page, title_for,
    toast_response,
};
use crate::http::observe::current_request_id;
use crate::state::AppState;

/// The error-rendering middleware (inside the session middleware, so pages get the layout).
pub struct ErrorPages {
    /// Shared state (cookie keys for the login flash).
    pub state: AppState,
}

impl<E: Endpoint> Middleware<E> for ErrorPages {
    type Output = ErrorPagesEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        ErrorPagesEndpoint {
            inner: ep,
            state: self.state.clone(),
        }
    }
}

/// See [`ErrorPages`].
pub struct ErrorPagesEndpoint<E> {
    inner: E,
    state: AppState,
}

struct RequestFacts {
    ctx: Option<Arc<RequestContext>>,
    format: ErrorFormat,
    is_get: bool,
}

impl<E: Endpoint> Endpoint for ErrorPagesEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let facts = RequestFacts {
            ctx: req.data::<Arc<RequestContext>>().cloned(),
            format: ErrorFormat::of(&req),
            is_get: req.method() == poem::http::Method::GET,
        };
        match self.inner.call(req).await {
            Ok(resp) => Ok(resp.into_response()),
            Err(err) => {
                let pattern = err.data::<PathPattern>().cloned();
                let mut resp = render(&self.state, &err, &facts);
                if let Some(p) = pattern {
                    resp.set_data(p);
                }
                Ok(resp)
            }
        }
    }
}

fn render(state: &AppState, err: &poem::Error, facts: &RequestFacts) -> Response {
    let (status, message) = describe_for(err, facts.format);
    let request_id = current_request_id();
    let app_error = err.downcast_ref::<AppError>();

    if matches!(app_error, Some(AppError::Unauthorized)) && facts.format != ErrorFormat::Json {
        return login_redirect(state, facts);
    }

    let mut resp = if facts.format == ErrorFormat::Json {
        json_error(status, &message, &request_id)
    } else if facts.format == ErrorFormat::Toast {
        toast_response(status, &message, &request_id)
    } else {
        let title = title_for(status.as_u16());
        let section = error_section(status.as_u16(), title, &message, &request_id);
        let markup = match &facts.ctx {
            Some(ctx) => page(ctx, PageMeta::titled(title), section),
            None => standalone_error_page(status.as_u16(), title, &message, &request_id),
        };
        let mut r = markup.into_response();
        r.set_status(status);
        r
    };
    if let Some(AppError::RateLimited { retry_after } | AppError::Busy { retry_after }) = app_error
        && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    crate::http::methods::add_allow_header(err, &mut resp);
    resp
}

/// Sends the browser to the login page, remembering where it was going.
fn login_redirect(state: &AppState, facts: &RequestFacts) -> Response {
    let (next, expired, htmx) = match &facts.ctx {
        Some(ctx) => (
            facts.is_get.then(|| ctx.path_and_query.clone()),
            matches!(ctx.session, SessionState::Expired),
            ctx.is_htmx,
        ),
        None => (None, false, false),
    };
    let location = match next {
        Some(next) => format!(
            "/login?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &next)
                .finish()
        ),
        None => "/login".to_owned(),
    };
    let flash = if expired {
        Flash::info("Your session has ended. Please log in again.")
    } else {
        Flash::info("Please log in to continue.")
    };
    let mut resp = if htmx {
        let mut r = StatusCode::OK.into_response();
        if let Ok(v) = HeaderValue::from_str(&location) {
            r.headers_mut().insert("hx-redirect", v);
        }
        r
    } else {
        crate::http::redirect(&location)
    };
    crate::http::set_flash(state, &mut resp, &flash);
    resp
}
