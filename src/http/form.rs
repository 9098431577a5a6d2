//! Forms with repeated or dynamic field names (option pickers, bulk selections), which serde's
//! URL-encoded format cannot express, and the htmx fragment negotiation shared by pages that
//! swap part of themselves.

use poem::http::{HeaderValue, Method, header};
use poem::{FromRequest, Request, RequestBody, Response, Result};

use crate::error::AppError;

/// Largest form read here (the CSRF middleware already bounds unsafe bodies).
const MAX_FORM_BYTES: usize = 256 * 1024;

/// The fields of a form (the body of a POST, the query of a GET), in order, repeats kept.
#[derive(Debug, Clone, Default)]
pub struct FormPairs(pub Vec<(String, String)>);

impl FormPairs {
    /// Parses `application/x-www-form-urlencoded` text. Control characters other than tab and
    /// line breaks are dropped: no form sends them, and PostgreSQL refuses NUL in text.
    pub fn parse(raw: &[u8]) -> Self {
        let clean = |s: String| -> String {
            if s.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                s.chars()
                    .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
                    .collect()
            } else {
                s
            }
        };
        Self(
            form_urlencoded::parse(raw)
                .into_owned()
                .map(|(k, v)| (clean(k), clean(v)))
                .collect(),
        )
    }

    /// The first value of `name`, trimmed; none when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-blank value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

impl<'a> FromRequest<'a> for FormPairs {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> Result<Self> {
        if matches!(*req.method(), Method::GET | Method::HEAD) {
            return Ok(Self::parse(req.uri().query().unwrap_or("").as_bytes()));
        }
        let bytes = body
            .take()?
            .into_bytes_limit(MAX_FORM_BYTES)
            .await
            .map_err(|_| AppError::BadRequest("The form is too large.".into()))?;
        Ok(Self::parse(&bytes))
    }
}

/// Whether an htmx request asked for the element `#target` (and not a history restore, which
/// needs the whole page).
pub fn wants_fragment(req: &Request, target: &str) -> bool {
    req.header("hx-request") == Some("true")
        && req.header("hx-target") == Some(target)
        && req.header("hx-history-restore-request").is_none()
}

/// Marks a response as varying by the htmx headers, so caches keep page and fragment apart.
pub fn vary_on_htmx(resp: &mut Response) {
    resp.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("HX-Request, HX-Target"),
    );
}
