//! The JSON API (poem-openapi): the file endpoints of the old application, now authenticated
//! by an admin session or an API token. Spec at `/api/openapi.json`, Swagger UI at `/api/docs`.
//!
//! Errors use the same JSON body as every other JSON error of the app
//! (`{"error": {"status", "message"}, "request_id"}`): operations fail with [`ApiError`],
//! which wraps an [`AppError`] and documents the statuses in the spec.

pub mod admin;
pub mod bookings;
pub mod files;
pub mod formats;
pub mod tokens;
pub mod tus;

use std::sync::Arc;

use poem::http::{HeaderValue, header};
use poem::{
    Endpoint, EndpointExt as _, IntoEndpoint as _, IntoResponse as _, Request, RequestBody,
    Response,
};
use poem_openapi::registry::{
    MetaMediaType, MetaResponse, MetaResponses, MetaSecurityScheme, Registry,
};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, Object, OpenApi,
    OpenApiService,
};

use crate::audit::AuditEntry;
use crate::error::AppError;
use crate::http::context::RequestContext;
use crate::http::methods::{AllowTable, get};
use crate::identity::model::User;
use crate::media::upload::Uploader;
use crate::state::AppState;

/// Who is calling the API.
#[derive(Debug, Clone)]
pub enum ApiCaller {
    /// An API token.
    Token(tokens::ApiToken),
    /// A signed-in admin (their requests carry the CSRF token like any other).
    Admin(User),
}

impl ApiCaller {
    /// As an uploader.
    pub fn uploader(&self) -> Uploader {
        match self {
            Self::Token(t) => Uploader {
                user_id: None,
                token_id: Some(t.id.clone()),
                label: self.label(),
            },
            Self::Admin(u) => Uploader {
                user_id: Some(u.id.clone()),
                token_id: None,
                label: u.email.clone(),
            },
        }
    }

    /// Email, or `api-token:<name>`.
    pub fn label(&self) -> String {
        match self {
            Self::Token(t) => format!("api-token:{}", t.name),
            Self::Admin(u) => u.email.clone(),
        }
    }

    /// An audit entry in this caller's name (`label` must outlive it).
    pub fn audit<'a>(
        &'a self,
        label: &'a str,
        action: &'a str,
        entity_id: &'a str,
    ) -> AuditEntry<'a> {
        let user_id = match self {
            Self::Token(_) => None,
            Self::Admin(u) => Some(u.id.as_str()),
        };
        AuditEntry::by_actor(user_id, label, action, "media", entity_id)
    }
}

const TOKEN_SCHEME: &str = "ApiToken";
const SESSION_SCHEME: &str = "AdminSession";

impl<'a> ApiExtractor<'a> for ApiCaller {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        registry.create_security_scheme(
            TOKEN_SCHEME,
            MetaSecurityScheme {
                ty: "http",
                description: Some(
                    "An API token from `flashstudio api-token create --name NAME` or the admin, sent as `Authorization: Bearer fs_...`.",
                ),
                name: None,
                key_in: None,
                scheme: Some("bearer"),
                bearer_format: Some("fs_ token"),
                flows: None,
                openid_connect_url: None,
            },
        );
        registry.create_security_scheme(
            SESSION_SCHEME,
            MetaSecurityScheme {
                ty: "apiKey",
                description: Some(
                    "A signed-in admin's session cookie. Unsafe requests also need the page's CSRF token in `X-CSRF-Token`.",
                ),
                name: Some("fs_session"),
                key_in: Some("cookie"),
                scheme: None,
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![TOKEN_SCHEME, SESSION_SCHEME]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        authenticate(req).await.map_err(Into::into)
    }
}

/// A bearer token, when one is sent, is the only credential looked at (a bad token is not
/// rescued by a cookie); otherwise the session must belong to an admin.
pub(crate) async fn authenticate(req: &Request) -> Result<ApiCaller, AppError> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("state missing")))?;
    if let Some(auth) = req.header(header::AUTHORIZATION) {
        let secret = auth.strip_prefix("Bearer ").ok_or_else(|| {
            AppError::BadRequest("Authorization must be `Bearer <token>`.".into())
        })?;
        return tokens::authenticate(state.db.pool(), secret.trim())
            .await?
            .map(ApiCaller::Token)
            .ok_or(AppError::Unauthorized);
    }
    let ctx = req
        .data::<Arc<RequestContext>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("session middleware missing")))?;
    match ctx.user() {
        Some(user) if user.is_admin() => Ok(ApiCaller::Admin(user.clone())),
        Some(_) => Err(AppError::Forbidden),
        None => Err(AppError::Unauthorized),
    }
}

/// The error body (documentation of the shape [`crate::http::errors`] renders).
#[derive(Debug, Object)]
pub struct ErrorBody {
    /// Status and message.
    pub error: ErrorDetail,
    /// Quote it when reporting a problem.
    pub request_id: String,
}

/// What went wrong.
#[derive(Debug, Object)]
pub struct ErrorDetail {
    /// The HTTP status.
    pub status: u16,
    /// A sentence for a person.
    pub message: String,
}

/// Any failure of an operation. It becomes the app's JSON error response.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl From<ApiError> for poem::Error {
    fn from(e: ApiError) -> Self {
        e.0.into()
    }
}

impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        let statuses: [(u16, &'static str); 10] = [
            (400, "Malformed request, bad name or folder"),
            (401, "No credentials, or a revoked or unknown token"),
            (403, "Signed in but not an admin, or a missing CSRF token"),
            (404, "No such file"),
            (408, "The upload stalled"),
            (413, "Larger than the limit of its kind"),
            (
                415,
                "A type not on the allow-list, or content that does not match its extension",
            ),
            (422, "An empty file"),
            (429, "Too many requests"),
            (
                503,
                "Storage unavailable or too many uploads at once; retry later",
            ),
        ];
        MetaResponses {
            responses: statuses
                .into_iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/json",
                        schema: <poem_openapi::payload::Json<ErrorBody> as poem_openapi::payload::Payload>::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        <ErrorBody as poem_openapi::types::Type>::register(registry);
    }
}

/// The app's state from a request (every operation runs inside the app's route tree).
pub(crate) fn state(req: &Request) -> Result<&AppState, AppError> {
    req.data::<AppState>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("state missing")))
}

/// Result of an operation.
pub type ApiResult<T> = Result<T, ApiError>;

/// The API, its spec and its docs, mounted at `/api`.
pub fn endpoint() -> impl Endpoint<Output = Response> {
    let service = OpenApiService::new(
        (files::FilesApi, bookings::AvailabilityApi),
        "FlashStudio API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Files of the studio's media library: authenticate with an API token \
             (`Authorization: Bearer fs_...`) or as a signed-in admin. The availability \
             operations are public (rate-limited per client).",
    )
    .url_prefix("/api");
    let spec = service.spec_endpoint();
    let docs_html = service.swagger_ui_html();
    let docs_csp = docs_policy(&docs_html);
    poem::Route::new()
        .at("/openapi.json", get(spec))
        .at(
            "/docs",
            get(poem::endpoint::make_sync(move |_| {
                let mut resp = poem::web::Html(docs_html.clone()).into_response();
                if let Ok(v) = HeaderValue::from_str(&docs_csp) {
                    resp.headers_mut()
                        .insert(header::CONTENT_SECURITY_POLICY, v);
                }
                resp
            })),
        )
        .nest("/", service.into_endpoint().with(allow_table()))
        .map_to_response()
}

/// The methods of each operation's path, from the same description the spec is made of, so
/// that the 405 poem-openapi's router answers carries `Allow`.
fn allow_table() -> AllowTable {
    let mut table = AllowTable::default();
    for path in <files::FilesApi as OpenApi>::meta()
        .into_iter()
        .chain(<bookings::AvailabilityApi as OpenApi>::meta())
        .flat_map(|api| api.paths)
    {
        for operation in path.operations {
            table.add(&path.path, operation.method);
        }
    }
    table
}

/// The Swagger UI page inlines its scripts; allow exactly those (by hash), nothing else.
fn docs_policy(html: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let Some(close) = after.find("</script>") else {
            break;
        };
        let tag = &after[..open_end];
        let body = &after[open_end + 1..close];
        if !tag.contains("src=") {
            let digest = sha2::Sha256::digest(body.as_bytes());
            hashes.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        rest = &after[close + "</script>".len()..];
    }
    format!(
        "default-src 'self'; script-src 'self' {}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        hashes.join(" ")
    )
}
