//! The project page: who it is for, where it stands, its deliverables and their versions, and
//! the forms that change them.

use std::collections::HashMap;

use maud::{Markup, html};

use super::model::{Comment, Deliverable, Kind, Project, Version, format_time};
use super::store::DownloadRow;
use crate::error::FieldErrors;
use crate::http::assets;
use crate::http::context::RequestContext;
use crate::media::resumable::Upload;
use crate::media::upload::human_size;
use crate::views::admin::admin_page;
use crate::views::components::{
    Field, csrf_field, error_summary, field_class, query_value, timestamp,
};

/// A form sent back with what was typed and what is wrong with it.
pub enum Typed<'a> {
    /// The new deliverable form.
    Deliverable {
        /// As typed.
        title: &'a str,
        /// As chosen.
        kind: &'a str,
        /// What to fix.
        errors: &'a FieldErrors,
    },
    /// A deliverable's new version form.
    Version {
        /// Whose form it is.
        deliverable_id: &'a str,
        /// The file chosen.
        media: &'a str,
        /// As typed.
        note: &'a str,
        /// What to fix.
        errors: &'a FieldErrors,
    },
    /// The download settings.
    Downloads {
        /// As typed.
        days: &'a str,
        /// As typed.
        cap: &'a str,
        /// What to fix.
        errors: &'a FieldErrors,
    },
    /// A reply to a client comment.
    Reply {
        /// The comment answered.
        comment_id: &'a str,
        /// As typed.
        body: &'a str,
        /// What to fix.
        errors: &'a FieldErrors,
    },
}

/// Everything the page shows.
pub struct Page<'a> {
    /// The project.
    pub project: &'a Project,
    /// Its bookings' ids.
    pub bookings: &'a [String],
    /// Its deliverables, with their versions.
    pub deliverables: &'a [Deliverable],
    /// The versions' files: media id → the file's name (absent: no longer in the library).
    pub files: &'a HashMap<String, String>,
    /// Files of the library a new version can be: (id, name).
    pub choices: &'a [(String, String)],
    /// The client's link to the screening room (absolute).
    pub client_link: &'a str,
    /// The comments on its versions, in order.
    pub comments: &'a [Comment],
    /// Its newest downloads.
    pub downloads: &'a [DownloadRow],
    /// Resumable uploads for it that have not finished.
    pub uploads: &'a [Upload],
    /// How long an unfinished upload waits for its next byte, in hours.
    pub upload_expiry_hours: u64,
    /// A form sent back with errors.
    pub typed: Option<Typed<'a>>,
}

/// `GET /admin/project/{id}`.
pub fn page(ctx: &RequestContext, p: &Page<'_>) -> Markup {
    let project = p.project;
    let state = project.state();
    let content = html! {
        p { a href="/admin/projects" { "← Projects" } }
        h1 { (project.title) }
        dl.facts {
            dt { "Client" }
            dd {
                @if !project.name.is_empty() { (project.name) " · " }
                a href={"/admin/customers?q=" (query_value(&project.email))} { (project.email) }
                @if project.user_id.is_none() { span.muted.small { " (no account yet)" } }
            }
            dt { "State" } dd { strong { (state.label()) } }
            @if let Some(q) = &project.quote_id {
                dt { "Quote" } dd { a href={"/admin/quote/" (q)} { "The quote it came from" } }
            }
            @if !p.bookings.is_empty() {
                dt { "Shoots" }
                dd {
                    @for (i, b) in p.bookings.iter().enumerate() {
                        @if i > 0 { " · " }
                        a href={"/admin/booking/" (b)} { "Booking " (i + 1) }
                    }
                }
            }
            dt { "Started" } dd { (timestamp(project.created_at)) }
            dt { "Last change" } dd { (timestamp(project.updated_at)) }
        }
        section aria-labelledby="client-link" {
            h2 #client-link { "The client's screening room" }
            p { "Send the client this link: it shows the newest version of each deliverable, films playing in the browser. Anyone with it can watch." }
            p { a.mono href=(p.client_link) { (p.client_link) } }
            form method="post" action={"/admin/project/" (project.id) "/new-link"} {
                (csrf_field(ctx))
                p.muted.small { "A new link ends this one: use it if the link went to the wrong person." }
                button.button.button-ghost type="submit" { "Make a new link" }
            }
        }
        section aria-labelledby="project-state" {
            h2 #project-state { "Where it stands" }
            div.actions {
                @for (to, label) in state.moves() {
                    form method="post" action={"/admin/project/" (project.id) "/state"} {
                        (csrf_field(ctx))
                        input type="hidden" name="to" value=(to.as_str());
                        input type="hidden" name="version" value=(project.version);
                        button.button.button-secondary type="submit" { (label) }
                    }
                }
            }
        }
        (downloads(ctx, p))
        section aria-labelledby="deliverables" {
            h2 #deliverables { "Deliverables" }
            @if p.deliverables.is_empty() {
                p { "None yet: add the first below, then its versions as they are cut." }
            }
            (uploads(p))
            @for d in p.deliverables { (deliverable(ctx, p, d)) }
            (new_deliverable(ctx, p))
        }
        script src=(assets::url("tus.min.js")) defer {}
        script src=(assets::url("upload.js")) defer {}
    };
    admin_page(
        ctx,
        &format!("Project {}", project.title),
        "/admin/projects",
        content,
    )
}

fn deliverable(ctx: &RequestContext, p: &Page<'_>, d: &Deliverable) -> Markup {
    let kind = Kind::parse(&d.kind).map_or("", Kind::label);
    let (media, note, errors) = match &p.typed {
        Some(Typed::Version {
            deliverable_id,
            media,
            note,
            errors,
        }) if *deliverable_id == d.id => (*media, *note, Some(*errors)),
        _ => ("", "", None),
    };
    let no_errors = FieldErrors::new();
    let errors = errors.unwrap_or(&no_errors);
    let field = |name: &str| format!("{name}-{}", d.id);
    html! {
        article.deliverable id={"deliverable-" (d.id)} {
            h3 { (d.title) " " span.muted.small { (kind) } }
            @if d.versions.is_empty() {
                p.muted { "No version yet." }
            } @else {
                ul.versions {
                    @for v in &d.versions {
                        li {
                            strong { "v" (v.number) } " · "
                            @match p.files.get(&v.media_id) {
                                Some(name) => { a href={"/admin/media/" (v.media_id)} { (name) } }
                                None => { span.muted { "file removed from the library" } }
                            }
                            " · " (timestamp(v.created_at))
                            @if let Some(decision) = v.decision() {
                                " · " span.badge.badge-muted { (decision.label()) " by the client" }
                            }
                            @if !v.note.is_empty() { p.small { (v.note) } }
                            @if !v.decision_message.is_empty() { p.small { "The client: “" (v.decision_message) "”" } }
                        }
                    }
                }
                @for v in &d.versions { (comments(ctx, p, v)) }
            }
            details open[!errors.is_empty()] {
                summary { "Add version " (d.versions.first().map_or(1, |v| v.number + 1)) }
                form method="post" action={"/admin/deliverable/" (d.id) "/versions"} {
                    (csrf_field(ctx))
                    (error_summary(errors))
                    (resumable_box(p, &field("file")))
                    div class=(field_class(errors, "media")) {
                        label for=(field("media")) { "File (from the media library)" }
                        select id=(field("media")) name="media" required {
                            option value="" { "Choose a file" }
                            @for (id, name) in p.choices {
                                option value=(id) selected[id == media] { (name) }
                            }
                        }
                        @if let Some(e) = errors.get("media") { p.field-error { (e) } }
                    }
                    div class=(field_class(errors, "note")) {
                        label for=(field("note")) { "What changed " span.optional { "(optional)" } }
                        textarea id=(field("note")) name="note" rows="2" maxlength="2000" { (note) }
                        @if let Some(e) = errors.get("note") { p.field-error { (e) } }
                    }
                    button.button.button-secondary type="submit" { "Add the version" }
                }
            }
        }
    }
}

/// The resumable uploader of a version form: hidden until `upload.js` shows it (without
/// JavaScript the library list does the job).
fn resumable_box(p: &Page<'_>, input_id: &str) -> Markup {
    html! {
        div.resumable data-resumable data-tag={"project:" (p.project.id)} hidden {
            label for=(input_id) { "Upload a new file" }
            p.muted.small {
                "Any size: it goes in pieces, can be paused, and survives a dropped connection. "
                "After a reload, choose the same file again and it goes on where it stopped. "
                "When it is in, it becomes this version."
            }
            input type="file" id=(input_id);
            div.actions {
                button.button.button-secondary type="button" data-start disabled { "Upload" }
                button.button.button-ghost type="button" data-pause hidden { "Pause" }
            }
            progress.upload-progress max="100" value="0" aria-label="Upload progress" {}
            p.small data-status aria-live="polite" {}
        }
    }
}

/// Unfinished uploads for the project: how far each got, and how to go on.
fn uploads(p: &Page<'_>) -> Markup {
    if p.uploads.is_empty() {
        return html! {};
    }
    html! {
        section.uploads-in-progress aria-labelledby="uploads-in-progress" {
            h3 #uploads-in-progress { "Uploads in progress" }
            p.muted.small {
                "To go on with one, choose the same file again under its deliverable: it resumes where it stopped. "
                "An upload that receives nothing for " (p.upload_expiry_hours) " hours is removed."
            }
            div.table-wrap role="region" aria-label="Uploads in progress" tabindex="0" {
                table.data-table {
                    thead { tr { th { "File" } th { "Received" } th { "Started by" } th { "Last byte" } th { "Removed after" } } }
                    tbody {
                        @for u in p.uploads {
                            tr {
                                td { (u.original_name) }
                                td {
                                    (percent(u.received, u.length)) "% · "
                                    (human_size(u.received)) " of " (human_size(u.length))
                                }
                                td { (u.uploaded_by) }
                                td { (timestamp(u.updated_at)) }
                                td { (timestamp(u.expires_at)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn percent(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        0
    } else {
        u64::try_from(u128::from(part) * 100 / u128::from(whole)).unwrap_or(100)
    }
}

/// Downloads: until when, the settings, *Extend*, and who downloaded what.
fn downloads(ctx: &RequestContext, p: &Page<'_>) -> Markup {
    let project = p.project;
    let (days, cap, errors) = match &p.typed {
        Some(Typed::Downloads { days, cap, errors }) => {
            ((*days).to_owned(), (*cap).to_owned(), Some(*errors))
        }
        _ => (
            project.download_days.to_string(),
            project.download_cap.to_string(),
            None,
        ),
    };
    let no_errors = FieldErrors::new();
    let errors = errors.unwrap_or(&no_errors);
    let name = |version_id: &str| {
        p.deliverables.iter().find_map(|d| {
            d.versions
                .iter()
                .find(|v| v.id == version_id)
                .map(|v| format!("{} v{}", d.title, v.number))
        })
    };
    html! {
        section aria-labelledby="downloads" {
            h2 #downloads { "Downloads" }
            p {
                @match project.downloads_until {
                    Some(until) => { "The client can download the newest versions until " strong { (timestamp(until)) } ", each file " (project.download_cap) " times." }
                    None => { "Downloads open when the project is delivered, for " (project.download_days) " days, each file " (project.download_cap) " times." }
                }
            }
            @if project.downloads_until.is_some() {
                form method="post" action={"/admin/project/" (project.id) "/extend"} {
                    (csrf_field(ctx))
                    button.button.button-secondary type="submit" { "Extend by " (project.download_days) " days" }
                }
            }
            details open[!errors.is_empty()] {
                summary { "Download settings" }
                form.stack method="post" action={"/admin/project/" (project.id) "/downloads"} {
                    (csrf_field(ctx))
                    (error_summary(errors))
                    div class=(field_class(errors, "days")) {
                        label for="download-days" { "Days open after delivery" }
                        input #download-days name="days" type="number" min="1" max="365" required value=(days);
                        @if let Some(e) = errors.get("days") { p.field-error { (e) } }
                    }
                    div class=(field_class(errors, "cap")) {
                        label for="download-cap" { "Downloads of each file" }
                        input #download-cap name="cap" type="number" min="1" max="1000" required value=(cap);
                        @if let Some(e) = errors.get("cap") { p.field-error { (e) } }
                    }
                    @if project.quote_id.is_some() {
                        label.choice {
                            input type="checkbox" name="balance_first" value="1" checked[project.balance_first != 0];
                            " Downloads wait until the quote's balance is paid"
                        }
                    }
                    button.button.button-secondary type="submit" { "Save the settings" }
                }
            }
            @if p.downloads.is_empty() {
                p.muted.small { "No downloads yet." }
            } @else {
                div.table-wrap role="region" aria-label="Downloads" tabindex="0" {
                    table.data-table {
                        thead { tr { th { "When" } th { "File" } th { "Who" } th { "From byte" } th { "Bytes sent" } th { "Completed" } } }
                        tbody {
                            @for d in p.downloads {
                                tr {
                                    td { (timestamp(d.started_at)) }
                                    td { (name(&d.version_id).unwrap_or_else(|| "a removed version".to_owned())) }
                                    td { @if d.email.is_empty() { (d.client_ip) } @else { (d.email) } }
                                    td { (d.range_start) }
                                    td { (d.bytes) }
                                    td { @if d.completed == 1 { "yes" } @else { "no" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The comments on version `v`, each waiting one with its reply form and *Resolve*.
fn comments(ctx: &RequestContext, p: &Page<'_>, v: &Version) -> Markup {
    let mine: Vec<&Comment> = p.comments.iter().filter(|c| c.version_id == v.id).collect();
    if mine.is_empty() {
        return html! {};
    }
    html! {
        section.comments-panel id={"comments-" (v.id)} aria-label={"Comments on v" (v.number)} {
            h4 { "Comments on v" (v.number) }
            (thread(&mine, None, true, |c| answer_forms(ctx, p, c)))
        }
    }
}

/// Under a client comment not resolved yet: a reply, and *Resolve*.
fn answer_forms(ctx: &RequestContext, p: &Page<'_>, c: &Comment) -> Markup {
    if c.is_staff() || c.resolved_at.is_some() {
        return html! {};
    }
    let (body, errors) = match &p.typed {
        Some(Typed::Reply {
            comment_id,
            body,
            errors,
        }) if *comment_id == c.id => (*body, Some(*errors)),
        _ => ("", None),
    };
    let no_errors = FieldErrors::new();
    let errors = errors.unwrap_or(&no_errors);
    let id = format!("reply-{}", c.id);
    html! {
        div.actions {
            details open[!errors.is_empty()] {
                summary { "Reply" }
                form.stack method="post" action={"/admin/comment/" (c.id) "/reply"} {
                    (csrf_field(ctx))
                    (error_summary(errors))
                    div class=(field_class(errors, "body")) {
                        label for=(id) { "Your reply (the client sees it in the room)" }
                        textarea id=(id) name="body" rows="2" maxlength="2000" required { (body) }
                        @if let Some(e) = errors.get("body") { p.field-error { (e) } }
                    }
                    button.button.button-secondary type="submit" { "Send the reply" }
                }
            }
            form method="post" action={"/admin/comment/" (c.id) "/resolve"} {
                (csrf_field(ctx))
                button.button.button-ghost type="submit" { "Resolve" }
            }
        }
    }
}

/// A version's comments in order, each client comment followed by the replies that answer it.
/// `staff_view` names the staff member who replied (the client reads "The studio");
/// `player` is the film's player, whose time a comment's time code sets (with JS); `actions`
/// adds what the viewer can do under a comment.
pub fn thread(
    comments: &[&Comment],
    player: Option<&str>,
    staff_view: bool,
    actions: impl Fn(&Comment) -> Markup,
) -> Markup {
    let replies = |c: &Comment| {
        comments
            .iter()
            .filter(|r| r.reply_to.as_deref() == Some(c.id.as_str()))
            .copied()
            .collect::<Vec<&Comment>>()
    };
    html! {
        ol.comments {
            @for c in comments.iter().filter(|c| c.reply_to.is_none()) {
                li.comment id={"comment-" (c.id)} {
                    p.comment-meta {
                        @match (c.at_ms, player) {
                            (Some(ms), Some(player)) => {
                                a.timecode href={"#" (player)} data-seek=(ms / 1000) { (format_time(ms)) }
                            }
                            (Some(ms), None) => { span.timecode { (format_time(ms)) } }
                            (None, _) => { span.timecode { "Whole version" } }
                        }
                        " " strong { (c.author) } " · " (timestamp(c.created_at))
                        @if c.resolved_at.is_some() { " · " span.badge.badge-muted { "Resolved" } }
                        @else if staff_view && c.answered_at.is_none() { " · " span.badge { "To answer" } }
                    }
                    p.comment-body { (c.body) }
                    @for r in replies(c) {
                        div.reply {
                            p.comment-meta {
                                strong { @if staff_view { (r.author) } @else { "The studio" } }
                                " · " (timestamp(r.created_at))
                            }
                            p.comment-body { (r.body) }
                        }
                    }
                    (actions(c))
                }
            }
        }
    }
}

fn new_deliverable(ctx: &RequestContext, p: &Page<'_>) -> Markup {
    let (title, kind, errors) = match &p.typed {
        Some(Typed::Deliverable {
            title,
            kind,
            errors,
        }) => (*title, *kind, Some(*errors)),
        _ => ("", "", None),
    };
    let no_errors = FieldErrors::new();
    let errors = errors.unwrap_or(&no_errors);
    html! {
        form.panel.stack #new-deliverable method="post" action={"/admin/project/" (p.project.id) "/deliverables"} {
            h3 { "New deliverable" }
            (csrf_field(ctx))
            (error_summary(errors))
            (Field::new("title", "Title", "text").value(Some(title)).render(errors))
            div class=(field_class(errors, "kind")) {
                label for="kind" { "What it is" }
                select #kind name="kind" required {
                    @for k in Kind::ALL {
                        option value=(k.as_str()) selected[k.as_str() == kind] { (k.label()) }
                    }
                }
                @if let Some(e) = errors.get("kind") { p.field-error { (e) } }
            }
            button.button.button-primary type="submit" { "Add the deliverable" }
        }
    }
}

/// The panel on a quote's or a booking's page that starts its project (`action`), or opens
/// it when it was started already.
pub fn start_panel(ctx: &RequestContext, action: &str) -> Markup {
    html! {
        form.panel.stack method="post" action=(action) {
            h2 { "Project" }
            (csrf_field(ctx))
            p { "Deliver the films of this shoot through a project: its deliverables, their versions and, later, the client's screening room." }
            button.button.button-secondary type="submit" { "Start or open the project" }
        }
    }
}
