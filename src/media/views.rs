//! The admin media library screens.

use maud::{Markup, html};

use super::handlers::{FileOutcome, LINK_LIFETIMES, Listing, PAGE_SIZE};
use super::kinds::allowed_extensions;
use super::links::{DownloadLink, Variant, page_path};
use super::model::{AnalysisState, Media};
use super::upload::human_size;
use crate::http::context::RequestContext;
use crate::state::AppState;
use crate::views::admin::admin_page;
use crate::views::components::{csrf_field, timestamp};

fn accept_attr() -> String {
    allowed_extensions()
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn duration(ms: i64) -> String {
    let secs = ms / 1000;
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

fn dimensions(m: &Media) -> String {
    let mut parts = Vec::new();
    if let (Some(w), Some(h)) = (m.width, m.height) {
        parts.push(format!("{w}×{h}"));
    }
    if let Some(ms) = m.duration_ms {
        parts.push(duration(ms));
    }
    parts.join(" · ")
}

/// `GET /admin/media`.
pub fn library(
    ctx: &RequestContext,
    state: &AppState,
    listing: &Listing,
    outcomes: &[FileOutcome],
) -> Markup {
    let limits = state.settings.upload_limits;
    let upload_action = format!("/admin/media/upload?csrf_token={}", ctx.csrf_token);
    admin_page(
        ctx,
        "Media library",
        "/admin/media",
        html! {
            div.page-header {
                h1 { "Media library" }
                p.lead { "Every file the studio stores: portfolio films, product images, client deliveries." }
            }
            section.panel.upload-panel aria-labelledby="upload-title" {
                h2 #upload-title { "Upload files" }
                form #upload-form method="post" enctype="multipart/form-data" action=(upload_action)
                    hx-post=(upload_action) hx-encoding="multipart/form-data"
                    hx-target="#upload-results" hx-swap="innerHTML" hx-disabled-elt="find button" {
                    div.upload-fields {
                        div.field {
                            label for="folder" { "Folder" }
                            input #folder name="folder" type="text" list="folder-list" placeholder="uploads"
                                pattern="[A-Za-z0-9_\\-]+(/[A-Za-z0-9_\\-]+){0,2}" maxlength="120";
                            datalist #folder-list {
                                @for (folder, _) in &listing.folders { option value=(folder) {} }
                            }
                            p.hint { "Such as portfolio/weddings. Up to three levels." }
                        }
                        div.field {
                            label for="files" { "Files" }
                            input #files name="files" type="file" multiple required accept=(accept_attr());
                            p.hint {
                                "Images up to " (human_size(limits.image)) ", video up to " (human_size(limits.video))
                                ", documents up to " (human_size(limits.document)) ", archives up to " (human_size(limits.archive)) "."
                            }
                        }
                    }
                    div.form-actions {
                        button.button.button-primary type="submit" { "Upload" }
                        progress #upload-progress .upload-progress max="100" value="0" hidden aria-label="Upload progress" {}
                        span #upload-percent .muted aria-live="polite" {}
                    }
                }
                div #upload-results aria-live="polite" {
                    @if !outcomes.is_empty() { (upload_results(outcomes)) }
                }
            }
            (filters(listing))
            (table(ctx, state, listing))
            // With htmx, a file's panel opens here: fixed at the side of the screen (a sheet on
            // phones), wherever the list was scrolled to. Without JS the row's link is a page.
            div #media-info {}
            script src=(crate::http::assets::url("media.js")) defer {}
        },
    )
}

fn filters(listing: &Listing) -> Markup {
    let f = &listing.filter;
    html! {
        form.filter-bar method="get" action="/admin/media" role="search"
            hx-get="/admin/media" hx-target="#media-table" hx-swap="outerHTML" hx-push-url="true"
            hx-trigger="change, submit, keyup changed delay:400ms from:#media-search" {
            div.field {
                label for="media-search" { "Search" }
                input #media-search type="search" name="q" value=[f.search.as_deref()] placeholder="File name";
            }
            div.field {
                label for="media-folder" { "Folder" }
                select #media-folder name="folder" {
                    option value="" { "All folders" }
                    @for (folder, count) in &listing.folders {
                        option value=(folder) selected[f.folder.as_deref() == Some(folder.as_str())] { (folder) " (" (count) ")" }
                    }
                }
            }
            div.field {
                label for="media-kind" { "Kind" }
                select #media-kind name="kind" {
                    option value="" { "All kinds" }
                    @for kind in ["image", "video", "document", "archive"] {
                        option value=(kind) selected[f.kind.as_deref() == Some(kind)] { (kind) }
                    }
                }
            }
            noscript { button.button.button-secondary type="submit" { "Filter" } }
        }
    }
}

/// The table with its pagination (the htmx fragment of filtering and paging).
pub fn table(ctx: &RequestContext, state: &AppState, listing: &Listing) -> Markup {
    html! {
        div #media-table hx-get="/admin/media" hx-trigger="media-changed from:body" hx-target="this"
            hx-headers=r#"{"HX-Target":"media-table"}"# hx-swap="outerHTML" {
            (table_inner(ctx, state, listing))
        }
    }
}

fn page_href(listing: &Listing, page: i64) -> String {
    let f = &listing.filter;
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(v) = &f.search {
        query.append_pair("q", v);
    }
    if let Some(v) = &f.folder {
        query.append_pair("folder", v);
    }
    if let Some(v) = &f.kind {
        query.append_pair("kind", v);
    }
    query.append_pair("page", &page.to_string());
    format!("/admin/media?{}", query.finish())
}

fn table_inner(ctx: &RequestContext, state: &AppState, listing: &Listing) -> Markup {
    let pages = (listing.total + PAGE_SIZE - 1) / PAGE_SIZE;
    html! {
        p.muted.table-summary { (listing.total) " file" @if listing.total != 1 { "s" } }
        @if listing.rows.is_empty() {
            p.empty-state { "No files match. Upload some above." }
        } @else {
            div.table-wrap role="region" aria-label="Files" tabindex="0" {
                table.data-table.media-table {
                    thead { tr {
                        th { span.visually-hidden { "Preview" } }
                        th { "File" } th { "Folder" } th { "Kind" } th { "Size" }
                        th { "Details" } th { "Uploaded" }
                        th.actions { span.visually-hidden { "Actions" } }
                    } }
                    tbody {
                        @for m in &listing.rows { (row(ctx, state, m)) }
                    }
                }
            }
        }
        @if pages > 1 {
            nav.pagination aria-label="Pages" {
                @if listing.page > 1 {
                    a href=(page_href(listing, listing.page - 1)) hx-get=(page_href(listing, listing.page - 1))
                        hx-target="#media-table" hx-swap="outerHTML" hx-push-url="true" { "← Newer" }
                }
                span { "Page " (listing.page) " of " (pages) }
                @if listing.page < pages {
                    a href=(page_href(listing, listing.page + 1)) hx-get=(page_href(listing, listing.page + 1))
                        hx-target="#media-table" hx-swap="outerHTML" hx-push-url="true" { "Older →" }
                }
            }
        }
    }
}

fn row(ctx: &RequestContext, state: &AppState, m: &Media) -> Markup {
    let row_id = format!("media-{}", m.id);
    html! {
        tr #(row_id) {
            td.media-thumb-cell {
                @if m.thumb_key.is_some() {
                    img.media-thumb src=(page_path(state, &m.id, Variant::Thumb)) alt="" loading="lazy" width="64" height="48";
                } @else {
                    span.media-thumb.media-thumb-placeholder aria-hidden="true" { (m.ext.to_uppercase()) }
                }
            }
            td {
                a href=(format!("/admin/media/{}", m.id)) hx-get=(format!("/admin/media/{}", m.id))
                    hx-target="#media-info" hx-swap="innerHTML" { (m.original_name) }
                br;
                small.muted.mono { (m.name) }
            }
            td { (m.folder) }
            td { span class=(format!("status-badge kind-{}", m.kind)) { (m.kind) } }
            td { (human_size(u64::try_from(m.size_bytes).unwrap_or(0))) }
            td {
                (dimensions(m))
                @if m.analysis == AnalysisState::Pending { span.muted { "analysing…" } }
                @if matches!(m.analysis, AnalysisState::ToolMissing | AnalysisState::Failed) {
                    span class=(format!("status-badge status-{}", if m.analysis == AnalysisState::Failed { "failed" } else { "retrying" }))
                        title=[m.analysis_note.as_deref()] { (m.analysis.as_str().replace('_', " ")) }
                }
            }
            td { (timestamp(m.created_at)) br; small.muted { (m.uploaded_by) } }
            td.actions {
                form.inline-form method="post" action=(format!("/admin/media/{}/delete", m.id))
                    hx-post=(format!("/admin/media/{}/delete", m.id)) hx-target=(format!("#{row_id}")) hx-swap="outerHTML"
                    hx-confirm=(format!("Delete {}? The file is removed from storage too.", m.original_name)) {
                    (csrf_field(ctx))
                    a.button.button-small.button-ghost href=(format!("/admin/media/{}/delete", m.id)) hx-boost="false"
                        data-confirm-page { "Delete" }
                    button.button.button-small.button-danger.js-only type="submit" { "Delete" }
                }
            }
        }
    }
}

/// Results of a library upload, one line per file.
pub fn upload_results(outcomes: &[FileOutcome]) -> Markup {
    html! {
        ul.upload-results {
            @for o in outcomes {
                @match o {
                    FileOutcome::Stored(m) => li.upload-ok {
                        strong { (m.original_name) } " stored in " (m.folder) " (" (human_size(u64::try_from(m.size_bytes).unwrap_or(0))) ")."
                    },
                    FileOutcome::Failed { name, message } => li.upload-error role="alert" {
                        strong { (name) } " — " (message)
                    },
                }
            }
        }
    }
}

/// The info panel of one file, optionally with a freshly made link.
pub fn info_panel(
    ctx: &RequestContext,
    state: &AppState,
    m: &Media,
    link: Option<&DownloadLink>,
) -> Markup {
    info_panel_at(ctx, state, m, link, false)
}

/// The info panel; on its own page (`standalone`) its title is the page's heading.
fn info_panel_at(
    ctx: &RequestContext,
    state: &AppState,
    m: &Media,
    link: Option<&DownloadLink>,
    standalone: bool,
) -> Markup {
    let preview = page_path(state, &m.id, Variant::File);
    html! {
        section.panel.media-info aria-labelledby="media-info-title" {
            @if standalone {
                h1 #media-info-title tabindex="-1" { (m.original_name) }
            } @else {
                h2 #media-info-title tabindex="-1" { (m.original_name) }
            }
            @match m.media_kind() {
                super::kinds::MediaKind::Image if m.thumb_key.is_some() => {
                    img.media-preview src=(page_path(state, &m.id, Variant::Thumb)) alt=(m.original_name);
                }
                super::kinds::MediaKind::Video => {
                    video.media-preview controls preload="metadata"
                        poster=[m.poster_key.as_ref().map(|_| page_path(state, &m.id, Variant::Poster))] {
                        source src=(preview) type=(m.content_type);
                    }
                }
                _ => {}
            }
            dl.media-facts {
                dt { "Name" } dd.mono { (m.name) }
                dt { "Storage key" } dd.mono { (m.blob_key) }
                dt { "Folder" } dd { (m.folder) }
                dt { "Type" } dd { (m.content_type) " (" (m.kind) ")" }
                dt { "Size" } dd { (human_size(u64::try_from(m.size_bytes).unwrap_or(0))) " (" (m.size_bytes) " bytes)" }
                dt { "SHA-256" } dd.mono { (m.sha256.as_deref().unwrap_or("")) }
                @if !dimensions(m).is_empty() { dt { "Details" } dd { (dimensions(m)) } }
                dt { "Analysis" } dd {
                    (m.analysis.as_str().replace('_', " "))
                    @if let Some(note) = &m.analysis_note { br; small.muted { (note) } }
                }
                dt { "Uploaded" } dd { (timestamp(m.created_at)) " by " (m.uploaded_by) }
            }
            form.link-form method="post" action=(format!("/admin/media/{}/link", m.id))
                hx-post=(format!("/admin/media/{}/link", m.id)) hx-target="#media-link" hx-swap="innerHTML" {
                (csrf_field(ctx))
                div.field {
                    label for="link-ttl" { "Signed link valid for" }
                    select #link-ttl name="ttl" {
                        @for (secs, label) in LINK_LIFETIMES {
                            option value=(secs) selected[*secs == 3600] { (label) }
                        }
                    }
                }
                button.button.button-secondary type="submit" { "Make a signed link" }
            }
            div #media-link aria-live="polite" {
                @if let Some(link) = link { (link_result(link)) }
            }
        }
    }
}

/// `GET /admin/media/:id` with htmx: the info panel as a side panel over the library, where
/// the user is looking, with a close button (`media.js` moves focus into it, and Escape or the
/// button closes it and returns focus to the file's link).
pub fn info_drawer(
    ctx: &RequestContext,
    state: &AppState,
    m: &Media,
    link: Option<&DownloadLink>,
) -> Markup {
    html! {
        div.media-drawer role="dialog" aria-modal="false" aria-labelledby="media-info-title" {
            div.media-drawer-bar {
                a href=(format!("/admin/media/{}", m.id)) { "Open as a page" }
                button.button.button-small.button-ghost type="button" data-close-media-info
                    aria-label="Close the file details" { "Close ×" }
            }
            (info_panel(ctx, state, m, link))
        }
    }
}

/// `GET /admin/media/:id` without htmx.
pub fn info_page(
    ctx: &RequestContext,
    state: &AppState,
    m: &Media,
    link: Option<&DownloadLink>,
) -> Markup {
    admin_page(
        ctx,
        &m.original_name,
        "/admin/media",
        html! {
            p { a href="/admin/media" { "← Media library" } }
            (info_panel_at(ctx, state, m, link, true))
            p { a.button.button-danger href=(format!("/admin/media/{}/delete", m.id)) { "Delete this file" } }
        },
    )
}

/// A made link, ready to copy.
pub fn link_result(link: &DownloadLink) -> Markup {
    html! {
        div.link-box {
            label for="signed-link" { "Signed link (expires " (timestamp(link.expires_at)) ")" }
            div.link-row {
                input #signed-link type="text" readonly value=(link.url);
                button.button.button-small.js-only type="button" data-copy="#signed-link" { "Copy" }
            }
        }
    }
}

/// `GET /admin/media/:id/delete`.
pub fn confirm_delete(ctx: &RequestContext, m: &Media) -> Markup {
    admin_page(
        ctx,
        "Delete a file",
        "/admin/media",
        html! {
            div.panel {
                h1 { "Delete " (m.original_name) "?" }
                p { "The file is removed from storage and from the library. Links already handed out stop working." }
                form method="post" action=(format!("/admin/media/{}/delete", m.id)) {
                    (csrf_field(ctx))
                    div.form-actions {
                        button.button.button-danger type="submit" { "Delete" }
                        a.button.button-ghost href="/admin/media" { "Keep it" }
                    }
                }
            }
        },
    )
}

/// The answer to an htmx delete: nothing in the row's place, and a toast.
pub fn deleted_toast(message: &str) -> Markup {
    html! {
        div #toasts hx-swap-oob="beforeend" {
            div.toast.toast-success role="status" { (message) }
        }
    }
}
