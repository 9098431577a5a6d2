//! `405 Method Not Allowed` with the `Allow` header RFC 9110 (§15.5.6) requires of it.
//!
//! Poem's method router answers a method a path does not route with a bare 405 and no way to
//! ask it which methods it has. So the app's routes are built with [`get`] and [`post`] from
//! here, which remember their methods and put them on that error as [`Allow`]; routers built
//! elsewhere (poem-openapi's) are wrapped in an [`AllowTable`] of path templates and methods,
//! read from the API's own description. Whichever layer renders the error copies it into the
//! header ([`add_allow_header`]), so every 405 of the app carries `Allow`, HTML and JSON alike.

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoEndpoint, Middleware, Request, Response, Result, RouteMethod};

/// The methods a resource answers, as the `Allow` header lists them (`GET, HEAD, POST`).
/// Carried by a 405 error until it is rendered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Allow(Vec<Method>);

impl Allow {
    /// The methods routed, plus `HEAD` where `GET` is routed: Poem answers `HEAD` from the
    /// `GET` handler.
    pub fn of(methods: &[Method]) -> Self {
        let mut allow = Self::default();
        for method in methods {
            allow.add(method.clone());
        }
        allow
    }

    fn add(&mut self, method: Method) {
        if method == Method::GET && !self.0.contains(&Method::HEAD) {
            self.0.push(Method::HEAD);
        }
        if !self.0.contains(&method) {
            self.0.push(method);
        }
        self.0.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    }

    /// The header value.
    pub fn header_value(&self) -> String {
        self.0
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Puts `allow` on a 405 that has none yet; other errors pass unchanged.
fn mark(mut err: poem::Error, allow: Option<&Allow>) -> poem::Error {
    if err.status() == StatusCode::METHOD_NOT_ALLOWED
        && err.data::<Allow>().is_none()
        && let Some(allow) = allow
    {
        err.set_data(allow.clone());
    }
    err
}

/// Copies the [`Allow`] of a 405 error into the response rendered for it.
pub fn add_allow_header(err: &poem::Error, resp: &mut Response) {
    if let Some(allow) = err.data::<Allow>()
        && let Ok(value) = HeaderValue::from_str(&allow.header_value())
    {
        resp.headers_mut().insert(header::ALLOW, value);
    }
}

/// Method routing that knows its methods: Poem's [`RouteMethod`] plus [`Allow`] on its 405.
#[derive(Default)]
pub struct Methods {
    inner: RouteMethod,
    allow: Allow,
}

impl Methods {
    /// Routes `method` to `ep`.
    #[must_use]
    pub fn method<E>(mut self, method: Method, ep: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.allow.add(method.clone());
        self.inner = self.inner.method(method, ep);
        self
    }

    /// Routes `GET` (and so `HEAD`) to `ep`.
    #[must_use]
    pub fn get<E>(self, ep: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.method(Method::GET, ep)
    }

    /// Routes `POST` to `ep`.
    #[must_use]
    pub fn post<E>(self, ep: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.method(Method::POST, ep)
    }
}

impl Endpoint for Methods {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        self.inner
            .call(req)
            .await
            .map_err(|err| mark(err, Some(&self.allow)))
    }
}

/// `Methods::default().get(ep)`, in place of `poem::get`.
pub fn get<E>(ep: E) -> Methods
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    Methods::default().get(ep)
}

/// `Methods::default().post(ep)`, in place of `poem::post`.
pub fn post<E>(ep: E) -> Methods
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    Methods::default().post(ep)
}

/// Path templates (`/files/{name}/info` or `/files/:name/info`, one segment per parameter)
/// and their methods, for a router that is not built from [`Methods`]. As middleware, it puts
/// the [`Allow`] of the request's path on that router's 405s.
#[derive(Debug, Clone, Default)]
pub struct AllowTable {
    routes: Vec<(Vec<Segment>, Allow)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .trim_matches('/')
        .split('/')
        .map(|s| {
            if s.starts_with(':') || (s.starts_with('{') && s.ends_with('}')) {
                Segment::Param
            } else {
                Segment::Literal(s.to_owned())
            }
        })
        .collect()
}

impl AllowTable {
    /// Adds `method` to the methods of `template`.
    pub fn add(&mut self, template: &str, method: Method) {
        let template = segments(template);
        match self.routes.iter_mut().find(|(t, _)| *t == template) {
            Some((_, allow)) => allow.add(method),
            None => self.routes.push((template, Allow::of(&[method]))),
        }
    }

    /// The methods of the template `path` matches (a literal segment before a parameter).
    pub fn lookup(&self, path: &str) -> Option<&Allow> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let matches = |template: &[Segment]| {
            template.len() == parts.len()
                && template.iter().zip(&parts).all(|(t, p)| match t {
                    Segment::Literal(l) => l == p,
                    Segment::Param => !p.is_empty(),
                })
        };
        let score = |template: &[Segment]| {
            template
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count()
        };
        self.routes
            .iter()
            .filter(|(t, _)| matches(t))
            .max_by_key(|(t, _)| score(t))
            .map(|(_, allow)| allow)
    }
}

impl<E: Endpoint> Middleware<E> for AllowTable {
    type Output = AllowTableEndpoint<E>;
    fn transform(&self, ep: E) -> Self::Output {
        AllowTableEndpoint {
            inner: ep,
            table: self.clone(),
        }
    }
}

/// See [`AllowTable`].
pub struct AllowTableEndpoint<E> {
    inner: E,
    table: AllowTable,
}

impl<E: Endpoint> Endpoint for AllowTableEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let path = req.uri().path().to_owned();
        self.inner
            .call(req)
            .await
            .map_err(|err| mark(err, self.table.lookup(&path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_brings_head_and_the_list_is_sorted_without_duplicates() {
        let allow = Allow::of(&[Method::POST, Method::GET, Method::GET]);
        assert_eq!(allow.header_value(), "GET, HEAD, POST");
        assert_eq!(Allow::of(&[Method::DELETE]).header_value(), "DELETE");
    }

    #[test]
    fn the_table_matches_templates_by_segment() {
        let mut table = AllowTable::default();
        table.add("/files", Method::GET);
        table.add("/files/{name}", Method::DELETE);
        table.add("/files/{name}/info", Method::GET);
        table.add("/upload", Method::POST);
        let allow = |p: &str| table.lookup(p).map(Allow::header_value);
        assert_eq!(allow("/files").as_deref(), Some("GET, HEAD"));
        assert_eq!(allow("/files/abc").as_deref(), Some("DELETE"));
        assert_eq!(allow("/files/abc/info").as_deref(), Some("GET, HEAD"));
        assert_eq!(allow("/upload").as_deref(), Some("POST"));
        assert_eq!(allow("/files/abc/other"), None);
        assert_eq!(allow("/nowhere"), None);
    }
}
