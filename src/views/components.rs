//! Form components that every screen reuses.

use maud::{Markup, html};

use crate::error::FieldErrors;
use crate::http::context::RequestContext;

/// `text` as a value in a URL's query string (`/admin/orders?q=…`).
pub fn query_value(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The class of a form field's wrapper: marked when `errors` has something to say about `name`.
pub fn field_class(errors: &FieldErrors, name: &str) -> &'static str {
    if errors.get(name).is_some() {
        "field has-error"
    } else {
        "field"
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(ctx: &RequestContext) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(ctx.csrf_token); }
}

/// An input with its label, hint and error.
#[derive(Debug, Clone)]
pub struct Field<'a> {
    /// `name` and `id`.
    pub name: &'static str,
    /// Visible label.
    pub label: &'a str,
    /// Input type.
    pub kind: &'a str,
    /// Current value (never for passwords).
    pub value: Option<&'a str>,
    /// Browser autocomplete hint.
    pub autocomplete: Option<&'a str>,
    /// Help text under the input.
    pub hint: Option<&'a str>,
    /// Required.
    pub required: bool,
}

impl<'a> Field<'a> {
    /// A required text-like input.
    pub fn new(name: &'static str, label: &'a str, kind: &'a str) -> Self {
        Self {
            name,
            label,
            kind,
            value: None,
            autocomplete: None,
            hint: None,
            required: true,
        }
    }
    /// With a value.
    pub fn value(mut self, value: Option<&'a str>) -> Self {
        self.value = value;
        self
    }
    /// With an autocomplete hint.
    pub fn autocomplete(mut self, hint: &'a str) -> Self {
        self.autocomplete = Some(hint);
        self
    }
    /// With help text.
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }
    /// Not required.
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// Renders it with the error for its name, if any.
    pub fn render(&self, errors: &FieldErrors) -> Markup {
        let error = errors.get(self.name);
        let hint_id = format!("{}-hint", self.name);
        let error_id = format!("{}-error", self.name);
        let described = match (error.is_some(), self.hint.is_some()) {
            (true, _) => Some(error_id.as_str()),
            (false, true) => Some(hint_id.as_str()),
            (false, false) => None,
        };
        html! {
            div class=(if error.is_some() { "field has-error" } else { "field" }) {
                label for=(self.name) {
                    (self.label)
                    @if !self.required { span.optional { " (optional)" } }
                }
                input id=(self.name) name=(self.name) type=(self.kind)
                    value=[self.value]
                    autocomplete=[self.autocomplete]
                    required[self.required]
                    aria-invalid=[error.map(|_| "true")]
                    aria-describedby=[described];
                @if let Some(hint) = self.hint {
                    p.hint id=(hint_id) { (hint) }
                }
                @if let Some(message) = error {
                    p.field-error id=(error_id) { (message) }
                }
            }
        }
    }
}

/// A summary above a form when it has errors.
pub fn error_summary(errors: &FieldErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.alert.alert-error role="alert" {
                @if let Some(general) = errors.get("form") {
                    p { (general) }
                } @else {
                    p { "Please correct the fields marked below." }
                }
            }
        }
    }
}

/// A timestamp (epoch seconds) as `2026-11-22 14:05 UTC`.
pub fn timestamp(secs: i64) -> String {
    let zone = STUDIO_ZONE
        .get()
        .cloned()
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let Ok(at) = jiff::Timestamp::from_second(secs) else {
        return "—".to_owned();
    };
    let label = zone_label(&zone);
    format!("{} {label}", at.to_zoned(zone).strftime("%-d %b %Y, %H:%M"))
}

/// The studio's time zone for [`timestamp`], set once at startup from `STUDIO_TIME_ZONE` (a
/// display setting of the whole process, like a locale); UTC until then.
static STUDIO_ZONE: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();

/// Sets the zone [`timestamp`] shows times in (the first call wins).
pub fn set_studio_zone(zone: jiff::tz::TimeZone) {
    let _ = STUDIO_ZONE.set(zone);
}

/// "Singapore time" for Asia/Singapore, "London time" for Europe/London, "UTC" for UTC.
fn zone_label(zone: &jiff::tz::TimeZone) -> String {
    match zone.iana_name() {
        Some(name) if name != "UTC" && name != "Etc/UTC" => {
            let city = name.rsplit('/').next().unwrap_or(name).replace('_', " ");
            format!("{city} time")
        }
        _ => "UTC".to_owned(),
    }
}

/// Previous/next page links. `href(page)` builds each page's URL; with `target` the links
/// swap that element by htmx (and push the URL), and plain links work without JavaScript.
/// `more`: there are more than `pages` pages (the rows were counted only so far).
pub fn pagination(
    page: i64,
    pages: i64,
    more: bool,
    href: impl Fn(i64) -> String,
    target: &str,
) -> Markup {
    let hx_target = format!("#{target}");
    let next = page < pages || more;
    html! {
        @if pages > 1 || page > 1 || more {
            nav.pagination aria-label="Pages" {
                @if page > 1 {
                    a href=(href(page - 1)) hx-get=(href(page - 1)) hx-target=(hx_target)
                        hx-swap="outerHTML" hx-push-url="true" rel="prev" { "← Previous" }
                }
                span { "Page " (page) " of " @if more { "more than " } (pages) }
                @if next {
                    a href=(href(page + 1)) hx-get=(href(page + 1)) hx-target=(hx_target)
                        hx-swap="outerHTML" hx-push-url="true" rel="next" { "Next →" }
                }
            }
        }
    }
}

/// Text with blank-line-separated paragraphs as `<p>`s (escaped).
pub fn paragraphs(text: &str) -> Markup {
    html! {
        @for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            p { (para) }
        }
    }
}

/// The band at the top of a public page: a small label, the title, an optional lead line.
pub fn page_hero(eyebrow: &str, title: &str, lead: Option<&str>) -> Markup {
    html! {
        section.page-hero {
            div.container {
                p.eyebrow { (eyebrow) }
                h1 { (title) }
                @if let Some(lead) = lead { p.lead { (lead) } }
            }
        }
    }
}

/// The header's cart badge; `oob` for an out-of-band swap (after a cart change).
pub fn cart_badge(units: i64, oob: bool) -> Markup {
    html! {
        span #cart-badge .badge hx-swap-oob=[oob.then_some("true")]
            aria-label=(format!("{units} item{} in cart", if units == 1 { "" } else { "s" })) { (units) }
    }
}
