//! Account screens: register, login, password reset and the profile page.

use maud::{Markup, html};

use crate::error::FieldErrors;
use crate::http::context::RequestContext;
use crate::identity::model::User;
use crate::views::components::{Field, csrf_field, error_summary, timestamp};
use crate::views::{PageMeta, page};

/// Values to put back into a form after an error (never passwords).
#[derive(Debug, Default, Clone)]
pub struct Sticky {
    /// Email as typed.
    pub email: Option<String>,
    /// Display name as typed.
    pub display_name: Option<String>,
    /// Where to go after logging in.
    pub next: Option<String>,
}

fn form_card(title: &str, intro: Markup, form: Markup, after: Markup) -> Markup {
    html! {
        div.container {
            div.form-card {
                h1 { (title) }
                (intro)
                (form)
                (after)
            }
        }
    }
}

/// `GET /login`.
pub fn login_page(ctx: &RequestContext, sticky: &Sticky, errors: &FieldErrors) -> Markup {
    let form = html! {
        (error_summary(errors))
        form.stack method="post" action="/login" novalidate {
            (csrf_field(ctx))
            @if let Some(next) = &sticky.next {
                input type="hidden" name="next" value=(next);
            }
            (Field::new("email", "Email", "email").value(sticky.email.as_deref()).autocomplete("email").render(errors))
            (Field::new("password", "Password", "password").autocomplete("current-password").render(errors))
            div.form-actions {
                button.button.button-primary type="submit" { "Log in" }
                a href="/password/forgot" { "Forgot your password?" }
            }
        }
    };
    let after = html! { p.muted { "New here? " a href="/register" { "Create an account" } "." } };
    page(
        ctx,
        PageMeta::titled("Log in"),
        form_card(
            "Log in",
            html! { p.muted { "Follow your orders, bookings and quotes." } },
            form,
            after,
        ),
    )
}

/// `GET /register`.
pub fn register_page(ctx: &RequestContext, sticky: &Sticky, errors: &FieldErrors) -> Markup {
    let form = html! {
        (error_summary(errors))
        form.stack method="post" action="/register" novalidate {
            (csrf_field(ctx))
            (Field::new("display_name", "Your name", "text").value(sticky.display_name.as_deref()).autocomplete("name").optional().render(errors))
            (Field::new("email", "Email", "email").value(sticky.email.as_deref()).autocomplete("email").render(errors))
            (Field::new("password", "Password", "password").autocomplete("new-password").hint("At least 10 characters, not a common password. A short sentence works well.").render(errors))
            (Field::new("password_confirm", "Repeat the password", "password").autocomplete("new-password").render(errors))
            div.form-actions {
                button.button.button-primary type="submit" { "Create account" }
            }
        }
    };
    let after = html! { p.muted { "Already have an account? " a href="/login" { "Log in" } "." } };
    page(
        ctx,
        PageMeta::titled("Create an account"),
        form_card(
            "Create an account",
            html! { p.muted { "Check out faster and keep your orders, bookings and quotes in one place." } },
            form,
            after,
        ),
    )
}

/// `GET /password/forgot`.
pub fn forgot_page(ctx: &RequestContext, sticky: &Sticky, errors: &FieldErrors) -> Markup {
    let form = html! {
        (error_summary(errors))
        form.stack method="post" action="/password/forgot" novalidate {
            (csrf_field(ctx))
            (Field::new("email", "Email", "email").value(sticky.email.as_deref()).autocomplete("email").render(errors))
            div.form-actions {
                button.button.button-primary type="submit" { "Email me a link" }
                a href="/login" { "Back to log in" }
            }
        }
    };
    page(
        ctx,
        PageMeta::titled("Reset your password"),
        form_card(
            "Reset your password",
            html! { p.muted { "We will email you a link to choose a new password." } },
            form,
            html! {},
        ),
    )
}

/// After `POST /password/forgot` (the same whether or not the account exists).
pub fn forgot_sent_page(ctx: &RequestContext, email: &str) -> Markup {
    page(
        ctx,
        PageMeta::titled("Check your email"),
        form_card(
            "Check your email",
            html! {
                div.alert.alert-success {
                    p { "If an account exists for " strong { (email) } ", a link to reset its password is on its way. It works once, for one hour." }
                }
                p.muted { "No email after a few minutes? Check your spam folder, or " a href="/password/forgot" { "ask again" } "." }
            },
            html! {},
            html! {},
        ),
    )
}

/// `GET /password/reset/{token}`.
pub fn reset_page(ctx: &RequestContext, token: &str, errors: &FieldErrors) -> Markup {
    let action = format!("/password/reset/{token}");
    let form = html! {
        (error_summary(errors))
        form.stack method="post" action=(action) novalidate {
            (csrf_field(ctx))
            (Field::new("password", "New password", "password").autocomplete("new-password").hint("At least 10 characters, not a common password. A short sentence works well.").render(errors))
            (Field::new("password_confirm", "Repeat the new password", "password").autocomplete("new-password").render(errors))
            div.form-actions {
                button.button.button-primary type="submit" { "Set new password" }
            }
        }
    };
    page(
        ctx,
        PageMeta::titled("Choose a new password"),
        form_card("Choose a new password", html! {}, form, html! {}),
    )
}

/// A reset link that is unknown, used or expired.
pub fn reset_invalid_page(ctx: &RequestContext) -> Markup {
    page(
        ctx,
        PageMeta::titled("Link expired"),
        form_card(
            "This link has expired",
            html! {
                p { "Password reset links work once and for one hour. Ask for a new one and use the newest email." }
            },
            html! { a.button.button-primary href="/password/forgot" { "Send a new link" } },
            html! {},
        ),
    )
}

/// Which profile form an error or value belongs to.
#[derive(Debug, Default)]
pub struct ProfileForms {
    /// Errors of the email form.
    pub email_errors: FieldErrors,
    /// New email as typed.
    pub new_email: Option<String>,
    /// Errors of the password form.
    pub password_errors: FieldErrors,
    /// The account's address is not confirmed yet (offer the link again).
    pub unconfirmed: bool,
}

/// `GET /account`.
pub fn account_page(ctx: &RequestContext, user: &User, forms: &ProfileForms) -> Markup {
    let body = html! {
        div.container {
            div.page-header {
                h1 { "Your account" }
                p.lead { "Signed in as " strong { (user.email) } " · member since " (timestamp(user.created_at)) }
                p.form-actions {
                    a.button.button-secondary href="/account/orders" { "Your orders" }
                    a.button.button-secondary href="/account/bookings" { "Your bookings" }
                    a.button.button-secondary href="/account/quotes" { "Your quotes" }
                    a.button.button-secondary href="/account/projects" { "Your projects" }
                }
            }
            @if forms.unconfirmed {
                div.alert.alert-info {
                    p { strong { "Confirm your email address." } " We sent a link to " (user.email) " when you signed up: once you use it, orders you placed as a guest with this address appear in your account." }
                    form.inline-form method="post" action="/account/confirm-email" {
                        (csrf_field(ctx))
                        button.button.button-small.button-secondary type="submit" { "Send the link again" }
                    }
                }
            }
            div.grid-2 {
                section.panel {
                    h2 { "Change email" }
                    (error_summary(&forms.email_errors))
                    form.stack method="post" action="/account/email" novalidate {
                        (csrf_field(ctx))
                        (Field::new("email", "New email", "email").value(forms.new_email.as_deref()).autocomplete("email").render(&forms.email_errors))
                        (Field::new("current_password", "Current password", "password").autocomplete("current-password").render(&forms.email_errors))
                        div.form-actions { button.button.button-primary type="submit" { "Change email" } }
                    }
                }
                section.panel {
                    h2 { "Change password" }
                    (error_summary(&forms.password_errors))
                    form.stack method="post" action="/account/password" novalidate {
                        (csrf_field(ctx))
                        (Field::new("current_password", "Current password", "password").autocomplete("current-password").render(&forms.password_errors))
                        (Field::new("password", "New password", "password").autocomplete("new-password").hint("At least 10 characters, not a common password. Other devices will be signed out.").render(&forms.password_errors))
                        (Field::new("password_confirm", "Repeat the new password", "password").autocomplete("new-password").render(&forms.password_errors))
                        div.form-actions { button.button.button-primary type="submit" { "Change password" } }
                    }
                }
            }
        }
    };
    page(ctx, PageMeta::titled("Your account"), body)
}

/// `GET /confirm-email/{user}/{sig}`: the button that confirms (a POST, so mail scanners that
/// open links confirm nothing).
pub fn confirm_email_page(ctx: &RequestContext, email: &str, action: &str) -> Markup {
    let body = html! {
        section.section.section-tight {
            div.container.narrow {
                div.panel {
                    h1 { "Confirm your email address" }
                    p { "Confirm that " strong { (email) } " is your address. Orders placed as a guest with it then appear in your account." }
                    form method="post" action=(action) {
                        (csrf_field(ctx))
                        button.button.button-primary type="submit" { "Confirm my email address" }
                    }
                }
            }
        }
    };
    page(ctx, PageMeta::titled("Confirm your email address"), body)
}
