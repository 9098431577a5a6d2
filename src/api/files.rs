//! `/api/upload` and `/api/files/...`: the old application's file endpoints, done properly.

use std::time::Duration;

use poem::Request;
use poem::web::Multipart;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Json, ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::multipart::Upload;
use poem_openapi::{Multipart as MultipartDoc, Object, OpenApi};

use super::state;
use super::{ApiCaller, ApiResult};
use crate::error::AppError;
use crate::media;
use crate::media::links::{DEFAULT_LINK_TTL, download_link};
use crate::media::model::{Folder, Media, parse_name};
use crate::media::store::{self, MediaFilter};
use crate::state::AppState;

/// The file endpoints.
pub struct FilesApi;

/// A stored file.
#[derive(Debug, Object)]
pub struct FileInfo {
    /// Unique name: `<uuid>-<slug>.<ext>`. Use it in the other endpoints.
    pub name: String,
    pub id: String,
    pub folder: String,
    /// The uploader's file name.
    pub original_name: String,
    /// `image`, `video`, `document` or `archive`.
    pub kind: String,
    /// Content type as served.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Hex SHA-256 of the content.
    #[oai(nullable)]
    pub sha256: Option<String>,
    /// Blob key in storage.
    pub key: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// RFC 3339.
    pub created_at: String,
    /// Pixels (images, video), once analysed; `null` before, and for other kinds.
    #[oai(nullable)]
    pub width: Option<i64>,
    /// Pixels (images, video), once analysed; `null` before, and for other kinds.
    #[oai(nullable)]
    pub height: Option<i64>,
    /// Video duration in milliseconds, once analysed; `null` before, and for other kinds.
    #[oai(nullable)]
    pub duration_ms: Option<i64>,
    /// `pending`, `done`, `tool_missing`, `failed` or `skipped`.
    pub analysis: String,
    /// Why the analysis is not done; `null` when there is nothing to say.
    #[oai(nullable)]
    pub analysis_note: Option<String>,
}

fn rfc3339(epoch: i64) -> String {
    jiff::Timestamp::from_second(epoch).map_or_else(|_| epoch.to_string(), |t| t.to_string())
}

impl From<Media> for FileInfo {
    fn from(m: Media) -> Self {
        Self {
            name: m.name,
            id: m.id,
            folder: m.folder,
            original_name: m.original_name,
            kind: m.kind,
            content_type: m.content_type,
            size: m.size_bytes,
            sha256: m.sha256,
            key: m.blob_key,
            uploaded_by: m.uploaded_by,
            created_at: rfc3339(m.created_at),
            width: m.width,
            height: m.height,
            duration_ms: m.duration_ms,
            analysis: m.analysis.as_str().to_owned(),
            analysis_note: m.analysis_note,
        }
    }
}

/// A page of files.
#[derive(Debug, Object)]
pub struct FileList {
    /// The files, newest first.
    pub files: Vec<FileInfo>,
    /// Page number (from 1).
    pub page: i64,
    /// Files per page.
    pub per_page: i64,
    /// Files matching in all.
    pub total: i64,
}

/// A signed download link.
#[derive(Debug, Object)]
pub struct DownloadUrl {
    /// The link; anyone holding it can download the file until it expires.
    pub url: String,
    /// Seconds it is valid for.
    pub expires_in: u64,
    /// RFC 3339.
    pub expires_at: String,
}

/// Deletion receipt.
#[derive(Debug, Object)]
pub struct Deleted {
    /// The name that was deleted.
    pub deleted: String,
}

/// The upload form as documented: `file` and an optional `folder` (send `folder` first).
#[derive(Debug, MultipartDoc)]
#[allow(
    dead_code,
    reason = "documentation only: the body is parsed as a stream by UploadBody"
)]
struct UploadDoc {
    /// Optional folder such as `portfolio/weddings`; must come before `file`.
    #[oai(validator(
        pattern = r"^[\t\n\f\r ]*/*(?:[A-Za-z0-9][A-Za-z0-9_-]{0,39}(?:/[A-Za-z0-9][A-Za-z0-9_-]{0,39}){0,2})?/*[\t\n\f\r ]*$",
        max_length = 200
    ))]
    folder: Option<String>,
    file: Upload,
}

/// The upload body, read as a stream (never spooled to memory or disk).
pub struct UploadBody(Multipart);

impl Payload for UploadBody {
    const CONTENT_TYPE: &'static str = "multipart/form-data";

    fn check_content_type(content_type: &str) -> bool {
        content_type
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    }

    fn schema_ref() -> MetaSchemaRef {
        <UploadDoc as Payload>::schema_ref()
    }

    fn register(registry: &mut Registry) {
        <UploadDoc as Payload>::register(registry);
    }
}

impl ParsePayload for UploadBody {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut poem::RequestBody) -> poem::Result<Self> {
        use poem::FromRequest as _;
        Ok(Self(Multipart::from_request(request, body).await?))
    }
}

impl<'a> poem_openapi::ApiExtractor<'a> for UploadBody {
    const TYPES: &'static [poem_openapi::ApiExtractorType] =
        &[poem_openapi::ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        Some(poem_openapi::registry::MetaRequest {
            description: None,
            content: vec![poem_openapi::registry::MetaMediaType {
                content_type: <Self as Payload>::CONTENT_TYPE,
                schema: <Self as Payload>::schema_ref(),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut poem::RequestBody,
        _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match request.content_type() {
            Some(ct) if Self::check_content_type(ct) => {
                <Self as ParsePayload>::from_request(request, body).await
            }
            _ => Err(crate::error::AppError::Refused {
                status: poem::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message: "Send the file as multipart/form-data with a field named \"file\".".into(),
            }
            .into()),
        }
    }
}

fn find_name(raw: &str) -> Result<&str, AppError> {
    parse_name(raw).ok_or_else(|| {
        AppError::BadRequest(
            "That is not a file name of this library (expected <uuid>-<name>.<ext>, as listed by GET /api/files).".into(),
        )
    })
}

async fn find(state: &AppState, raw: &str) -> Result<Media, AppError> {
    let name = find_name(raw)?;
    store::find_ready_by_name(state.db.pool(), name)
        .await?
        .ok_or(AppError::NotFound)
}

#[OpenApi]
impl FilesApi {
    /// Upload a file
    ///
    /// Multipart form with `file` and an optional `folder` (sent before `file`). The body is
    /// streamed to storage; the content must match the extension (jpg, png, gif, webp, tiff,
    /// bmp, mp4, mov, avi, wmv, flv, webm, pdf, doc, docx, txt, zip, rar, 7z) and stay under
    /// the limit of its kind.
    #[oai(path = "/upload", method = "post")]
    async fn upload(
        &self,
        req: &Request,
        caller: ApiCaller,
        /// Folder, instead of the form field.
        #[oai(validator(
            pattern = r"^[\t\n\f\r ]*/*(?:[A-Za-z0-9][A-Za-z0-9_-]{0,39}(?:/[A-Za-z0-9][A-Za-z0-9_-]{0,39}){0,2})?/*[\t\n\f\r ]*$",
            max_length = 200
        ))]
        folder: Query<Option<String>>,
        body: UploadBody,
    ) -> ApiResult<poem_openapi::payload::Json<FileInfo>> {
        let state = state(req)?;
        let media = crate::media::handlers::receive_one(
            state,
            req,
            &caller.uploader(),
            folder.0.as_deref(),
            body.0,
        )
        .await?;
        Ok(Json(media.into()))
    }

    /// List files
    #[oai(path = "/files", method = "get")]
    async fn list(
        &self,
        req: &Request,
        _caller: ApiCaller,
        /// Only this folder (and its sub-folders).
        #[oai(validator(
            pattern = r"^[\t\n\f\r ]*/*(?:[A-Za-z0-9][A-Za-z0-9_-]{0,39}(?:/[A-Za-z0-9][A-Za-z0-9_-]{0,39}){0,2})?/*[\t\n\f\r ]*$",
            max_length = 200
        ))]
        folder: Query<Option<String>>,
        /// Page number, from 1.
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
        page: Query<Option<i64>>,
        /// Files per page (1-200, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        per_page: Query<Option<i64>>,
        /// Alias of `per_page`, as the old API called it.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<FileList>> {
        let state = state(req)?;
        let folder = match folder.0.as_deref() {
            Some(raw) => Some(
                Folder::parse(raw)
                    .map_err(|m| AppError::BadRequest(m.to_owned()))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        // In range: the validators above refuse anything else with 400, and state the bounds in
        // the spec.
        let per_page = per_page.0.or(limit.0).unwrap_or(50);
        let page = page.0.unwrap_or(1);
        let mut conn = state.db.pool().acquire().await.map_err(AppError::from)?;
        let (rows, total) = store::list_ready(
            &mut conn,
            &MediaFilter {
                folder,
                ..MediaFilter::default()
            },
            per_page,
            (page - 1) * per_page,
        )
        .await
        .map_err(AppError::from)?;
        Ok(Json(FileList {
            files: rows.into_iter().map(FileInfo::from).collect(),
            page,
            per_page,
            total,
        }))
    }

    /// Describe a file
    #[oai(path = "/files/:name/info", method = "get")]
    async fn info(
        &self,
        req: &Request,
        _caller: ApiCaller,
        /// The file's name as listed.
        #[oai(validator(
            pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[a-z0-9-]*\.[a-z0-9-]*$",
            min_length = 40,
            max_length = 120
        ))]
        name: Path<String>,
    ) -> ApiResult<Json<FileInfo>> {
        let media = find(state(req)?, &name.0).await?;
        Ok(Json(media.into()))
    }

    /// A signed download link
    ///
    /// Valid for `expires_in` seconds (default 3600, at most 604800 = seven days).
    #[oai(path = "/files/:name/download-url", method = "get")]
    async fn download_url(
        &self,
        req: &Request,
        caller: ApiCaller,
        /// The file's name as listed.
        #[oai(validator(
            pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[a-z0-9-]*\.[a-z0-9-]*$",
            min_length = 40,
            max_length = 120
        ))]
        name: Path<String>,
        /// Lifetime in seconds (1 to 604800; default 3600).
        #[oai(validator(minimum(value = "1"), maximum(value = "604800")))]
        expires_in: Query<Option<u64>>,
    ) -> ApiResult<Json<DownloadUrl>> {
        let state = state(req)?;
        // 1 to MAX_LINK_TTL: the validator refuses anything else (a unit test below keeps its
        // literal equal to the constant).
        let ttl = expires_in.0.map_or(DEFAULT_LINK_TTL, Duration::from_secs);
        let media = find(state, &name.0).await?;
        let link = download_link(state, &media, ttl).await.map_err(|e| {
            tracing::error!(error = %e, "signing a link failed");
            AppError::Busy { retry_after: 5 }
        })?;
        let label = caller.label();
        crate::audit::insert_audit(
            state.db.pool(),
            &crate::audit::AuditEntry {
                after: Some(serde_json::json!({ "expires_in": ttl.as_secs() })),
                ..caller.audit(&label, "media.link", &media.id)
            },
            crate::db::now(),
        )
        .await
        .map_err(AppError::from)?;
        Ok(Json(DownloadUrl {
            url: link.url,
            expires_in: ttl.as_secs(),
            expires_at: rfc3339(link.expires_at),
        }))
    }

    /// Delete a file
    ///
    /// Deletes the row and its blobs together.
    #[oai(path = "/files/:name", method = "delete")]
    async fn delete(
        &self,
        req: &Request,
        caller: ApiCaller,
        /// The file's name as listed.
        #[oai(validator(
            pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[a-z0-9-]*\.[a-z0-9-]*$",
            min_length = 40,
            max_length = 120
        ))]
        name: Path<String>,
    ) -> ApiResult<Json<Deleted>> {
        let state = state(req)?;
        let found = find(state, &name.0).await?;
        let label = caller.label();
        let deleted = media::delete_media(
            state,
            &caller.audit(&label, "media.delete", &found.id),
            &found.id,
        )
        .await?;
        Ok(Json(Deleted {
            deleted: deleted.name,
        }))
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::OpenApiService;
    use proptest::prelude::*;
    use serde_json::Value;

    use super::FilesApi;
    use crate::media::links::MAX_LINK_TTL;
    use crate::media::model::{Folder, parse_name};

    // The `pattern` validators above must be these literals (attributes take no constants).
    const FOLDER_PATTERN: &str = r"^[\t\n\f\r ]*/*(?:[A-Za-z0-9][A-Za-z0-9_-]{0,39}(?:/[A-Za-z0-9][A-Za-z0-9_-]{0,39}){0,2})?/*[\t\n\f\r ]*$";
    const NAME_PATTERN: &str =
        r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[a-z0-9-]*\.[a-z0-9-]*$";

    fn spec() -> Value {
        let spec = OpenApiService::new(FilesApi, "test", "0").spec();
        serde_json::from_str(&spec).unwrap()
    }

    /// Every parameter (and form field) named `name` in the spec, with its schema.
    fn schemas_named(spec: &Value, name: &str) -> Vec<Value> {
        let mut found = Vec::new();
        for operation in spec["paths"].as_object().unwrap().values() {
            for operation in operation.as_object().unwrap().values() {
                for param in operation["parameters"].as_array().into_iter().flatten() {
                    if param["name"] == name {
                        found.push(param["schema"].clone());
                    }
                }
                let form = &operation["requestBody"]["content"]["multipart/form-data"]["schema"];
                let schema = match form["$ref"].as_str() {
                    Some(r) => &spec["components"]["schemas"][r.rsplit('/').next().unwrap()],
                    None => form,
                };
                if let Some(field) = schema["properties"].get(name) {
                    found.push(field.clone());
                }
            }
        }
        found
    }

    #[test]
    fn the_spec_states_the_rules_the_parsers_apply() {
        let spec = spec();
        let folders = schemas_named(&spec, "folder");
        assert_eq!(folders.len(), 3, "{folders:?}");
        for schema in folders {
            assert_eq!(schema["pattern"], FOLDER_PATTERN);
            assert_eq!(schema["maxLength"], 200);
        }
        let names = schemas_named(&spec, "name");
        assert_eq!(names.len(), 3, "{names:?}");
        for schema in names {
            assert_eq!(schema["pattern"], NAME_PATTERN);
            assert_eq!(schema["minLength"], 40);
            assert_eq!(schema["maxLength"], 120);
        }
        let expires_in = &schemas_named(&spec, "expires_in")[0];
        assert_eq!(
            expires_in["maximum"].as_f64(),
            Some(MAX_LINK_TTL.as_secs() as f64)
        );
    }

    fn folder_like() -> impl Strategy<Value = String> {
        let segment = "[a-zA-Z0-9_.é -]{0,42}";
        (
            "[ \t\n\r\u{b}/]{0,3}",
            prop::collection::vec(segment, 0..5),
            "[ \t\n\r\u{b}/]{0,3}",
        )
            .prop_map(|(before, segments, after)| format!("{before}{}{after}", segments.join("/")))
    }

    fn name_like() -> impl Strategy<Value = String> {
        let uuid = prop_oneof![
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[0-9a-fA-G-]{30,40}",
        ];
        (uuid, "[a-z0-9A-Z./_-]{0,90}").prop_map(|(uuid, rest)| format!("{uuid}{rest}"))
    }

    proptest! {
        #[test]
        fn the_folder_pattern_accepts_exactly_what_folder_parse_accepts(raw in folder_like()) {
            let pattern = regex::Regex::new(FOLDER_PATTERN).unwrap();
            prop_assert_eq!(
                pattern.is_match(&raw) && raw.chars().count() <= 200,
                Folder::parse(&raw).is_ok(),
                "{:?}", raw
            );
        }

        #[test]
        fn the_name_pattern_accepts_exactly_what_parse_name_accepts(raw in name_like()) {
            let pattern = regex::Regex::new(NAME_PATTERN).unwrap();
            let length = (40..=120).contains(&raw.chars().count());
            prop_assert_eq!(
                pattern.is_match(&raw) && length,
                parse_name(&raw).is_some(),
                "{:?}", raw
            );
        }
    }
}
