//! The public site: home, portfolio, a film's page, services, packages, about, contact, FAQ.

use std::collections::HashMap;

use maud::{Markup, html};

use super::contact::{ContactForm, KINDS};
use super::store::{Package, PortfolioVideo};
use crate::catalog::model::{Category, Product};
use crate::catalog::views::{Placement, image_src, picture, product_card};
use crate::error::FieldErrors;
use crate::http::context::RequestContext;
use crate::media::links::{Variant, page_path};
use crate::money::{Currency, Money};
use crate::state::AppState;
use crate::views::components::{Field, csrf_field, error_summary, page_hero, paragraphs};
use crate::views::{PageMeta, page};

const STEPS: &[(&str, &str)] = &[
    (
        "Brief",
        "Tell us what you need. We reply within one working day with questions and a first idea.",
    ),
    (
        "Quote",
        "A clear, itemised quote with dates. Accept it online and pay the deposit securely.",
    ),
    (
        "Shoot",
        "A small, experienced crew, cinema cameras and sound that does not need fixing later.",
    ),
    (
        "Deliver",
        "Edits for review, one round of changes included, and final files by private download link.",
    ),
];

/// What the home page shows.
#[derive(Debug)]
pub struct Home<'a> {
    pub categories: &'a [Category],
    /// Featured films.
    pub videos: &'a [&'a PortfolioVideo],
    /// The film behind the hero: the first featured film with a clip, or with a poster.
    pub reel: Option<&'a PortfolioVideo>,
    /// Every published film (stills for the packages).
    pub films: &'a [PortfolioVideo],
    pub products: &'a [&'a Product],
    pub packages: &'a [Package],
    pub details: &'a HashMap<String, String>,
}

fn poster(state: &AppState, v: &PortfolioVideo, class: &str, placement: Placement) -> Markup {
    html! {
        @if let Some(id) = v.poster_media_id.as_deref() {
            (picture(state, id, class, "", (1280, 720), placement))
        } @else {
            div class=(format!("{class} image-placeholder")) aria-hidden="true" { "▶" }
        }
    }
}

/// A film's card.
pub fn video_card(state: &AppState, v: &PortfolioVideo) -> Markup {
    let href = format!("/portfolio/{}", v.slug);
    html! {
        article.video-card {
            a.video-card-media href=(href) tabindex="-1" aria-hidden="true" {
                (poster(state, v, "video-card-image", Placement::Card))
                // Only a film that can be played gets the play mark.
                @if v.video_media_id.is_some() { span.play-badge aria-hidden="true" { "▶" } }
                @if let Some(d) = v.duration_label() { span.duration-badge { (d) } }
            }
            div.video-card-body {
                @if let Some(c) = &v.category_name { p.eyebrow { (c) } }
                h3 { a href=(href) { (v.title) } }
                p.muted { (v.summary) }
            }
        }
    }
}

/// The quote request form, set to `service`.
fn quote_link(service: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("service", service)
        .finish();
    format!("/quote?{query}")
}

fn detail<'a>(details: &'a HashMap<String, String>, key: &str, fallback: &'a str) -> &'a str {
    details.get(key).map_or(fallback, String::as_str)
}

/// `GET /`: the page around [`home_body`].
pub fn home_page(ctx: &RequestContext, body: Markup) -> Markup {
    page(
        ctx,
        PageMeta {
            title: "Video production in Singapore",
            description: "FlashStudio plans, shoots and edits corporate films, events, live streams \
                          and brand stories in Singapore.",
        },
        body,
    )
}

/// The home hero's moving picture, behind the copy: the film's poster first (the page's main
/// image, loaded at once), and over it a muted, looping clip that nothing downloads until
/// `site.js` starts it, which it does not when the visitor prefers reduced motion or saves
/// data. Decorative: the credit under the copy names and links the film.
fn showreel(state: &AppState, r: &PortfolioVideo) -> Markup {
    html! {
        div.hero-media aria-hidden="true" {
            @if let Some(id) = r.poster_media_id.as_deref() {
                (picture(state, id, "hero-poster", "", (1280, 720), Placement::Hero))
            }
            @if let (true, Some(clip)) = (r.reel, r.video_media_id.as_deref()) {
                // No `poster` attribute: the picture beneath is the poster, fetched once, and
                // the clip fades in over it only once it plays.
                video.hero-video muted loop playsinline preload="none" disablepictureinpicture
                    data-showreel tabindex="-1" {
                    source src=(page_path(state, clip, Variant::Reel)) type="video/mp4";
                }
            }
        }
    }
}

/// The home page's content (the same for every visitor).
pub fn home_body(state: &AppState, h: &Home<'_>) -> Markup {
    html! {
        section.hero.hero-reel {
            @if let Some(r) = h.reel { (showreel(state, r)) }
            div.container.hero-inner {
                p.eyebrow { "Video production · Singapore" }
                h1 { "Films that make people stop scrolling." }
                p.lead {
                    "FlashStudio plans, shoots and edits corporate films, events and brand stories, "
                    "and delivers them ready for every screen."
                }
                div.hero-actions {
                    a.button.button-primary href="/portfolio" { "See our work" }
                    a.button.button-ghost href="/quote" { "Request a quote" }
                }
                ul.stats {
                    li { strong { "120+" } span { "films delivered" } }
                    li { strong { "9 yrs" } span { "in Singapore" } }
                    li { strong { "48 h" } span { "event turnaround" } }
                }
                @if let Some(r) = h.reel {
                    div.reel-credit {
                        span { "On screen: " a href=(format!("/portfolio/{}", r.slug)) { (r.title) } }
                        @if r.reel {
                            // site.js plays the clip and shows this button; without JS, the poster.
                            button.reel-toggle type="button" data-reel-toggle hidden {
                                "Pause the showreel"
                            }
                        }
                    }
                }
            }
        }
        @if !h.videos.is_empty() {
            section.section #work {
                div.container {
                    div.section-header {
                        p.eyebrow { "Featured work" }
                        h2 { "Recent films" }
                    }
                    div.video-grid { @for v in h.videos { (video_card(state, v)) } }
                    p.section-more { a href="/portfolio" { "The whole portfolio →" } }
                }
            }
        }
        section.section.section-alt #services {
            div.container {
                div.section-header {
                    p.eyebrow { "Services" }
                    h2 { "One crew for the whole production" }
                    p { "Every project gets a producer, a director of photography and an editor who stay with it from brief to delivery." }
                }
                div.card-grid {
                    @for c in h.categories {
                        article.card {
                            h3 { (c.name) }
                            p { (c.summary) }
                            a href=(format!("/portfolio?category={}", c.slug)) { "See the work" }
                        }
                    }
                }
                p.section-more { a href="/services" { "Services and packages →" } }
            }
        }
        section.section #process {
            div.container {
                div.section-header {
                    p.eyebrow { "How we work" }
                    h2 { "From brief to final cut in four steps" }
                }
                div.card-grid {
                    @for (n, (title, text)) in STEPS.iter().enumerate() {
                        article.card {
                            div.card-icon aria-hidden="true" { (n + 1) }
                            h3 { (title) }
                            p { (text) }
                        }
                    }
                }
            }
        }
        @if !h.packages.is_empty() {
            section.section.section-alt #packages {
                div.container {
                    div.section-header {
                        p.eyebrow { "Packages" }
                        h2 { "Fixed scope, clear prices" }
                    }
                    div.package-grid {
                        @for p in h.packages.iter().take(3) {
                            (package_card(state, p, category_still(h.films, p.category_slug.as_deref())))
                        }
                    }
                }
            }
        }
        @if !h.products.is_empty() {
            section.section #shop {
                div.container {
                    div.section-header {
                        p.eyebrow { "Shop" }
                        h2 { "Prints and downloads" }
                    }
                    div.product-grid { @for p in h.products { (product_card(state, p)) } }
                    p.section-more { a href="/shop" { "Visit the shop →" } }
                }
            }
        }
        section.cta-band {
            div.container.cta-inner {
                h2 { "Have a project in mind?" }
                p { "Tell us about it. We answer within one working day: " (detail(h.details, "phone", "+65 1234 5678")) }
                a.button.button-primary href="/quote" { "Request a quote" }
            }
        }
    }
}

/// `GET /portfolio` (and its `#portfolio-results` fragment).
pub fn portfolio_page(
    ctx: &RequestContext,
    state: &AppState,
    categories: &[Category],
    selected: Option<&str>,
    videos: &[&PortfolioVideo],
) -> Markup {
    let body = html! {
        (page_hero("Portfolio", "Our work", Some("A selection of films we made for brands, events and people.")))
        section.section.section-tight {
            div.container {
                (portfolio_browser(state, categories, selected, videos))
            }
        }
    };
    page(
        ctx,
        PageMeta {
            title: "Portfolio",
            description: "Corporate films, events, documentaries, weddings and drone work by \
                          FlashStudio, Singapore.",
        },
        body,
    )
}

/// The category chips and the films (the htmx fragment of the category filter: the chips come
/// with it, so the chosen one is the highlighted one, `aria-current` included).
pub fn portfolio_browser(
    state: &AppState,
    categories: &[Category],
    selected: Option<&str>,
    videos: &[&PortfolioVideo],
) -> Markup {
    let chip = |href: &str, label: &str, current: bool| {
        html! {
            a.chip href=(href) hx-get=(href) hx-target="#portfolio-browser"
                hx-swap="outerHTML" hx-push-url="true"
                aria-current=[current.then_some("page")] { (label) }
        }
    };
    html! {
        div #portfolio-browser {
            nav.filter-chips aria-label="Categories" {
                (chip("/portfolio", "All", selected.is_none()))
                @for c in categories {
                    (chip(&format!("/portfolio?category={}", c.slug), &c.name, selected == Some(c.slug.as_str())))
                }
            }
            (portfolio_results(state, selected, videos))
        }
    }
}

/// The films in one grid: every film (each card names its category) or one category's.
fn portfolio_results(
    state: &AppState,
    selected: Option<&str>,
    videos: &[&PortfolioVideo],
) -> Markup {
    html! {
        div #portfolio-results {
            @if videos.is_empty() {
                p.empty-state { "No films in this category yet." }
            } @else {
                @if let Some(name) = selected.and_then(|_| videos.first()).and_then(|v| v.category_name.as_deref()) {
                    h2.visually-hidden { (name) }
                } @else {
                    h2.visually-hidden { "All films" }
                }
                div.video-grid { @for v in videos { (video_card(state, v)) } }
            }
        }
    }
}

/// `GET /portfolio/{slug}`: poster, player, details, testimonial.
pub fn video_page(
    ctx: &RequestContext,
    state: &AppState,
    v: &PortfolioVideo,
    more: &[&PortfolioVideo],
) -> Markup {
    let poster_src = image_src(state, v.poster_media_id.as_deref());
    let body = html! {
        div.container.breadcrumbs {
            a href="/portfolio" { "Portfolio" }
            @if let (Some(name), Some(slug)) = (&v.category_name, &v.category_slug) {
                " / " a href=(format!("/portfolio?category={slug}")) { (name) }
            }
        }
        section.section.section-tight {
            div.container {
                div.player {
                    @if let Some(video_id) = &v.video_media_id {
                        video controls preload="none" poster=[poster_src.as_deref()] playsinline width="1280" height="720" {
                            source src=(page_path(state, video_id, Variant::File)) type="video/mp4";
                            "Your browser cannot play this film. "
                            a href=(page_path(state, video_id, Variant::File)) { "Download it" }
                        }
                    } @else {
                        (poster(state, v, "player-poster", Placement::Main))
                    }
                }
                div.video-details {
                    div.prose {
                        h1 { (v.title) }
                        p.lead { (v.summary) }
                        (paragraphs(&v.description))
                    }
                    aside.panel {
                        dl.facts {
                            @if !v.client_name.is_empty() { dt { "Client" } dd { (v.client_name) } }
                            @if let Some(c) = &v.category_name { dt { "Service" } dd { (c) } }
                            @if let Some(d) = v.duration_label() { dt { "Running time" } dd { (d) } }
                            @if let Some(d) = &v.project_date { dt { "Filmed" } dd { (d) } }
                        }
                        a.button.button-primary.button-block href=(quote_link(v.category_name.as_deref().unwrap_or(""))) { "Plan a film like this" }
                    }
                }
                @if !v.testimonial.is_empty() {
                    figure.testimonial {
                        blockquote { p { "“" (v.testimonial) "”" } }
                        @if !v.client_name.is_empty() { figcaption { "— " (v.client_name) } }
                    }
                }
                @if !more.is_empty() {
                    h2 { "More work" }
                    div.video-grid { @for m in more { (video_card(state, m)) } }
                }
            }
        }
    };
    let description = if v.summary.is_empty() {
        v.title.as_str()
    } else {
        v.summary.as_str()
    };
    page(
        ctx,
        PageMeta {
            title: &v.title,
            description,
        },
        body,
    )
}

fn package_price(currency: Currency, p: &Package) -> Money {
    Money::new(
        p.price_minor,
        Currency::parse(&p.currency).unwrap_or(currency),
    )
}

/// The poster of the first film of a service line (by slug), for the pages that sell it.
pub fn category_still<'a>(
    videos: &'a [PortfolioVideo],
    category_slug: Option<&str>,
) -> Option<&'a str> {
    let slug = category_slug?;
    videos
        .iter()
        .find(|v| v.category_slug.as_deref() == Some(slug) && v.poster_media_id.is_some())
        .and_then(|v| v.poster_media_id.as_deref())
}

/// A package's card, with a still from the studio's work in its service line when there is one.
pub fn package_card(state: &AppState, p: &Package, still: Option<&str>) -> Markup {
    let currency = state.settings.currency;
    html! {
        article class=(if p.popular { "package-card package-popular" } else { "package-card" }) {
            @if let Some(id) = still {
                a.package-card-media href=(format!("/packages/{}", p.slug)) tabindex="-1" aria-hidden="true" {
                    (picture(state, id, "package-card-image", "", (1280, 720), Placement::Card))
                }
            }
            @if p.popular { span.popular-badge { "Most popular" } }
            @if let Some(c) = &p.category_name { p.eyebrow { (c) } }
            h3 { a href=(format!("/packages/{}", p.slug)) { (p.name) } }
            p.package-price { "From " (package_price(currency, p)) }
            p.muted { (p.summary) }
            ul.feature-list { @for f in p.feature_list().iter().take(5) { li { (f) } } }
            div.package-actions {
                a.button.button-primary href=(format!("/quote?package={}", p.slug)) { "Request a quote" }
                a.button.button-ghost href=(format!("/packages/{}", p.slug)) { "Details" }
            }
        }
    }
}

/// `GET /services`: the service lines and the packages under each.
pub fn services_page(
    ctx: &RequestContext,
    state: &AppState,
    categories: &[Category],
    packages: &[Package],
    films: &[PortfolioVideo],
) -> Markup {
    let body = html! {
        (page_hero("Corporate services", "What we make", Some("Seven service lines, one crew. Every project starts with a free consultation and a written quote.")))
        section.section.section-tight {
            div.container {
                @for c in categories {
                    @let pk: Vec<&Package> = packages.iter().filter(|p| p.category_slug.as_deref() == Some(c.slug.as_str())).collect();
                    @let still = category_still(films, Some(&c.slug));
                    article.service-row #(c.slug) {
                        @if let Some(id) = still {
                            a.service-still href=(format!("/portfolio?category={}", c.slug)) tabindex="-1" aria-hidden="true" {
                                (picture(state, id, "service-still-image", "", (1280, 720), Placement::Card))
                            }
                        }
                        div.service-text {
                            h2 { (c.name) }
                            p { (c.summary) }
                            p {
                                a href=(format!("/portfolio?category={}", c.slug)) { "See the work" }
                                " · "
                                a href=(quote_link(&c.name)) { "Request a quote" }
                            }
                        }
                        @if !pk.is_empty() {
                            div.package-grid { @for p in pk { (package_card(state, p, None)) } }
                        }
                    }
                }
            }
        }
    };
    page(
        ctx,
        PageMeta {
            title: "Corporate video services",
            description: "Commercial production, promotional videos, event photography, live streaming, \
                      documentaries, weddings and drone footage in Singapore.",
        },
        body,
    )
}

/// `GET /packages`.
pub fn packages_page(
    ctx: &RequestContext,
    state: &AppState,
    packages: &[Package],
    films: &[PortfolioVideo],
) -> Markup {
    let body = html! {
        (page_hero("Packages", "Service packages", Some("Fixed-scope packages for the projects we make most. Ask for a quote and we tailor it to your brief.")))
        section.section.section-tight {
            div.container {
                @if packages.is_empty() { p.empty-state { "No packages are offered right now. Tell us what you need instead." } }
                // The cards' titles are h3s, as on the home and services pages.
                h2.visually-hidden { "Packages on offer" }
                div.package-grid {
                    @for p in packages { (package_card(state, p, category_still(films, p.category_slug.as_deref()))) }
                }
            }
        }
    };
    page(
        ctx,
        PageMeta {
            title: "Service packages",
            description: "FlashStudio's video production packages with prices, hours and turnaround.",
        },
        body,
    )
}

/// `GET /packages/{slug}`.
pub fn package_page(
    ctx: &RequestContext,
    state: &AppState,
    p: &Package,
    films: &[PortfolioVideo],
) -> Markup {
    let currency = state.settings.currency;
    let still = category_still(films, p.category_slug.as_deref());
    let body = html! {
        div.container.breadcrumbs { a href="/packages" { "Packages" } }
        section.section.section-tight {
            @if let Some(id) = still {
                div.container {
                    div.package-still {
                        (picture(state, id, "package-still-image", "", (1280, 720), Placement::Main))
                    }
                }
            }
            div.container.grid-2 {
                div.prose {
                    @if let Some(c) = &p.category_name { p.eyebrow { (c) } }
                    h1 { (p.name) }
                    p.lead { (p.summary) }
                    (paragraphs(&p.description))
                    h2 { "What is included" }
                    ul.feature-list { @for f in p.feature_list() { li { (f) } } }
                    @if !p.deliverables.is_empty() {
                        h2 { "You receive" }
                        (paragraphs(&p.deliverables))
                    }
                }
                aside.panel {
                    p.package-price { "From " (package_price(currency, p)) }
                    dl.facts {
                        @if let Some(h) = p.max_hours { dt { "On site" } dd { "up to " (h) " hours" } }
                        @if let Some(d) = p.turnaround_days { dt { "Delivery" } dd { (d) " working days" } }
                    }
                    a.button.button-primary.button-block href=(format!("/quote?package={}", p.slug)) { "Request a quote" }
                }
            }
        }
    };
    page(
        ctx,
        PageMeta {
            title: &p.name,
            description: &p.summary,
        },
        body,
    )
}

/// `GET /about`.
pub fn about_page(ctx: &RequestContext, details: &HashMap<String, String>) -> Markup {
    let body = html! {
        (page_hero("About", "A small studio that sweats the details", None))
        section.section.section-tight {
            div.container.grid-2 {
                div.prose {
                    p { "FlashStudio started in 2017 as two people with one camera and a borrowed van. "
                        "Today we are a crew of nine: producers, directors of photography, editors, a colourist "
                        "and a sound designer, working from our own studio in Singapore." }
                    p { "We make films for brands, agencies, event organisers and families. What they have in "
                        "common is care: a clear plan before the shoot, a calm crew on the day, and an edit that "
                        "respects your time and your audience's." }
                    p { "Every project has one producer from first call to final delivery, so you always know who to ask." }
                }
                aside.panel {
                    h2 { "Visit the studio" }
                    (studio_details(details))
                    a.button.button-primary href="/contact" { "Get in touch" }
                }
            }
        }
        section.section.section-alt {
            div.container {
                div.card-grid {
                    @for (title, text) in STEPS { article.card { h3 { (title) } p { (text) } } }
                }
            }
        }
    };
    page(
        ctx,
        PageMeta {
            title: "About the studio",
            description: "FlashStudio is a video production studio in Singapore: who we are and how we work.",
        },
        body,
    )
}

fn studio_details(details: &HashMap<String, String>) -> Markup {
    html! {
        address.studio-details {
            p { (detail(details, "address", "Singapore")) }
            p { a href=(format!("tel:{}", detail(details, "phone", "").replace(' ', ""))) { (detail(details, "phone", "")) } }
            p { a href=(format!("mailto:{}", detail(details, "email", ""))) { (detail(details, "email", "")) } }
            p.muted { (detail(details, "hours", "")) }
        }
    }
}

/// `GET /contact` (and its re-render with errors).
pub fn contact_page(
    ctx: &RequestContext,
    details: &HashMap<String, String>,
    form: &ContactForm,
    errors: &FieldErrors,
    sent: bool,
) -> Markup {
    let body = html! {
        (page_hero("Contact", "Tell us about your project", Some("Every message reaches a producer. We answer within one working day.")))
        section.section.section-tight {
            div.container.grid-2 {
                @if sent {
                    div.panel role="status" {
                        h2 { "Thank you, your message is with us." }
                        p { "A producer will answer at the address you gave within one working day." }
                        a.button.button-secondary href="/portfolio" { "Meanwhile, see our work" }
                    }
                } @else {
                    form.panel.stack method="post" action="/contact" novalidate {
                        (csrf_field(ctx))
                        (error_summary(errors))
                        div class=(if errors.get("kind").is_some() { "field has-error" } else { "field" }) {
                            label for="kind" { "What is it about?" }
                            select #kind name="kind" {
                                @for (value, label) in KINDS {
                                    option value=(value) selected[form.kind == *value] { (label) }
                                }
                            }
                            @if let Some(e) = errors.get("kind") { p.field-error { (e) } }
                        }
                        (Field::new("name", "Your name", "text").value(Some(&form.name)).autocomplete("name").render(errors))
                        (Field::new("email", "Email", "email").value(Some(&form.email)).autocomplete("email").render(errors))
                        (Field::new("phone", "Phone", "tel").value(Some(&form.phone)).autocomplete("tel").optional().render(errors))
                        (Field::new("company", "Company", "text").value(Some(&form.company)).autocomplete("organization").optional().render(errors))
                        (Field::new("subject", "Package or service", "text").value(Some(&form.subject)).optional().hint("For example “Corporate Story” or “Drone Footage”.").render(errors))
                        div class=(if errors.get("message").is_some() { "field has-error" } else { "field" }) {
                            label for="message" { "Message" }
                            textarea #message name="message" rows="6" required
                                aria-invalid=[errors.get("message").map(|_| "true")] { (form.message) }
                            @if let Some(e) = errors.get("message") { p.field-error { (e) } }
                        }
                        button.button.button-primary type="submit" { "Send message" }
                    }
                }
                aside.panel {
                    h2 { "The studio" }
                    (studio_details(details))
                    p { a href="/faq" { "Frequently asked questions →" } }
                }
            }
        }
    };
    page(
        ctx,
        PageMeta {
            title: "Contact",
            description: "Contact FlashStudio for a quote, a question about our work, support or a partnership.",
        },
        body,
    )
}

/// `GET /faq`.
pub fn faq_page(ctx: &RequestContext, faqs: &[(String, String)]) -> Markup {
    let body = html! {
        (page_hero("FAQ", "Frequently asked questions", None))
        section.section.section-tight {
            div.container.narrow {
                @for (q, a) in faqs {
                    details.faq {
                        summary { (q) }
                        div.prose { (paragraphs(a)) }
                    }
                }
                p { "Still wondering? " a href="/contact" { "Ask us" } "." }
            }
        }
    };
    page(
        ctx,
        PageMeta {
            title: "Frequently asked questions",
            description: "Answers about quotes, shoots, delivery, prints and downloads at FlashStudio.",
        },
        body,
    )
}
