//! The customer page: who they are, what they paid, what staff can do to their account, and
//! their timeline.

use maud::{Markup, html};

use super::store::Customer;
use super::timeline::{PER_KIND, Timeline};
use crate::http::context::RequestContext;
use crate::identity::model::User;
use crate::money::Money;
use crate::views::admin::admin_page;
use crate::views::components::{csrf_field, query_value, timestamp};

/// The account behind a customer, as the page shows it.
pub struct Account {
    /// The account.
    pub user: User,
    /// When staff disabled it.
    pub disabled_at: Option<i64>,
}

/// Everything the page shows.
pub struct Page<'a> {
    /// The list's row.
    pub customer: &'a Customer,
    /// The account, if any.
    pub account: Option<&'a Account>,
    /// Paid, per currency.
    pub spend: &'a [Money],
    /// What they did.
    pub timeline: &'a Timeline,
    /// The staff member looking (who cannot disable themselves).
    pub viewer: &'a User,
}

/// `GET /admin/customer/{id}`.
pub fn page(ctx: &RequestContext, p: &Page<'_>) -> Markup {
    let c = p.customer;
    let heading = if c.name.is_empty() { &c.email } else { &c.name };
    let content = html! {
        p { a href="/admin/customers" { "← Customers" } }
        h1 { (heading) }
        dl.facts {
            dt { "Email" } dd { a href={"mailto:" (c.email)} { (c.email) } }
            dt { "Account" } dd { (account_text(p.account)) }
            dt { "First seen" } dd { (timestamp(c.first_seen_at)) }
            dt { "Last activity" } dd { (timestamp(c.last_activity_at)) }
            dt { "Orders paid" } dd { (c.orders) }
            dt { "Bookings" } dd { (c.bookings) }
            dt { "Quote requests" } dd { (c.quotes) }
            dt { "Messages" } dd { (c.messages) }
            dt { "Spent" }
            dd {
                @if p.spend.is_empty() { "Nothing yet" }
                @for (i, m) in p.spend.iter().enumerate() {
                    @if i > 0 { " · " }
                    (m)
                }
                " "
                span.muted.small { "(captured minus refunded, each currency apart)" }
            }
        }
        p.small {
            a href={"/admin/orders?q=" (query_value(&c.email))} { "Their orders" } " · "
            a href={"/admin/bookings?q=" (query_value(&c.email))} { "Their bookings" } " · "
            a href={"/admin/quotes?q=" (query_value(&c.email))} { "Their quotes" }
            @if let Some(a) = p.account {
                " · " a href={"/admin/audit?entity=user&id=" (a.user.id)} { "Staff changes to this account" }
            }
        }
        @if let Some(a) = p.account { (account_actions(ctx, a, p.viewer)) }
        (timeline(p.timeline))
    };
    admin_page(
        ctx,
        &format!("Customer {}", c.email),
        "/admin/customers",
        content,
    )
}

fn account_text(account: Option<&Account>) -> String {
    match account {
        None => "None: a guest".to_owned(),
        Some(a) => {
            let role = if a.user.is_admin() {
                "Staff account"
            } else {
                "Customer account"
            };
            match a.disabled_at {
                Some(at) => format!("{role}, disabled {}", timestamp(at)),
                None => format!("{role}, created {}", timestamp(a.user.created_at)),
            }
        }
    }
}

fn account_actions(ctx: &RequestContext, a: &Account, viewer: &User) -> Markup {
    let base = format!("/admin/customer-account/{}", a.user.id);
    html! {
        section aria-labelledby="account-actions" {
            h2 #account-actions { "Account" }
            @if a.disabled_at.is_some() {
                p { "This account cannot sign in or ask for a password reset." }
                form method="post" action={(base) "/enable"} {
                    (csrf_field(ctx))
                    button.button.button-secondary type="submit" { "Enable the account" }
                }
            } @else {
                div.actions {
                    form method="post" action={(base) "/password-reset"} {
                        (csrf_field(ctx))
                        button.button.button-secondary type="submit" { "Email a password-reset link" }
                    }
                    @if a.user.id != viewer.id {
                        form method="post" action={(base) "/disable"} {
                            (csrf_field(ctx))
                            button.button.button-danger type="submit" { "Disable the account" }
                        }
                    }
                }
                p.muted.small { "Disabling signs them out everywhere at once; their orders, bookings and quotes stay as they are." }
            }
        }
    }
}

fn timeline(t: &Timeline) -> Markup {
    html! {
        section aria-labelledby="timeline" {
            h2 #timeline { "Timeline" }
            @if t.events.is_empty() {
                p { "Nothing yet." }
            } @else {
                @if t.truncated {
                    p.muted.small { "The newest " (PER_KIND) " of each kind are shown." }
                }
                ol.timeline {
                    @for e in &t.events {
                        li {
                            time datetime=(iso(e.at)) { (timestamp(e.at)) }
                            " "
                            span.timeline-kind { (e.kind.label()) }
                            " "
                            @if let Some(href) = &e.link { a href=(href) { (e.title) } } @else { (e.title) }
                            @if !e.detail.is_empty() { " — " span.muted { (e.detail) } }
                        }
                    }
                }
            }
        }
    }
}

fn iso(at: i64) -> String {
    jiff::Timestamp::from_second(at).map_or_else(|_| String::new(), |t| t.to_string())
}
