//! Email templates: each returns a subject, an HTML body and a plain-text body.
//!
//! HTML emails use inline styles and tables only where mail clients need them; everything
//! user-supplied is escaped by Maud.

use maud::{DOCTYPE, Markup, html};

/// A rendered email.
#[derive(Debug, Clone)]
pub struct EmailContent {
    /// Template name, stored in `emails.kind`.
    pub kind: &'static str,
    /// Subject line.
    pub subject: String,
    /// HTML part.
    pub html: String,
    /// Plain-text part.
    pub text: String,
}

pub(crate) fn layout(preheader: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; meta name="viewport" content="width=device-width"; }
            body style="margin:0;background:#f4f1ec;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1d1b19;" {
                span style="display:none;max-height:0;overflow:hidden" { (preheader) }
                div style="max-width:560px;margin:0 auto;padding:32px 20px" {
                    p style="font-weight:700;letter-spacing:.08em;text-transform:uppercase;font-size:13px;color:#b4532a;margin:0 0 24px" {
                        "▶ FlashStudio"
                    }
                    div style="background:#ffffff;border-radius:12px;padding:32px;line-height:1.6;font-size:16px" {
                        (body)
                    }
                    p style="font-size:12px;color:#7a746c;margin-top:24px" {
                        "FlashStudio · Video production · Singapore"
                    }
                }
            }
        }
    }
    .into_string()
}

pub(crate) fn button(href: &str, label: &str) -> Markup {
    html! {
        p style="margin:28px 0" {
            a href=(href) style="background:#b4532a;color:#ffffff;text-decoration:none;padding:12px 22px;border-radius:8px;font-weight:600;display:inline-block" { (label) }
        }
    }
}

/// "Reset your password", with a single-use link valid for `valid_minutes`.
pub fn password_reset(reset_url: &str, valid_minutes: i64) -> EmailContent {
    let html = layout(
        "Reset your FlashStudio password",
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "Reset your password" }
            p { "Someone (hopefully you) asked to reset the password of your FlashStudio account." }
            (button(reset_url, "Choose a new password"))
            p { "The link works once and expires in " (valid_minutes) " minutes." }
            p style="color:#7a746c;font-size:14px" {
                "If you did not ask for this, ignore this email: your password stays the same."
            }
        },
    );
    let text = format!(
        "Reset your password\n\n\
         Someone (hopefully you) asked to reset the password of your FlashStudio account.\n\n\
         Choose a new password: {reset_url}\n\n\
         The link works once and expires in {valid_minutes} minutes.\n\
         If you did not ask for this, ignore this email: your password stays the same.\n"
    );
    EmailContent {
        kind: "password_reset",
        subject: "Reset your FlashStudio password".into(),
        html,
        text,
    }
}

/// Welcome after registration. It carries nothing the registrant typed: anyone can register
/// any address, and the studio's mail must not relay their words to it.
pub fn welcome(account_url: &str) -> EmailContent {
    let html = layout(
        "Welcome to FlashStudio",
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "Welcome to FlashStudio" }
            p { "Your FlashStudio account is ready. From your account you can follow your orders, bookings and quotes." }
            (button(account_url, "Open your account"))
            p style="color:#7a746c;font-size:14px" { "If you did not create this account, reply to this email and we will close it." }
        },
    );
    let text = format!(
        "Welcome to FlashStudio\n\n\
         Your FlashStudio account is ready. From your account you can follow your orders, \
         bookings and quotes.\n\nOpen your account: {account_url}\n\n\
         If you did not create this account, reply to this email and we will close it.\n"
    );
    EmailContent {
        kind: "welcome",
        subject: "Welcome to FlashStudio".into(),
        html,
        text,
    }
}

/// The link that confirms an account's address (sent at registration, after an email change,
/// and on request from the account page).
pub fn confirm_email(confirm_url: &str) -> EmailContent {
    let html = layout(
        "Confirm your email address",
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "Confirm your email address" }
            p { "Confirm that this address belongs to your FlashStudio account: orders you placed as a guest with it then appear in your account." }
            (button(confirm_url, "Confirm my email address"))
            p style="color:#7a746c;font-size:14px" { "If you did not ask for this, ignore this email." }
        },
    );
    let text = format!(
        "Confirm your email address\n\n\
         Confirm that this address belongs to your FlashStudio account: orders you placed as a \
         guest with it then appear in your account.\n\nConfirm: {confirm_url}\n\n\
         If you did not ask for this, ignore this email.\n"
    );
    EmailContent {
        kind: "confirm_email",
        subject: "Confirm your email address".into(),
        html,
        text,
    }
}

/// Sent to the *old* address after an email change, so a hijack does not go unnoticed. The
/// old address can no longer reset the password, so the way back is a reply to the studio.
pub fn email_changed(new_email: &str) -> EmailContent {
    let html = layout(
        "The email of your FlashStudio account changed",
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "Your account email changed" }
            p { "The email address of your FlashStudio account is now " strong { (new_email) } "." }
            p { "If you made this change, there is nothing to do." }
            p { strong { "If you did not, reply to this email straight away." }
                " We will lock the account and help you get it back." }
        },
    );
    let text = format!(
        "Your account email changed\n\n\
         The email address of your FlashStudio account is now {new_email}.\n\n\
         If you made this change, there is nothing to do.\n\
         If you did not, reply to this email straight away. We will lock the account and help \
         you get it back.\n"
    );
    EmailContent {
        kind: "email_changed",
        subject: "The email of your FlashStudio account changed".into(),
        html,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped_in_html_but_kept_in_text() {
        let email = email_changed("<b>jane</b>@example.com");
        assert!(email.html.contains("&lt;b&gt;jane&lt;/b&gt;@example.com"));
        assert!(email.text.contains("now <b>jane</b>@example.com."));
    }

    #[test]
    fn reset_email_carries_the_link_in_both_parts() {
        let email = password_reset("https://studio.example.com/password/reset/abc", 60);
        assert!(
            email
                .html
                .contains("https://studio.example.com/password/reset/abc")
        );
        assert!(
            email
                .text
                .contains("https://studio.example.com/password/reset/abc")
        );
        assert!(email.text.contains("60 minutes"));
    }
}

/// A contact message as staff receive it.
#[derive(Debug, Clone)]
pub struct ContactNotice<'a> {
    /// Human label of the message type ("Quote request").
    pub kind_label: &'a str,
    /// Sender.
    pub name: &'a str,
    /// Sender's email.
    pub email: &'a str,
    /// Phone, may be empty.
    pub phone: &'a str,
    /// Company, may be empty.
    pub company: &'a str,
    /// Subject (package), may be empty.
    pub subject: &'a str,
    /// The message.
    pub message: &'a str,
    /// Link to the admin inbox.
    pub inbox_url: &'a str,
}

/// "New contact message" to staff. The sender's words are escaped; reply to the sender.
pub fn contact_message(n: &ContactNotice<'_>) -> EmailContent {
    let subject = format!(
        "{}: {}",
        n.kind_label,
        n.name.chars().take(60).collect::<String>()
    );
    let html = layout(
        &subject,
        html! {
            h1 style="font-size:20px;margin:0 0 16px" { (n.kind_label) " from " (n.name) }
            table style="border-collapse:collapse;font-size:15px" {
                tr { td style="padding:2px 12px 2px 0;color:#7a746c" { "Email" } td { (n.email) } }
                @if !n.phone.is_empty() { tr { td style="padding:2px 12px 2px 0;color:#7a746c" { "Phone" } td { (n.phone) } } }
                @if !n.company.is_empty() { tr { td style="padding:2px 12px 2px 0;color:#7a746c" { "Company" } td { (n.company) } } }
                @if !n.subject.is_empty() { tr { td style="padding:2px 12px 2px 0;color:#7a746c" { "About" } td { (n.subject) } } }
            }
            @for para in n.message.split("\n\n") { p style="white-space:pre-wrap" { (para) } }
            (button(n.inbox_url, "Open the inbox"))
        },
    );
    let text = format!(
        "{} from {}\n\nEmail: {}\nPhone: {}\nCompany: {}\nAbout: {}\n\n{}\n\nInbox: {}\n",
        n.kind_label, n.name, n.email, n.phone, n.company, n.subject, n.message, n.inbox_url
    );
    EmailContent {
        kind: "contact_message",
        subject,
        html,
        text,
    }
}

/// "We got your message" to whoever sent a contact message. Like [`welcome`], it carries
/// nothing the sender typed (not their name, not a copy of the message): the contact form
/// takes any address, and the studio's mail must not relay a stranger's words to it.
pub fn contact_acknowledgement(kind_label: &str, received_at: &str) -> EmailContent {
    let html = layout(
        "We received your message",
        html! {
            h1 style="font-size:22px;margin:0 0 16px" { "We received your message" }
            p { "Thank you for writing to FlashStudio. Your message (" (kind_label) ", " (received_at) ") is with the studio team." }
            p { strong { "We answer within one working day." } " To add something, reply to this email." }
            p style="color:#7a746c;font-size:14px" { "If you did not write to us, ignore this email: nothing else will be sent." }
        },
    );
    let text = format!(
        "We received your message\n\n\
         Thank you for writing to FlashStudio. Your message ({kind_label}, {received_at}) is \
         with the studio team.\n\n\
         We answer within one working day. To add something, reply to this email.\n\n\
         If you did not write to us, ignore this email: nothing else will be sent.\n"
    );
    EmailContent {
        kind: "contact_received",
        subject: "We received your message".into(),
        html,
        text,
    }
}

/// A staff reply to a contact message: the subject and text staff wrote, escaped in HTML.
pub fn contact_reply(subject: &str, body: &str, received_at: &str) -> EmailContent {
    let html = layout(
        subject,
        html! {
            @for para in body.split("\n\n") { p style="white-space:pre-wrap;margin:0 0 16px" { (para) } }
            p style="color:#7a746c;font-size:14px" { "In reply to your message of " (received_at) ". Reply to this email to answer." }
        },
    );
    let text = format!(
        "{body}\n\n--\nIn reply to your message of {received_at}. Reply to this email to answer.\n"
    );
    EmailContent {
        kind: "contact_reply",
        subject: subject.to_owned(),
        html,
        text,
    }
}
