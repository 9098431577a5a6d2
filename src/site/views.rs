//! Public pages that are not part of a domain: the home page.

use maud::{Markup, html};

use crate::http::context::RequestContext;
use crate::views::{PageMeta, page};

/// The seven services the studio offers (icon, name, pitch).
const SERVICES: &[(&str, &str, &str)] = &[
    (
        "◎",
        "Commercial Production",
        "Brand films and adverts, from script and casting to grade and final mix.",
    ),
    (
        "◐",
        "Promotional Videos",
        "Short, sharp pieces for launches, socials and trade shows, cut for every format.",
    ),
    (
        "◉",
        "Event Photography",
        "Conferences, launches and galas: candid and staged coverage, delivered fast.",
    ),
    (
        "◈",
        "Live Streaming",
        "Multi-camera streams with graphics and backup links, so the show goes on.",
    ),
    (
        "◍",
        "Documentary Production",
        "Long-form stories with patient research, interviews and verité filming.",
    ),
    (
        "◇",
        "Wedding Videography",
        "A film of your day that feels like it: highlights, speeches and the raw footage.",
    ),
    (
        "△",
        "Drone Footage",
        "Licensed aerial cinematography for property, events and landscapes.",
    ),
];

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

/// `GET /`.
pub fn home_page(ctx: &RequestContext) -> Markup {
    let body = html! {
        section.hero {
            div.container.hero-inner {
                p.eyebrow { "Video production · Singapore" }
                h1 { "Films that make people stop scrolling." }
                p.lead {
                    "FlashStudio plans, shoots and edits corporate films, events and brand stories, "
                    "and delivers them ready for every screen."
                }
                div.hero-actions {
                    a.button.button-primary href="#services" { "See what we do" }
                    @if ctx.user().is_some() {
                        a.button.button-ghost href="/account" { "Your account" }
                    } @else {
                        a.button.button-ghost href="/register" { "Create an account" }
                    }
                }
                ul.stats {
                    li { strong { "120+" } span { "films delivered" } }
                    li { strong { "9 yrs" } span { "in Singapore" } }
                    li { strong { "48 h" } span { "event turnaround" } }
                }
            }
        }
        section.section #services {
            div.container {
                div.section-header {
                    p.eyebrow { "Services" }
                    h2 { "One crew for the whole production" }
                    p { "Every project gets a producer, a director of photography and an editor who stay with it from brief to delivery." }
                }
                div.card-grid {
                    @for (icon, name, pitch) in SERVICES {
                        article.card {
                            div.card-icon aria-hidden="true" { (icon) }
                            h3 { (name) }
                            p { (pitch) }
                        }
                    }
                }
            }
        }
        section.section.section-alt #process {
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
        section.section #studio {
            div.container {
                div.grid-2 {
                    div.prose {
                        p.eyebrow { "The studio" }
                        h2 { "Small team, cinema-grade kit" }
                        p { "We work from a sound-treated studio in Singapore's Creative District with a lighting grid, "
                            "an infinity cove and an edit suite calibrated for broadcast delivery." }
                        p { "Clients book shoots and consultations online, approve quotes, pay deposits "
                            "and download their films from one account." }
                    }
                    div.prose {
                        h3 { "Visit or call" }
                        p { "123 Creative District, Singapore 123456" br; "+65 1234 5678" }
                        p.muted { "Mon–Fri 9:00–18:00 · Sat 10:00–16:00 · Sun by appointment" }
                    }
                }
            }
        }
        section.cta-band {
            div.container.cta-inner {
                h2 { "Have a project in mind?" }
                p { "Create an account to follow quotes, bookings and orders in one place." }
                a.button.button-primary href=(if ctx.user().is_some() { "/account" } else { "/register" }) { "Get started" }
            }
        }
    };
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
