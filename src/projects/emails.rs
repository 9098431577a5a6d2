//! The projects domain's emails: to staff, the client's answer to a version.

use maud::html;

use super::model::{Decision, Project};
use super::store::Placed;
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
