//! Every URL of the application, grouped by who may call it. Guards attach per group, so the
//! access rules can be audited on this one screen.

use poem::endpoint::EndpointExt as _;
use poem::http::Method;
use poem::middleware::CatchPanic;
use poem::{Endpoint, IntoEndpoint, Route};

use crate::accounts::handlers as accounts;
use crate::admin::booking_hours;
use crate::admin::bookings as admin_bookings;
use crate::admin::handlers as admin;
use crate::admin::orders as admin_orders;
use crate::admin::quotes as admin_quotes;
use crate::admin::table_handlers as table;
use crate::admin::{booking_calendar, booking_new};
use crate::api::admin as api_admin;
use crate::bookings::handlers as bookings;
use crate::cart::CartBadge;
use crate::cart::handlers as cart;
use crate::catalog::options_page as product_options;
use crate::http::compression::SelectiveCompression;
use crate::http::csrf::Csrf;
use crate::http::deadlines::BodyDeadlines;
use crate::http::drain::CloseWhenDraining;
use crate::http::guards::Require;
use crate::http::headers::SecurityHeaders;
// Not poem's `get` and `post`: these put `Allow` on a 405.
use crate::http::methods::{Methods, get, post};
use crate::http::observe::Observe;
use crate::http::session::Sessions;
use crate::http::{assets, errors};
use crate::media::{handlers as media, links};
use crate::ops::handlers as ops;
use crate::orders::handlers as orders;
use crate::payments::handlers as payments;
use crate::quotes::handlers as quotes;
use crate::reviews::handlers as reviews;
use crate::shop::handlers as shop;
use crate::site::handlers as site;
use crate::site::inbox as contact_inbox;
use crate::state::AppState;
use crate::views::errors::ErrorPages;

/// Anyone, signed in or not.
fn public() -> Route {
    screening(Route::new())
        .at("/", get(site::home))
        .at("/portfolio", get(site::portfolio))
        .at("/portfolio/:slug", get(site::video))
        .at("/services", get(site::services))
        .at("/corporate-services", get(site::legacy_services))
        .at("/packages", get(site::list_packages))
        .at("/packages/:slug", get(site::package))
        .at("/about", get(site::about))
        .at("/faq", get(site::faq))
        // A message about a quote becomes a quote request; the others go to the inbox.
        .at(
            "/contact",
            get(site::show_contact).post(quotes::send_contact),
        )
        .at("/book", get(bookings::types))
        .at("/book/:slug", get(bookings::picker).post(bookings::place))
        .at("/book/:slug/details", get(bookings::details))
        .at("/book/:slug/review", post(bookings::review))
        // A booking's own page: its signed link is the key (mail scanners open GETs, so
        // cancelling is a POST behind a confirmation).
        .at("/bookings/:id/:sig", get(bookings::show))
        .at("/bookings/:id/:sig/cancel", post(bookings::cancel))
        .at("/bookings/:id/:sig/pay", post(bookings::pay_deposit))
        .at("/bookings/:id/:sig/files", post(bookings::add_file))
        .at(
            "/bookings/:id/:sig/reschedule",
            get(bookings::reschedule_picker).post(bookings::move_booking),
        )
        .at(
            "/quote",
            get(quotes::show_request).post(quotes::send_request),
        )
        // A quote's own page: its signed link is the key; every answer is a POST.
        .at("/quotes/:id/:sig", get(quotes::page))
        .at("/quotes/:id/:sig/accept", post(quotes::accept))
        .at("/quotes/:id/:sig/decline", post(quotes::decline))
        .at("/quotes/:id/:sig/pay", post(quotes::pay))
        .at("/quotes/:id/:sig/balance", post(quotes::pay_balance))
        .at("/quotes/:id/:sig/files", post(quotes::add_file))
        .at("/quotes/:id/:sig/messages", post(quotes::ask))
        .at("/sitemap.xml", get(site::sitemap))
        .at("/shop", get(shop::shop))
        .at("/products/:slug", get(shop::show).post(shop::show))
        .at("/products/:slug/price", get(shop::live_price))
        .at("/products/:slug/quick-view", get(shop::quick_view))
        // Signed-in customers only: the guard sends visitors to the login page.
        .at(
            "/products/:slug/reviews",
            post(shop::submit_review).with(Require::User),
        )
        .at("/cart", get(cart::show))
        .at("/cart/add", post(shop::add_to_cart))
        .at("/cart/lines/:id", post(cart::update))
        .at("/cart/lines/:id/delete", post(cart::remove))
        .at(
            "/checkout",
            get(orders::show_checkout).post(orders::place_order),
        )
        // The owner's view needs their session; the link view needs the order's key.
        .at("/orders/:number", get(orders::show_own))
        .at("/orders/:number/:key", get(orders::show_by_link))
        .at("/orders/:number/:key/status", get(orders::status))
        .at("/orders/:number/:key/pay", post(orders::pay_again))
        .at(
            "/confirm-email/:user/:sig",
            get(accounts::show_confirm_email).post(accounts::confirm_email),
        )
        .at(
            "/orders/:number/:key/downloads/:line",
            post(orders::download_line),
        )
        .at(
            "/downloads/:token",
            get(orders::show_download).post(orders::download),
        )
        // The dev gateway's checkout page (404 unless PAYMENT_GATEWAY=dev).
        .at(
            "/dev-gateway/:session",
            get(payments::dev_checkout).post(payments::dev_checkout_action),
        )
        .at("/login", get(accounts::show_login).post(accounts::login))
        .at("/logout", post(accounts::logout))
        .at(
            "/register",
            get(accounts::show_register).post(accounts::register),
        )
        .at(
            "/password/forgot",
            get(accounts::show_forgot_password).post(accounts::forgot_password),
        )
        .at(
            "/password/reset/:token",
            get(accounts::show_reset_password).post(accounts::reset_password),
        )
        // Resumable uploads (tus 1.0), beside the OpenAPI operations: staff only, inside.
        .at(
            "/api/uploads",
            Methods::default()
                .method(Method::POST, crate::api::tus::create)
                .method(Method::OPTIONS, crate::api::tus::options),
        )
        .at(
            "/api/uploads/:id",
            Methods::default()
                .method(Method::HEAD, crate::api::tus::head)
                .method(Method::PATCH, crate::api::tus::patch)
                .method(Method::DELETE, crate::api::tus::delete),
        )
        // Authenticated inside (admin session or API token); JSON errors.
        .nest("/api", crate::api::endpoint())
}

/// Signed per project: the client's screening room, with their comments, answers and
/// downloads.
fn screening(route: Route) -> Route {
    route
        .at("/screening/:id/:sig", get(crate::projects::screening::show))
        .at(
            "/screening/:id/:sig/comment",
            post(crate::projects::screening::comment),
        )
        .at(
            "/screening/:id/:sig/decision",
            post(crate::projects::screening::decide),
        )
        .at(
            "/screening/:id/:sig/download/:version",
            get(crate::projects::downloads::download),
        )
        .at(
            "/screening/:id/:sig/zip",
            get(crate::projects::downloads::zip),
        )
        .at(
            "/screening/:id/:sig/more-time",
            post(crate::projects::downloads::more_time),
        )
        .at(
            "/screening/:id/:sig/review",
            post(crate::projects::reviews::save),
        )
        .at("/client-reviews", get(crate::projects::reviews::public))
}

/// Signed-in customers (and admins).
fn account() -> Route {
    Route::new()
        .at("/", get(accounts::show_account))
        .at("/email", post(accounts::change_email))
        .at("/password", post(accounts::change_password))
        .at("/orders", get(orders::account_orders))
        .at("/bookings", get(bookings::account_bookings))
        .at("/quotes", get(quotes::account_quotes))
        .at(
            "/projects",
            get(crate::projects::screening::account_projects),
        )
        .at("/confirm-email", post(accounts::resend_confirmation))
}

/// Studio staff.
fn admin() -> Route {
    services(Route::new())
        .at("/", get(admin::dashboard))
        .at("/analytics", get(crate::analytics::handlers::page))
        .at(
            "/analytics/best-sellers",
            get(crate::analytics::handlers::best_sellers),
        )
        .at("/analytics/export", get(crate::analytics::handlers::export))
        .at("/outbox", get(admin::outbox))
        .at("/outbox/:id", get(admin::show_email))
        .at("/outbox/:id/resend", post(admin::resend_email))
        .at("/jobs", get(admin::jobs))
        .at("/jobs/:id/retry", post(admin::retry_job))
        .at("/audit", get(admin::audit))
        .at("/media", get(media::library))
        .at("/media/upload", post(media::upload_files))
        .at("/media/:id", get(media::info))
        .at(
            "/media/:id/delete",
            get(media::confirm_delete).post(media::delete),
        )
        .at("/media/:id/link", post(media::make_link))
        .at("/api-tokens", get(api_admin::list).post(api_admin::create))
        .at("/api-tokens/:id/revoke", post(api_admin::revoke))
        .at(
            "/product-options/:id",
            get(product_options::show).post(product_options::save),
        )
        // Not under `/reviews/…`: those paths belong to the generic table routes below.
        .at(
            "/review-delete/:id",
            get(reviews::confirm_delete).post(reviews::delete_review),
        )
        // One order (its list is the `orders` inline table below) and the gateway's events.
        .at("/order/:id", get(admin_orders::show))
        .at("/order-line/:id", get(admin_orders::line))
        .at("/order/:id/ship", post(admin_orders::ship))
        .at("/order/:id/cancel", post(admin_orders::cancel))
        .at("/order/:id/resend", post(admin_orders::resend))
        .at("/order/:id/resolve", post(admin_orders::resolve))
        .at("/order/:id/refund", post(admin_orders::refund))
        .at(
            "/order/:id/refunds/:refund/retry",
            post(admin_orders::retry_refund),
        )
        // One contact message in full, and the reply form (the inbox is the inline table).
        .at("/messages/:id", get(contact_inbox::show))
        .at("/messages/:id/reply", post(contact_inbox::reply))
        .at("/webhooks", get(admin_orders::events))
        .at("/webhooks/:id", get(admin_orders::event))
        .at("/webhooks/:id/replay", post(admin_orders::replay))
        // Every inline-edit table (products, options, categories, portfolio, packages,
        // contact inbox, reviews): an unknown table or field is 404.
        .at("/:table", get(table::list))
        .at("/:table/new", post(table::create))
        .at("/:table/export", get(table::export))
        .at("/:table/bulk", post(table::bulk))
        .at("/:table/:id/:field", get(table::show).post(table::save))
        .at("/:table/:id/:field/edit", get(table::edit))
}

/// Staff's pages of the services side: bookings, their hours and calendar, quotes,
/// customers and projects (their lists are inline tables, under the generic table routes).
fn services(route: Route) -> Route {
    route
        // Opening hours, one booking, the calendar, booking for a customer.
        .at(
            "/booking-hours",
            get(booking_hours::show).post(booking_hours::save_week),
        )
        .at(
            "/booking-hours/overrides",
            post(booking_hours::add_override),
        )
        .at(
            "/booking-hours/overrides/:id/delete",
            post(booking_hours::remove_override),
        )
        .at(
            "/booking-type-resources/:id",
            get(admin_bookings::type_resources).post(admin_bookings::save_type_resources),
        )
        .at("/calendar", get(booking_calendar::show))
        .at(
            "/bookings/new",
            get(booking_new::show).post(booking_new::create),
        )
        .at("/booking/:id", get(admin_bookings::show))
        .at("/booking/:id/move", post(admin_bookings::move_booking))
        .at("/booking/:id/refund", post(admin_bookings::refund))
        .at(
            "/booking/:id/reschedule",
            post(admin_bookings::move_to_time),
        )
        .at("/booking/:id/resolved", post(admin_bookings::resolved))
        .at("/quote/:id", get(admin_quotes::show))
        .at("/quote/:id/proposal", post(admin_quotes::send_proposal))
        .at("/quote/:id/messages", post(admin_quotes::answer))
        .at("/quote/:id/close", post(admin_quotes::close))
        .at("/quote/:id/balance-paid", post(admin_quotes::balance_paid))
        .at(
            "/quote-terms",
            get(admin_quotes::show_terms).post(admin_quotes::save_terms),
        )
        .at("/project/:id", get(crate::projects::handlers::show))
        .at(
            "/project/:id/state",
            post(crate::projects::handlers::move_to),
        )
        .at(
            "/project/:id/new-link",
            post(crate::projects::handlers::new_link),
        )
        .at(
            "/project/:id/deliverables",
            post(crate::projects::handlers::add_deliverable),
        )
        .at(
            "/deliverable/:id/versions",
            post(crate::projects::handlers::add_version),
        )
        .at(
            "/project/:id/downloads",
            post(crate::projects::handlers::download_rules),
        )
        .at(
            "/project/:id/extend",
            post(crate::projects::handlers::extend),
        )
        .at("/comment/:id/reply", post(crate::projects::handlers::reply))
        .at(
            "/comment/:id/resolve",
            post(crate::projects::handlers::resolve),
        )
        .at(
            "/project-from-quote/:id",
            post(crate::projects::handlers::from_quote),
        )
        .at(
            "/project-from-booking/:id",
            post(crate::projects::handlers::from_booking),
        )
        .at("/customer/:id", get(crate::customers::handlers::show))
        .at(
            "/customer-account/:id/disable",
            post(crate::customers::handlers::disable),
        )
        .at(
            "/customer-account/:id/enable",
            post(crate::customers::handlers::enable),
        )
        .at(
            "/customer-account/:id/password-reset",
            post(crate::customers::handlers::password_reset),
        )
}

/// Stateless and cacheable: probes, metrics, static files. No session middleware, so no
/// cookies are ever set on a response a shared cache may keep.
fn stateless() -> Route {
    Route::new()
        .at("/assets/:file", get(assets::serve_asset))
        .at("/robots.txt", get(site::robots))
        .at("/health", get(ops::health))
        .at("/ready", get(ops::ready))
        .at("/metrics", get(ops::metrics))
        // Signed by the gateway over the raw body; no session, no CSRF (the signature is the
        // authority), JSON answers.
        .at("/webhooks/stripe", post(payments::stripe_webhook))
        // Signed links: the signature is the authority, no session needed.
        .at("/media/:id/:variant", get(links::serve))
}

/// What `flashstudio worker --addr` serves: the probes and the metrics, nothing else.
pub fn probes(state: AppState) -> impl Endpoint + 'static {
    Route::new()
        .at("/health", get(ops::health))
        .at("/ready", get(ops::ready))
        .at("/metrics", get(ops::metrics))
        .with(Observe {
            metrics: state.metrics.clone(),
            trust_request_id: false,
        })
        .data(state)
}

/// The whole application with its middleware stack, outermost last:
/// body deadlines (per class: `/webhooks/…`, multipart uploads, every other body as a form) →
/// drain → observe (request id, logs, metrics) → security headers (and last-resort error
/// rendering) → panic guard → compression →
/// [stateless routes] | sessions → cart badge → error pages → CSRF → routes.
/// (`app::serve` adds the connection deadlines' tracker around it all.)
pub fn app(state: AppState) -> impl Endpoint + 'static {
    let site = public()
        .nest("/account", account().with(Require::User))
        .nest("/admin", admin().with(Require::Admin))
        .with(Csrf)
        .with(ErrorPages {
            state: state.clone(),
        })
        .with(CartBadge {
            state: state.clone(),
        })
        .with(Sessions {
            state: state.clone(),
        });
    stateless()
        .nest("/", site.into_endpoint())
        .with(SelectiveCompression)
        .with(CatchPanic::new().with_handler(|_| {
            errors::fallback_response(
                &poem::Error::from_status(poem::http::StatusCode::INTERNAL_SERVER_ERROR),
                errors::ErrorFormat::Page,
            )
        }))
        .with(SecurityHeaders {
            hsts: state.settings.is_production(),
        })
        .with(Observe {
            metrics: state.metrics.clone(),
            trust_request_id: state.settings.trust_proxy_headers,
        })
        .with(CloseWhenDraining(state.drain.clone()))
        .with(BodyDeadlines::of(&state.settings, state.metrics.clone()))
        .data(state)
}
