//! The one error type handlers return, and the field errors forms re-render with.
//!
//! An `AppError` says *what* went wrong; `http::errors` decides *how* to show it (a full page
//! with the request id, an htmx toast, a JSON body, or a redirect to the login page).

#![warn(missing_docs)]

use std::collections::BTreeMap;

use poem::http::StatusCode;

use crate::db::DbError;

/// Errors per form field, in a stable order, ready to render next to the inputs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }
    /// Records an error for `field` (the first message for a field wins).
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }
    /// The message for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }
    /// True when every field was fine.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Every (field, message) pair.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str()))
    }
    /// `Ok(())` when empty, otherwise the errors as an `AppError::Validation`.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self))
        }
    }
}

/// Everything a request can fail with, as the user should understand it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such page or resource (or one the caller may not know exists).
    #[error("We could not find that page.")]
    NotFound,
    /// The caller must sign in (or their session ended).
    #[error("Please log in to continue.")]
    Unauthorized,
    /// Signed in, but not allowed.
    #[error("You do not have access to this page.")]
    Forbidden,
    /// An unsafe request without a valid CSRF token or from another site.
    #[error("This form has expired or was sent from another site. Reload the page and try again.")]
    CsrfRejected,
    /// Input that does not pass validation.
    #[error("Some fields need your attention.")]
    Validation(FieldErrors),
    /// The request conflicts with the current state (stale edit, duplicate, illegal transition).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; try again after `retry_after` seconds.
    #[error("Too many attempts. Please wait {retry_after} seconds and try again.")]
    RateLimited {
        /// Seconds until the window resets.
        retry_after: u64,
    },
    /// We are at capacity for this kind of work; retry after `retry_after` seconds.
    #[error("We are very busy right now. Please try again in a few seconds.")]
    Busy {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The link or resource existed but is no longer valid (an expired link).
    #[error("{0}")]
    Gone(&'static str),
    /// Refused with a specific status and a message for the user (an upload too large, of the
    /// wrong type, or stalled).
    #[error("{message}")]
    Refused {
        /// 4xx or 503.
        status: StatusCode,
        /// What to tell the user.
        message: String,
    },
    /// Malformed input that no form would send.
    #[error("{0}")]
    BadRequest(String),
    /// Our fault; details go to the log, never to the user.
    #[error("Something went wrong on our side. It has been logged.")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::Refused { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Wraps any internal failure.
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(e.into())
    }
}

impl poem::error::ResponseError for AppError {
    fn status(&self) -> StatusCode {
        AppError::status(self)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        if e.is::<AtCapacity>() {
            return AppError::Busy { retry_after: 5 };
        }
        AppError::Internal(e)
    }
}

/// A bounded resource (password hashing slots, say) stayed full for longer than a request
/// should wait: carried inside an `anyhow::Error`, it becomes [`AppError::Busy`] (503 with
/// `Retry-After`), so the client retries instead of seeing a failure.
#[derive(Debug, thiserror::Error)]
#[error("{0} is at capacity")]
pub struct AtCapacity(pub &'static str);

/// The result type of handlers.
pub type AppResult<T> = Result<T, AppError>;
