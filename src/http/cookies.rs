//! Cookie names and attributes, in one place.
//!
//! In production every cookie is `Secure` and uses the `__Host-` prefix, which browsers only
//! accept from HTTPS, for path `/` and without a `Domain`: a sibling subdomain cannot plant one.

use cookie::{Cookie, SameSite};
use poem::http::{HeaderValue, header};

use crate::state::AppState;

/// Which cookies exist and how they are written.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    /// Send cookies over HTTPS only (production).
    pub secure: bool,
}

/// The cookies the app sets.
#[derive(Debug, Clone, Copy)]
pub enum CookieName {
    /// Random session token of a signed-in browser.
    Session,
    /// Signed random id of every browser (guest cart, CSRF binding for guests).
    Visitor,
    /// Signed one-shot message shown on the next page.
    Flash,
    /// "This browser has a guest cart": lets pages skip counting an empty cart. Only a hint:
    /// its absence shows a 0 badge, its presence costs one query; it grants nothing.
    CartHint,
}

impl CookiePolicy {
    /// The policy of this deployment: `Secure` and `__Host-` names in production.
    pub fn of(state: &AppState) -> Self {
        Self {
            secure: state.settings.is_production(),
        }
    }

    /// The cookie's name under this policy.
    pub fn name(self, which: CookieName) -> &'static str {
        match (which, self.secure) {
            (CookieName::Session, true) => "__Host-fs_session",
            (CookieName::Session, false) => "fs_session",
            (CookieName::Visitor, true) => "__Host-fs_visitor",
            (CookieName::Visitor, false) => "fs_visitor",
            (CookieName::Flash, true) => "__Host-fs_flash",
            (CookieName::Flash, false) => "fs_flash",
            (CookieName::CartHint, true) => "__Host-fs_cart",
            (CookieName::CartHint, false) => "fs_cart",
        }
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when configured.
    /// `max_age` of `None` makes a browser-session cookie.
    pub fn set(self, which: CookieName, value: &str, max_age: Option<i64>) -> HeaderValue {
        let mut c = Cookie::build((self.name(which), value.to_owned()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure);
        if let Some(secs) = max_age {
            c = c.max_age(cookie::time::Duration::seconds(secs));
        }
        header_value(&c.build())
    }

    /// A `Set-Cookie` value that deletes the cookie.
    pub fn remove(self, which: CookieName) -> HeaderValue {
        let c = Cookie::build((self.name(which), ""))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .max_age(cookie::time::Duration::ZERO)
            .build();
        header_value(&c)
    }
}

fn header_value(c: &Cookie<'_>) -> HeaderValue {
    // Percent-encoding keeps every byte legal in a header.
    HeaderValue::from_str(&c.encoded().to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// Reads a cookie's (decoded) value from a request's `Cookie` headers.
pub fn read(headers: &poem::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse_encoded)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_cookies_are_host_prefixed_and_secure() {
        let p = CookiePolicy { secure: true };
        let v = p.set(CookieName::Session, "abc", Some(60));
        let s = v.to_str().unwrap();
        assert!(s.starts_with("__Host-fs_session=abc"));
        for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=60"] {
            assert!(s.contains(attr), "{s} lacks {attr}");
        }
    }

    #[test]
    fn values_round_trip_through_encoding() {
        let p = CookiePolicy { secure: false };
        let set = p.set(CookieName::Flash, "success|Saved; done.", None);
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut headers = poem::http::HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&pair).unwrap());
        assert_eq!(
            read(&headers, "fs_flash").as_deref(),
            Some("success|Saved; done.")
        );
    }
}
