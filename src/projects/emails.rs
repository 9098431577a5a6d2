//! The projects domain's emails: to staff, the client's answer to a version; to the client,
//! the studio's replies to their comments (the studio's words only, each beside the time of
//! the comment it answers; the comments themselves stay in the room).

use maud::html;

use super::model::format_time;
use super::model::{Decision, Project};
use super::store::{Answer, Placed};
use crate::notifications::templates::{EmailContent, button, layout};

/// To staff: the client approved a version, or asked for changes (with what they wrote).
pub fn staff_decision(
    project: &Project,
    placed: &Placed,
    decision: Decision,
    message: &str,
    admin_url: &str,
) -> EmailContent {
    let v = placed.version.number;
    let what = match decision {
        Decision::Approved => format!("approved v{v} of {}", placed.title),
        Decision::ChangesRequested => format!("asked for changes to v{v} of {}", placed.title),
    };
    let client = if project.name.is_empty() {
        project.email.as_str()
    } else {
        project.name.as_str()
    };
    let html = layout(
        &format!("{client} {what}"),
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { (project.title) }
            p { strong { (client) } " " (what) "." }
            @if !message.is_empty() { p style="white-space:pre-wrap" { (message) } }
            (button(admin_url, "Open the project"))
        },
    );
    let text = format!(
        "{title}\n\n{client} {what}.\n\n{message}\n\nOpen the project: {admin_url}\n",
        title = project.title,
    );
    EmailContent {
        kind: match decision {
            Decision::Approved => "project_approved_staff",
            Decision::ChangesRequested => "project_changes_staff",
        },
        subject: format!("{client} {what}"),
        html,
        text,
    }
}

/// Most replies one email lists (the room has them all).
const REPLIES_LISTED: usize = 10;

/// To the client: the studio answered their comments.
pub fn client_replies(project: &Project, answers: &[Answer], link: &str) -> EmailContent {
    let at = |a: &Answer| {
        a.at_ms
            .map_or_else(|| "On the whole version".to_owned(), format_time)
    };
    let shown = &answers[..answers.len().min(REPLIES_LISTED)];
    let html = layout(
        "The studio answered your comments",
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { (project.title) }
            p { "The studio answered " (answers.len()) @if answers.len() == 1 { " comment" } @else { " comments" } " in your screening room." }
            @for a in shown {
                p { strong { (at(a)) } br; span style="white-space:pre-wrap" { (a.reply) } }
            }
            (button(link, "Open your screening room"))
        },
    );
    let mut text = format!(
        "{}\n\nThe studio answered {} of your comments in your screening room.\n\n",
        project.title,
        answers.len()
    );
    for a in shown {
        text.push_str(&format!("{}\n{}\n\n", at(a), a.reply));
    }
    text.push_str(&format!("Open your screening room: {link}\n"));
    EmailContent {
        kind: "project_replies",
        subject: format!("The studio answered your comments: {}", project.title),
        html,
        text,
    }
}
