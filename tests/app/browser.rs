//! Headless Chromium through the real pages: the shop, options with a live price, the cart
//! updating in place, and an admin inline edit. Screenshots go to the artifacts folder
//! (`FLASHSTUDIO_TEST_ARTIFACTS`, default `target/test-artifacts`).
//!
//! Needs `chromium` and `chromedriver` (Debian packages) and axe-core's `axe.min.js` (npm, at
//! `FLASHSTUDIO_TEST_AXE`); `scripts/test` installs them.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use flashstudio::demo::{SeedOptions, seed};
use flashstudio::identity::model::Role;
use serde_json::json;

use crate::support::{Backend, TestApp, free_port};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery";

fn artifacts() -> PathBuf {
    let dir = std::env::var("FLASHSTUDIO_TEST_ARTIFACTS").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Driver {
    process: tokio::process::Child,
    _profile: tempfile::TempDir,
    client: Client,
}

impl Drop for Driver {
    /// chromedriver runs in a process group of its own, and the Chromium it starts in the same
    /// one: all of it goes, also when a test ends without closing its session or fails
    /// half-way (killing chromedriver alone left Chromium running, a looping film included,
    /// beside the rest of the suite).
    fn drop(&mut self) {
        if let Some(pid) = self.process.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

async fn start_browser() -> Driver {
    start_browser_with(&[]).await
}

/// A browser with extra Chromium switches (`--force-prefers-reduced-motion`).
async fn start_browser_with(extra: &[&str]) -> Driver {
    start_browser_in(extra, None).await
}

/// A browser with extra switches, in the time zone `zone` (the `TZ` of its process) if given.
async fn start_browser_in(extra: &[&str], zone: Option<&str>) -> Driver {
    let driver_bin =
        std::env::var("FLASHSTUDIO_TEST_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let chromium =
        std::env::var("FLASHSTUDIO_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let port = free_port();
    let mut command = tokio::process::Command::new(&driver_bin);
    if let Some(zone) = zone {
        command.env("TZ", zone);
    }
    let process = command
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{driver_bin}: {e}. Install chromium-driver (scripts/test does).")
        });
    let profile = tempfile::tempdir().unwrap();
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1000",
                "--autoplay-policy=no-user-gesture-required",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }
    });
    let mut caps = caps.as_object().unwrap().clone();
    if let Some(args) = caps["goog:chromeOptions"]["args"].as_array_mut() {
        args.extend(extra.iter().map(|a| json!(a)));
    }
    let url = format!("http://127.0.0.1:{port}");
    let mut last = None;
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                return Driver {
                    process,
                    _profile: profile,
                    client,
                };
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not start: {last:?}");
}

async fn text_of(c: &Client, css: &str) -> String {
    match c.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Waits until the element's text satisfies `check`.
async fn wait_text(c: &Client, css: &str, what: &str, check: impl Fn(&str) -> bool) -> String {
    let mut seen = String::new();
    for _ in 0..100 {
        seen = text_of(c, css).await;
        if check(&seen) {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: `{css}` reads {seen:?}");
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(artifacts().join(name), png).unwrap();
}

/// A marker that survives only as long as the page is not reloaded.
async fn mark_page(c: &Client) {
    c.execute("window.__noReload = 'still here'; return null;", vec![])
        .await
        .unwrap();
}

async fn page_was_not_reloaded(c: &Client) -> bool {
    c.execute("return window.__noReload || null;", vec![])
        .await
        .unwrap()
        == json!("still here")
}

/// Clicks the first row's title cell and waits for its editor's input.
async fn open_title_editor(c: &Client) -> fantoccini::elements::Element {
    c.find(Locator::Css("td.cell[id$='-title'] a.cell-value"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("form.cell-form input[name=value]"))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_shops_with_htmx_and_staff_edit_inline() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let driver = start_browser().await;
    let c = &driver.client;
    let base = app.base.clone();

    c.goto(&format!("{base}/")).await.unwrap();
    wait_text(c, "h1", "home heading", |t| t.contains("Films")).await;
    screenshot(c, "home.png").await;

    // Shop: a filter swaps the results and pushes the URL.
    c.goto(&format!("{base}/shop")).await.unwrap();
    mark_page(c).await;
    c.find(Locator::Css("#shop-category"))
        .await
        .unwrap()
        .select_by_value("drone-footage")
        .await
        .unwrap();
    wait_text(c, ".results-summary", "filtered results", |t| {
        t.starts_with("3 products")
    })
    .await;
    assert!(
        c.current_url()
            .await
            .unwrap()
            .as_str()
            .contains("category=drone-footage")
    );
    assert!(
        page_was_not_reloaded(c).await,
        "the filter swapped a fragment"
    );
    screenshot(c, "shop.png").await;

    // Product: options change the server-computed price in place.
    c.goto(&format!("{base}/products/marina-bay-blue-hour"))
        .await
        .unwrap();
    mark_page(c).await;
    wait_text(c, ".price-now", "base price", |t| t == "S$65.00").await;
    let selects = c
        .find_all(Locator::Css("select[name=options]"))
        .await
        .unwrap();
    selects[0]
        .select_by_label("40 × 60 cm (+S$80.00)")
        .await
        .unwrap();
    wait_text(c, ".price-now", "size price", |t| t == "S$145.00").await;
    selects[1]
        .select_by_label("Black oak (+S$45.00)")
        .await
        .unwrap();
    wait_text(c, ".price-now", "size and frame price", |t| t == "S$190.00").await;
    screenshot(c, "product.png").await;
    c.find(Locator::Css(".add-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(c, "#add-result", "added message", |t| t.contains("Added")).await;
    wait_text(c, "#cart-badge", "header badge", |t| t == "1").await;
    assert!(page_was_not_reloaded(c).await, "added without a reload");

    // Cart: a quantity change updates the line, the totals and the badge together.
    c.goto(&format!("{base}/cart")).await.unwrap();
    mark_page(c).await;
    let qty = c
        .find(Locator::Css(".cart-line-quantity input[name=quantity]"))
        .await
        .unwrap();
    // Select the number and type over it, then leave the field (which fires `change`).
    qty.click().await.unwrap();
    qty.send_keys("\u{E009}a\u{E009}3").await.unwrap();
    c.find(Locator::Css("h1"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(c, "#cart-badge", "badge after quantity change", |t| {
        t == "3"
    })
    .await;
    wait_text(c, "#cart-subtotal", "subtotal", |t| t == "S$570.00").await;
    wait_text(c, ".cart-line-total", "line total", |t| t == "S$570.00").await;
    assert!(page_was_not_reloaded(c).await, "the cart updated in place");
    screenshot(c, "cart.png").await;
    // More than one order may hold: the server caps it and says so beside the line.
    let qty = c
        .find(Locator::Css(".cart-line-quantity input[name=quantity]"))
        .await
        .unwrap();
    qty.click().await.unwrap();
    qty.send_keys("\u{E009}a\u{E009}30").await.unwrap();
    c.find(Locator::Css("h1"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(
        c,
        "#cart-badge",
        "badge after an over-large quantity",
        |t| t == "20",
    )
    .await;
    wait_text(c, ".cart-line .alert", "the cap explained", |t| {
        t.contains("At most 20")
    })
    .await;

    // Admin: click a cell, type, Enter saves; Escape cancels.
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys(ADMIN)
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(c, "h1", "admin dashboard", |t| !t.is_empty()).await;
    c.goto(&format!("{base}/admin/products?q=control"))
        .await
        .unwrap();
    mark_page(c).await;
    // Enter saves…
    let input = open_title_editor(c).await;
    input.clear().await.unwrap();
    input.send_keys("Control Room, Live\u{E007}").await.unwrap();
    wait_text(c, "td.cell[id$='-title']", "saved cell", |t| {
        t == "Control Room, Live"
    })
    .await;
    // …and Escape cancels.
    let input = open_title_editor(c).await;
    input.send_keys(" (draft)\u{E00C}").await.unwrap();
    wait_text(c, "td.cell[id$='-title']", "cancelled cell", |t| {
        t == "Control Room, Live"
    })
    .await;
    assert!(
        page_was_not_reloaded(c).await,
        "inline editing never reloads"
    );
    screenshot(c, "admin-products.png").await;

    // A wrong price: the error is shown whole, inside the table's region; scrolled sideways,
    // the title column stays in view.
    c.find(Locator::Css("td.cell[id$='-price_minor'] a.cell-value"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let price = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("form.cell-form input[name=value]"))
        .await
        .unwrap();
    price.clear().await.unwrap();
    price.send_keys("twelve\u{E007}").await.unwrap();
    wait_text(c, ".cell-error", "price error", |t| !t.is_empty()).await;
    let clipped = number(
        c,
        "const e = document.querySelector('.cell-error'); const w = e.closest('.table-wrap');
         e.scrollIntoView({block: 'center', inline: 'nearest', behavior: 'instant'});
         const r = e.getBoundingClientRect(), b = w.getBoundingClientRect();
         return (e.scrollWidth > e.clientWidth + 1 || r.right > b.right + 1 || r.left < b.left - 1) ? 1 : 0;",
    )
    .await;
    assert_eq!(clipped, 0.0, "the price error is cut off");
    screenshot(c, "admin-products-error.png").await;
    let drift = number(
        c,
        "const w = document.querySelector('.inline-table').closest('.table-wrap');
         w.scrollLeft = w.scrollWidth;
         const key = document.querySelector('td.col-key').getBoundingClientRect();
         return Math.abs(key.left - w.getBoundingClientRect().left);",
    )
    .await;
    assert!(drift <= 2.0, "the title column scrolled away by {drift}px");
    screenshot(c, "admin-products-scrolled.png").await;
    let title: String =
        sqlx::query_scalar("select title from products where slug = 'control-room'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(title, "Control Room, Live");

    driver.client.clone().close().await.unwrap();
}

async fn fill(c: &Client, css: &str, value: &str) {
    let input = c.find(Locator::Css(css)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

async fn click(c: &Client, css: &str) {
    let element = c.find(Locator::Css(css)).await.unwrap();
    // Into the middle of the viewport first: the sticky header or a toast may cover an edge.
    c.execute(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'}); return null;",
        vec![serde_json::to_value(&element).unwrap()],
    )
    .await
    .unwrap();
    if let Err(e) = element.click().await {
        screenshot(c, "click-failed.png").await;
        panic!("clicking {css}: {e}");
    }
}

/// Adds the product at `slug` from its page and goes through the checkout form to the dev
/// gateway's page.
async fn to_dev_gateway(c: &Client, base: &str, slug: &str, email: &str) {
    c.goto(&format!("{base}/products/{slug}")).await.unwrap();
    click(c, ".add-form button[type=submit]").await;
    wait_text(c, "#add-result", "added message", |t| t.contains("Added")).await;
    c.goto(&format!("{base}/cart")).await.unwrap();
    click(c, "a[href='/checkout']").await;
    wait_text(c, "h1", "checkout page", |t| t == "Checkout").await;
    fill(c, "#email", email).await;
    fill(c, "#name", "Bea Buyer").await;
    if c.find(Locator::Css("#line1")).await.is_ok() {
        fill(c, "#line1", "1 Marina Way").await;
        fill(c, "#city", "Singapore").await;
        fill(c, "#postcode", "018989").await;
        fill(c, "#country", "Singapore").await;
    }
    screenshot(c, "checkout.png").await;
    click(c, "form[action='/checkout'] button[type=submit]").await;
    wait_text(c, ".dev-gateway h1", "dev gateway page", |t| {
        t.starts_with("Pay ")
    })
    .await;
}

/// The dev-gateway flow in a real browser: pay; decline then try again; cancel back to the
/// cart; and the success page's live status turning to paid by itself (htmx polling).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_checks_out_through_the_dev_gateway() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let driver = start_browser().await;
    let c = &driver.client;
    let base = app.base.clone();

    // Pay.
    to_dev_gateway(c, &base, "kampong-glam-morning", "bea@example.com").await;
    screenshot(c, "dev-gateway.png").await;
    click(c, "button[value=pay]").await;
    wait_text(c, "#payment-status", "paid status", |t| {
        t.contains("Payment received")
    })
    .await;
    screenshot(c, "order-paid.png").await;
    wait_text(c, "#cart-badge", "empty cart badge", |t| t == "0").await;

    // Decline, then try again and pay.
    to_dev_gateway(c, &base, "first-dance", "bea@example.com").await;
    click(c, "button[value=decline]").await;
    wait_text(c, "#payment-status", "failed status", |t| {
        t.contains("did not go through")
    })
    .await;
    screenshot(c, "order-declined.png").await;
    click(c, "#payment-status button[type=submit]").await;
    wait_text(c, ".dev-gateway h1", "second attempt", |t| {
        t.starts_with("Pay ")
    })
    .await;
    click(c, "button[value=pay]").await;
    wait_text(c, "#payment-status", "paid at last", |t| {
        t.contains("Payment received")
    })
    .await;

    // Cancel: back to the cart, nothing lost.
    to_dev_gateway(c, &base, "control-room", "bea@example.com").await;
    click(c, "button[value=cancel]").await;
    wait_text(c, ".alert-info", "cancel notice", |t| {
        t.contains("Payment cancelled")
    })
    .await;
    wait_text(c, "#cart-badge", "cart kept", |t| t == "1").await;

    // The success page polls: it turns to paid when the gateway's event arrives.
    let (order_id, number): (String, String) =
        sqlx::query_as("select id, number from orders where status = 'pending_payment'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let key = flashstudio::orders::access_key(&app.state, &order_id);
    c.goto(&format!("{base}/orders/{number}/{key}?paid=1"))
        .await
        .unwrap();
    wait_text(c, "#payment-status", "waiting", |t| t.contains("Waiting")).await;
    screenshot(c, "order-waiting.png").await;
    let (payment_id, session, amount): (String, String, i64) =
        sqlx::query_as("select id, session_id, amount_minor from payments where order_id = $1")
            .bind(&order_id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let now = flashstudio::db::now();
    let event = json!({"id": "evt_browser", "type": "checkout.session.completed", "created": now,
        "data": {"object": {"id": session, "payment_status": "paid", "payment_intent": "pi_browser",
            "amount_total": amount, "currency": "sgd", "metadata": {"payment_id": payment_id}}}})
    .to_string();
    let secret = app.state.gateway.webhook_secrets().remove(0);
    let header = flashstudio::payments::webhook::sign(&secret, now, event.as_bytes());
    let resp = reqwest::Client::new()
        .post(format!("{base}/webhooks/stripe"))
        .header("stripe-signature", header)
        .body(event)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    wait_text(c, "#payment-status", "status polled to paid", |t| {
        t.contains("Payment received")
    })
    .await;

    // Staff see the order with its allowed next steps and the refund form.
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "#email", ADMIN).await;
    fill(c, "#password", PASSWORD).await;
    click(c, "form button[type=submit]").await;
    wait_text(c, "h1", "admin dashboard", |t| !t.is_empty()).await;
    // The back office is a workplace of its own: its header (studio, "Studio admin", a link to
    // the site, the account menu), no shop navigation, cart or footer.
    assert_eq!(text_of(c, ".admin-header .admin-tag").await, "Studio admin");
    assert!(
        c.find(Locator::Css(".admin-header a.view-site[href='/']"))
            .await
            .is_ok()
    );
    assert!(
        c.find(Locator::Css(".admin-header .account-menu"))
            .await
            .is_ok()
    );
    for public in [".site-footer", "#cart-badge", ".main-nav"] {
        assert!(
            c.find(Locator::Css(public)).await.is_err(),
            "{public} on an admin page"
        );
    }
    screenshot(c, "admin-dashboard.png").await;
    c.goto(&format!("{base}/admin/orders")).await.unwrap();
    wait_text(c, "h1", "orders table", |t| t == "Orders").await;
    screenshot(c, "admin-orders.png").await;
    c.goto(&format!("{base}/admin/order/{order_id}"))
        .await
        .unwrap();
    wait_text(c, "h1", "order detail", |t| t.starts_with("Order FS-")).await;
    assert!(c.find(Locator::Css("#refund")).await.is_ok(), "refund form");
    assert!(c.find(Locator::Css("#tracking")).await.is_ok(), "ship form");
    screenshot(c, "admin-order.png").await;

    // A refund asks first, saying how much and why; dismissing it sends nothing.
    fill(c, "#amount", "1.00").await;
    fill(c, "#reason", "Scratched print").await;
    click(c, "#refund button[type=submit]").await;
    let question = c.get_alert_text().await.unwrap();
    assert!(
        question.contains("SGD 1.00") && question.contains("Scratched print"),
        "{question}"
    );
    c.dismiss_alert().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refunds: i64 = sqlx::query_scalar("select count(*) from refunds")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(refunds, 0, "dismissed: no refund");
    click(c, "#refund button[type=submit]").await;
    c.accept_alert().await.unwrap();
    wait_text(c, "#flash", "refund message", |t| t.contains("Refunded")).await;
    screenshot(c, "admin-order-refunded.png").await;

    driver.client.clone().close().await.unwrap();
}

/// Evaluates `script` (which returns a number) in the page.
async fn number(c: &Client, script: &str) -> f64 {
    c.execute(script, vec![]).await.unwrap().as_f64().unwrap()
}

async fn is_displayed(c: &Client, css: &str) -> bool {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap()
}

/// The portfolio with JavaScript: one grid, the chosen chip (and only it) marked current, the
/// play mark only on films that can be played. On a phone: a "Menu" disclosure that reaches
/// Contact, the shop's filters behind "Filters", nothing wider than the screen, and an order
/// table whose item column keeps its width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portfolio_and_phone_layouts() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    let driver = start_browser().await;
    let c = &driver.client;
    let base = app.base.clone();

    c.goto(&format!("{base}/portfolio")).await.unwrap();
    let per_row = number(
        c,
        "const cards = [...document.querySelectorAll('#portfolio-results .video-card')];
         return cards.filter(x => x.getBoundingClientRect().top === cards[0].getBoundingClientRect().top).length;",
    )
    .await;
    assert!(
        per_row >= 3.0,
        "the All view is a grid: {per_row} cards in its first row"
    );
    assert_eq!(
        number(c, "return document.querySelectorAll('.play-badge').length;").await,
        0.0,
        "no clips, no play marks"
    );
    // Cards take the card rendition (480 px), not the 1280 px picture; the film page's poster
    // is not lazy.
    let mut card_src = String::new();
    for _ in 0..50 {
        card_src = c
            .execute(
                "const i = document.querySelector('#portfolio-results .video-card-image'); return i.complete ? i.currentSrc : '';",
                vec![],
            )
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !card_src.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(card_src.contains("/thumb?"), "a card loaded {card_src}");
    mark_page(c).await;
    click(c, "a.chip[href='/portfolio?category=drone-footage']").await;
    wait_text(
        c,
        "a.chip[aria-current='page']",
        "the chosen chip is current",
        |t| t == "Drone Footage",
    )
    .await;
    assert_eq!(
        number(
            c,
            "return document.querySelectorAll(\"a.chip[aria-current='page']\").length;"
        )
        .await,
        1.0,
        "All is no longer current"
    );
    assert!(page_was_not_reloaded(c).await, "swapped by htmx");
    screenshot(c, "portfolio-filtered.png").await;
    click(c, "#portfolio-results .video-card h3 a").await;
    wait_text(c, "h1", "film page", |t| !t.is_empty()).await;
    let main_loading = c
        .execute(
            "const i = document.querySelector('.player img, .player video'); return i ? (i.getAttribute('loading') || 'eager') : 'none';",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        main_loading,
        json!("eager"),
        "the film page's main picture is not lazy"
    );

    // A phone.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/")).await.unwrap();
    assert!(!is_displayed(c, ".main-nav a[href='/contact']").await);
    assert!(is_displayed(c, ".nav-toggle").await);
    let overlap = number(
        c,
        "const b = document.querySelector('.brand').getBoundingClientRect();
         const a = document.querySelector('.header-actions > :first-child').getBoundingClientRect();
         return b.right - a.left;",
    )
    .await;
    assert!(
        overlap <= 0.0,
        "the brand and the cart overlap by {overlap}px"
    );
    click(c, ".nav-toggle").await;
    assert!(is_displayed(c, ".main-nav a[href='/contact']").await);
    screenshot(c, "phone-menu.png").await;
    c.goto(&format!("{base}/shop")).await.unwrap();
    assert!(!is_displayed(c, "#shop-filters").await, "filters collapsed");
    assert!(
        number(
            c,
            "return document.querySelector('.product-card').getBoundingClientRect().top;"
        )
        .await
            < 844.0,
        "a product on the first screen"
    );
    screenshot(c, "phone-shop.png").await;
    click(c, ".filters-toggle").await;
    assert!(is_displayed(c, "#shop-filters").await);
    for path in ["/", "/portfolio", "/shop", "/contact", "/cart"] {
        c.goto(&format!("{base}{path}")).await.unwrap();
        let wider = number(
            c,
            "return document.documentElement.scrollWidth - window.innerWidth;",
        )
        .await;
        assert!(wider <= 0.0, "{path} is {wider}px wider than the phone");
    }
    // An order on a phone: the item column is not squeezed to a word per line.
    to_dev_gateway(c, &base, "kampong-glam-morning", "phone@example.com").await;
    click(c, "button[value=pay]").await;
    wait_text(c, "#payment-status", "paid status", |t| {
        t.contains("Payment received")
    })
    .await;
    let item = number(
        c,
        "return document.querySelector('.order-lines tbody td').getBoundingClientRect().width;",
    )
    .await;
    assert!(item >= 120.0, "the item column is {item}px wide");
    let wider = number(
        c,
        "return document.documentElement.scrollWidth - window.innerWidth;",
    )
    .await;
    assert!(
        wider <= 0.0,
        "the order page is {wider}px wider than the phone"
    );
    screenshot(c, "phone-order.png").await;
}

/// axe-core's source (`FLASHSTUDIO_TEST_AXE`, installed from npm by `scripts/test`).
fn axe_source() -> String {
    let path = std::env::var("FLASHSTUDIO_TEST_AXE").unwrap_or_else(|_| {
        panic!(
            "FLASHSTUDIO_TEST_AXE is not set: point it at axe-core's axe.min.js \
             (scripts/test installs axe-core from npm and sets it)"
        )
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("FLASHSTUDIO_TEST_AXE={path}: {e}"))
}

/// axe-core's findings over the pages checked so far.
struct Axe {
    source: String,
    /// One line per violation.
    found: Vec<String>,
    /// (name, URL) of every page checked, to check again at another window size.
    visited: Vec<(String, String)>,
}

impl Axe {
    /// Saves a screenshot of the page and runs axe-core on it (every rule, every impact),
    /// adding one line per violation. WebDriver's scripts are not subject to the page's CSP.
    async fn check(&mut self, c: &Client, name: &str) {
        screenshot(c, &format!("axe-{name}.png")).await;
        c.execute(&format!("{}\n;return null;", self.source), vec![])
            .await
            .unwrap();
        let result = c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']})
                   .then(r => done(r.violations.map(v => ({
                       id: v.id, impact: v.impact, help: v.help,
                       targets: v.nodes.map(n => n.target.join(' ')),
                   }))))
                   .catch(e => done({error: String(e)}));",
                vec![],
            )
            .await
            .unwrap();
        let url = c.current_url().await.unwrap();
        let violations = result
            .as_array()
            .unwrap_or_else(|| panic!("axe-core failed on {url}: {result}"));
        for v in violations {
            self.found.push(format!(
                "{name} ({}): {} [{}] {}: {}",
                url.path(),
                v["id"].as_str().unwrap_or_default(),
                v["impact"].as_str().unwrap_or_default(),
                v["help"].as_str().unwrap_or_default(),
                v["targets"]
                    .as_array()
                    .map(|t| t
                        .iter()
                        .filter_map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default(),
            ));
        }
        self.visited.push((name.to_owned(), url.to_string()));
    }
}

/// axe-core on every kind of page, as a visitor, a buyer and staff: zero violations of any
/// impact. Screenshots are saved as `axe-<page>.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe() {
    let mut axe = Axe {
        source: axe_source(),
        found: Vec::new(),
        visited: Vec::new(),
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let driver = start_browser().await;
    let c = &driver.client;
    let base = app.base.clone();

    let film: String =
        sqlx::query_scalar("select slug from portfolio_videos order by slug limit 1")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let public = [
        ("home", "/".to_string()),
        ("portfolio", "/portfolio".into()),
        ("film", format!("/portfolio/{film}")),
        ("shop", "/shop".into()),
        ("product", "/products/marina-bay-blue-hour".into()),
        ("services", "/services".into()),
        ("packages", "/packages".into()),
        ("package", "/packages/corporate-story".into()),
        ("book", "/book".into()),
        ("book-consultation", "/book/consultation".into()),
        ("quote-request", "/quote?package=corporate-story".into()),
        ("client-reviews", "/client-reviews".into()),
        ("login", "/login".into()),
        ("register", "/register".into()),
    ];
    for (name, path) in &public {
        c.goto(&format!("{base}{path}")).await.unwrap();
        axe.check(c, name).await;
    }

    // A booking: a day's times, the details form, the review, the booking's own page.
    c.goto(&format!("{base}/book/consultation")).await.unwrap();
    click(c, "td.is-free a").await;
    wait_text(c, ".day-times h2", "a day's times", |t| !t.is_empty()).await;
    axe.check(c, "book-day").await;
    click(c, "ul.time-list a").await;
    wait_text(c, "h1", "details form", |t| t == "Your details").await;
    axe.check(c, "book-details").await;
    fill(c, "#name", "Ana Lim").await;
    fill(c, "#email", "ana@example.com").await;
    click(c, "form[action$='/review'] button[type=submit]").await;
    wait_text(c, "h1", "review", |t| t == "Check and confirm").await;
    axe.check(c, "post-book-review").await;
    click(c, "form button[type=submit].button-primary").await;
    wait_text(c, "h1", "the booking's page", |t| t == "Free consultation").await;
    axe.check(c, "booking").await;
    // Moving it: the calendar for a new time, then the new time to confirm.
    let manage = c.current_url().await.unwrap().path().to_owned();
    c.goto(&format!("{base}{manage}/reschedule")).await.unwrap();
    wait_text(c, "h1", "the move page", |t| t.starts_with("Move your")).await;
    click(c, "td.is-free a").await;
    wait_text(c, ".day-times h2", "a day's times", |t| !t.is_empty()).await;
    axe.check(c, "booking-reschedule").await;
    click(c, "ul.time-list a").await;
    wait_text(c, "h1", "the move to confirm", |t| {
        t == "Move to this time?"
    })
    .await;
    axe.check(c, "booking-reschedule-confirm").await;

    // A purchase: cart, checkout, the dev gateway, the order page.
    c.goto(&format!("{base}/products/kampong-glam-morning"))
        .await
        .unwrap();
    click(c, ".add-form button[type=submit]").await;
    wait_text(c, "#add-result", "added message", |t| t.contains("Added")).await;
    c.goto(&format!("{base}/cart")).await.unwrap();
    axe.check(c, "cart").await;
    click(c, "a[href='/checkout']").await;
    wait_text(c, "h1", "checkout page", |t| t == "Checkout").await;
    axe.check(c, "checkout").await;
    fill(c, "#email", "bea@example.com").await;
    fill(c, "#name", "Bea Buyer").await;
    if c.find(Locator::Css("#line1")).await.is_ok() {
        fill(c, "#line1", "1 Marina Way").await;
        fill(c, "#city", "Singapore").await;
        fill(c, "#postcode", "018989").await;
        fill(c, "#country", "Singapore").await;
    }
    click(c, "form[action='/checkout'] button[type=submit]").await;
    wait_text(c, ".dev-gateway h1", "dev gateway page", |t| {
        t.starts_with("Pay ")
    })
    .await;
    axe.check(c, "dev-gateway").await;
    click(c, "button[value=pay]").await;
    wait_text(c, "#payment-status", "paid status", |t| {
        t.contains("Payment received")
    })
    .await;
    axe.check(c, "order").await;

    // Staff: their account, the dashboard, every admin screen, an order and a media item.
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "#email", ADMIN).await;
    fill(c, "#password", PASSWORD).await;
    click(c, "form button[type=submit]").await;
    wait_text(c, "h1", "admin dashboard", |t| !t.is_empty()).await;
    c.goto(&format!("{base}/account")).await.unwrap();
    axe.check(c, "account").await;
    c.goto(&format!("{base}/account/orders")).await.unwrap();
    axe.check(c, "account-orders").await;
    let mut admin: Vec<String> = [
        "/admin",
        "/admin/analytics",
        "/admin/analytics?range=12m",
        "/admin/analytics/best-sellers?range=30d",
        "/admin/calendar",
        "/admin/calendar?view=month",
        "/admin/bookings/new",
        "/admin/media",
        "/admin/api-tokens",
        "/admin/webhooks",
        "/admin/outbox",
        "/admin/jobs",
        "/admin/audit",
    ]
    .map(String::from)
    .to_vec();
    admin.extend(
        flashstudio::admin::tables::ALL
            .iter()
            .map(|t| format!("/admin/{}", t.name)),
    );
    for path in &admin {
        c.goto(&format!("{base}{path}")).await.unwrap();
        let name = path.trim_start_matches('/').replace('/', "-");
        axe.check(c, &name).await;
    }
    let order_id: String = sqlx::query_scalar("select id from orders limit 1")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    c.goto(&format!("{base}/admin/order/{order_id}"))
        .await
        .unwrap();
    wait_text(c, "h1", "order detail", |t| t.starts_with("Order FS-")).await;
    axe.check(c, "admin-order").await;
    // The refund's confirmation page, as a browser without JavaScript reaches it (a plain
    // submission: htmx would ask in a dialog instead).
    fill(c, "#amount", "1.00").await;
    fill(c, "#reason", "Damaged in transit").await;
    c.execute(
        "document.getElementById('refund').submit(); return null;",
        vec![],
    )
    .await
    .unwrap();
    wait_text(c, "h1", "refund confirmation", |t| t.starts_with("Refund ")).await;
    axe.check(c, "post-refund-confirmation").await;
    // A contact message in full, with its reply form.
    let message = flashstudio::site::contact::submit(
        &app.state,
        &flashstudio::site::contact::ContactForm {
            kind: "quote".into(),
            name: "Ana Lim".into(),
            email: "ana@example.com".into(),
            message: "We would like a launch film in March.".into(),
            ..Default::default()
        },
        "ana@example.com",
    )
    .await
    .unwrap();
    c.goto(&format!("{base}/admin/messages/{message}"))
        .await
        .unwrap();
    axe.check(c, "admin-message").await;
    // The customer who wrote it (and the one who bought above): their page and timeline.
    for (name, email) in [
        ("admin-customer", "ana@example.com"),
        ("admin-customer-buyer", "bea@example.com"),
    ] {
        let customer: String = sqlx::query_scalar("select id from customers where email = $1")
            .bind(email)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        c.goto(&format!("{base}/admin/customer/{customer}"))
            .await
            .unwrap();
        wait_text(c, "#timeline", "the timeline", |t| t == "Timeline").await;
        axe.check(c, name).await;
    }
    // A project with a deliverable, as staff see it.
    let project = flashstudio::db::new_id();
    {
        use flashstudio::projects::store as projects;
        let now = flashstudio::db::now();
        let mut conn = app.state.db.pool().acquire().await.unwrap();
        let new = projects::NewProject {
            id: &project,
            title: "Launch film for Ana Lim",
            name: "Ana Lim",
            email: "ana@example.com",
            user_id: None,
            quote_id: None,
        };
        projects::insert(&mut conn, &new, now).await.unwrap();
        let deliverable = flashstudio::db::new_id();
        projects::insert_deliverable(
            &mut conn,
            &deliverable,
            &project,
            "Launch film",
            "film",
            now,
        )
        .await
        .unwrap();
        // Its first version (a file of the demo library) with a timed comment and the
        // studio's reply, so the pages show a thread and the answer form.
        let media: Option<String> = sqlx::query_scalar(
            "select id from media where state = 'ready' order by created_at, id limit 1",
        )
        .fetch_optional(&mut *conn)
        .await
        .unwrap();
        if let Some(media) = media {
            let number = projects::next_version_number(&mut conn, &deliverable, now)
                .await
                .unwrap()
                .unwrap();
            let version = flashstudio::db::new_id();
            let new = projects::NewVersion {
                id: &version,
                deliverable_id: &deliverable,
                number,
                media_id: &media,
                note: "First cut",
                created_by: "staff",
            };
            projects::insert_version(&mut conn, &new, now)
                .await
                .unwrap();
            let comment = flashstudio::db::new_id();
            let mut new = projects::NewComment {
                id: &comment,
                project_id: &project,
                version_id: &version,
                at_ms: Some(83_000),
                body: "The logo is too small",
                by_staff: false,
                author: "Ana Lim",
                reply_to: None,
            };
            projects::insert_comment(&mut conn, &new, now)
                .await
                .unwrap();
            let reply = flashstudio::db::new_id();
            new.id = &reply;
            new.at_ms = None;
            new.body = "Making it bigger in v2";
            new.by_staff = true;
            new.author = "admin@example.com";
            new.reply_to = Some(&comment);
            projects::insert_comment(&mut conn, &new, now)
                .await
                .unwrap();
        }
    }
    c.goto(&format!("{base}/admin/project/{project}"))
        .await
        .unwrap();
    wait_text(c, "#deliverables", "the deliverables", |t| {
        t == "Deliverables"
    })
    .await;
    axe.check(c, "admin-project").await;
    // The client's screening room, as its link opens it.
    let room = {
        let p = flashstudio::projects::store::find(app.state.db.pool(), &project)
            .await
            .unwrap()
            .unwrap();
        flashstudio::projects::screening::link_path(&app.state, &p)
    };
    c.goto(&format!("{base}{room}")).await.unwrap();
    wait_text(c, "h1", "the screening room", |t| {
        t == "Launch film for Ana Lim"
    })
    .await;
    axe.check(c, "screening-room").await;
    // A quote: staff's page with the proposal editor, the terms template, then the
    // customer's page with the proposal sent from that editor.
    let quote = flashstudio::quotes::service::request(
        &app.state,
        &flashstudio::quotes::service::RequestForm {
            name: "Ana Lim".into(),
            email: "ana@example.com".into(),
            service: "Corporate Story".into(),
            description: "A launch film for our new range.".into(),
            ..Default::default()
        },
        None,
        "10.9.9.9",
    )
    .await
    .unwrap()
    .unwrap();
    c.goto(&format!("{base}/admin/quote/{}", quote.id))
        .await
        .unwrap();
    axe.check(c, "admin-quote").await;
    fill(c, "[name=line2_description]", "Drone footage").await;
    fill(c, "[name=line2_unit]", "450").await;
    click(c, "[name=line2_extra]").await;
    // No shoot in this proposal, so no deposit (a deposit secures a date).
    c.find(Locator::Css("#deposit_kind"))
        .await
        .unwrap()
        .select_by_value("none")
        .await
        .unwrap();
    click(c, "#send-proposal").await;
    wait_text(c, "#flash", "sent", |t| t.contains("Sent")).await;
    c.goto(&format!("{base}/admin/quote-terms")).await.unwrap();
    axe.check(c, "admin-quote-terms").await;
    let link = flashstudio::quotes::service::link_path(&app.state, &quote);
    c.goto(&format!("{base}{link}")).await.unwrap();
    axe.check(c, "quote-proposal").await;
    // The booking made above, as staff see it.
    let booking_id: String = sqlx::query_scalar("select id from bookings limit 1")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    c.goto(&format!("{base}/admin/booking/{booking_id}"))
        .await
        .unwrap();
    axe.check(c, "admin-booking").await;
    c.goto(&format!("{base}/admin/booking-hours"))
        .await
        .unwrap();
    axe.check(c, "admin-booking-hours").await;
    let media_id: Option<String> = sqlx::query_scalar("select id from media limit 1")
        .fetch_optional(app.state.db.pool())
        .await
        .unwrap();
    if let Some(id) = media_id {
        c.goto(&format!("{base}/admin/media/{id}")).await.unwrap();
        axe.check(c, "admin-media-item").await;
    }

    // The same pages on a phone, where wide tables scroll inside their regions (with a line
    // in the cart again, so it and the checkout show their forms).
    c.goto(&format!("{base}/products/kampong-glam-morning"))
        .await
        .unwrap();
    click(c, ".add-form button[type=submit]").await;
    wait_text(c, "#add-result", "added message", |t| t.contains("Added")).await;
    c.set_window_size(390, 844).await.unwrap();
    for (name, url) in std::mem::take(&mut axe.visited) {
        if name == "dev-gateway" || name.starts_with("post-") {
            continue; // its checkout session is spent; pages a POST answered
        }
        c.goto(&url).await.unwrap();
        axe.check(c, &format!("phone-{name}")).await;
        // Nothing makes the page itself wider than the phone: wide content scrolls in its
        // own region.
        let wider = c
            .execute(
                "const w = document.documentElement.clientWidth;
                 if (document.documentElement.scrollWidth <= w) return [];
                 return [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-wrap, .admin-sidebar, pre'))
                   .slice(0, 5)
                   .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).replace(/ /g, '.') : '') + ' ' + Math.round(e.getBoundingClientRect().right));",
                vec![],
            )
            .await
            .unwrap();
        if wider.as_array().is_some_and(|a| !a.is_empty()) {
            axe.found
                .push(format!("phone-{name}: wider than the phone: {wider}"));
        }
    }

    driver.client.clone().close().await.unwrap();
    assert!(
        axe.found.is_empty(),
        "axe-core found {} violations:\n{}",
        axe.found.len(),
        axe.found.join("\n")
    );
}

/// Issue 14, item 10: clicking a file in a long media library opens its details where the user
/// is looking (a side panel, focus inside it), not 3,000 px further down; Escape closes it and
/// focus returns to the file's link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_files_details_open_in_view() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let driver = start_browser().await;
    let c = &driver.client;
    let base = app.base.clone();
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "#email", ADMIN).await;
    fill(c, "#password", PASSWORD).await;
    click(c, "form button[type=submit]").await;
    wait_text(c, "h1", "admin dashboard", |t| !t.is_empty()).await;
    c.goto(&format!("{base}/admin/media")).await.unwrap();
    // The first file of a long page (scrolled to the middle of the screen by `click`): the
    // rest of the list is below it.
    let links = c
        .find_all(Locator::Css("#media-table a[hx-target='#media-info']"))
        .await
        .unwrap();
    assert!(
        links.len() >= 10,
        "the demo studio has a long list of files"
    );
    click(
        c,
        "#media-table tbody tr:first-child a[hx-target='#media-info']",
    )
    .await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#media-info #media-info-title"))
        .await
        .unwrap();
    let top = number(
        c,
        "return document.querySelector('#media-info-title').getBoundingClientRect().top;",
    )
    .await;
    let height = number(c, "return window.innerHeight;").await;
    screenshot(c, "admin-media-info.png").await;
    assert!(
        top >= 0.0 && top < height - 40.0,
        "the panel's heading is in view: top {top} px, viewport {height} px"
    );
    let focused = c
        .execute("return document.activeElement.id;", vec![])
        .await
        .unwrap();
    assert_eq!(
        focused,
        json!("media-info-title"),
        "focus moved into the panel"
    );
    c.execute(
        "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true})); return null;",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(
        c.execute(
            "return document.getElementById('media-info').children.length;",
            vec![]
        )
        .await
        .unwrap(),
        json!(0),
        "Escape closes the panel"
    );
    let back = c
        .execute(
            "return document.activeElement.getAttribute('hx-target');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        back,
        json!("#media-info"),
        "focus returns to the file's link"
    );
    driver.client.clone().close().await.unwrap();
}

/// Item 15 of the hardening issue: the home page's showreel plays muted over its poster, can be
/// paused, never starts for a visitor who prefers reduced motion (nor downloads the clip), and
/// the pages are set in the two self-hosted faces.
#[tokio::test]
async fn the_showreel_plays_and_the_studio_faces_load() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let report = seed(&app.state, SeedOptions { clips: true }).await.unwrap();
    assert!(
        report.clips > 0,
        "ffmpeg is needed for the demo clips (scripts/test installs it)"
    );
    // The analysis job makes each film's showreel clip.
    let mut reels = 0_i64;
    for _ in 0..600 {
        reels = sqlx::query_scalar("select count(*) from media where reel_key is not null")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        if reels == report.clips as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(reels, report.clips as i64, "showreel clips made");
    app.state.content.invalidate();
    let base = app.base.clone();

    let driver = start_browser().await;
    let c = &driver.client;
    c.goto(&format!("{base}/")).await.unwrap();
    let poster = c
        .execute(
            "const i = document.querySelector('.hero-media img.hero-poster');
             return i ? [i.loading, i.getAttribute('fetchpriority')].join(' ') : 'none';",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        poster,
        json!("auto high"),
        "the poster is the page's main picture"
    );
    wait_text(c, "[data-reel-toggle]", "the showreel plays", |t| {
        t == "Pause the showreel"
    })
    .await;
    let playing = c
        .execute(
            "const v = document.querySelector('video[data-showreel]');
             return [v.muted, v.loop, !v.paused, v.classList.contains('is-playing'), v.currentSrc.includes('/reel?')];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        playing,
        json!([true, true, true, true, true]),
        "muted, looping, playing the clip"
    );
    // Faces: the headings in the serif, the text in Inter, both from our own assets.
    let faces = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               document.fonts.ready.then(() => done([
                   getComputedStyle(document.querySelector('h1')).fontFamily.split(',')[0],
                   getComputedStyle(document.body).fontFamily.split(',')[0],
                   document.fonts.check('16px Inter'), document.fonts.check('40px "Instrument Serif"'),
                   [...document.fonts].filter(f => f.status === 'loaded').length]));"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        faces,
        json!(["\"Instrument Serif\"", "Inter", true, true, 2]),
        "the two faces"
    );
    screenshot(c, "home-showreel.png").await;
    click(c, "[data-reel-toggle]").await;
    wait_text(c, "[data-reel-toggle]", "paused", |t| {
        t == "Play the showreel"
    })
    .await;
    let paused = c
        .execute(
            "return document.querySelector('video[data-showreel]').paused;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(paused, json!(true), "the visitor stopped it");
    for (name, path) in [
        ("services", "/services"),
        ("packages", "/packages"),
        ("package", "/packages/corporate-story"),
    ] {
        c.goto(&format!("{base}{path}")).await.unwrap();
        let stills = c
            .execute(
                "return document.querySelectorAll('.service-still img, .package-card-media img, .package-still img').length;",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            stills.as_u64().unwrap_or(0) > 0,
            "{name}: pictures of the work"
        );
        screenshot(c, &format!("{name}.png")).await;
    }
    c.set_window_size(390, 844).await.unwrap();
    for (name, path) in [
        ("home", "/"),
        ("services", "/services"),
        ("package", "/packages/corporate-story"),
    ] {
        c.goto(&format!("{base}{path}")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        screenshot(c, &format!("{name}-phone.png")).await;
    }
    drop(driver);

    // Reduced motion: the poster stays, the clip is never requested.
    let calm = start_browser_with(&["--force-prefers-reduced-motion"]).await;
    let c = &calm.client;
    c.goto(&format!("{base}/")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let still = c
        .execute(
            "const v = document.querySelector('video[data-showreel]');
             const fetched = performance.getEntriesByType('resource').some(e => e.name.includes('/reel?'));
             return [v.paused, v.classList.contains('is-playing'), fetched, document.querySelector('[data-reel-toggle]').hidden];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        still,
        json!([true, false, false, true]),
        "reduced motion: no clip"
    );
    screenshot(c, "home-reduced-motion.png").await;
}

/// Issue 15: booking in a browser with JavaScript on. The calendar's months and days swap in
/// place (htmx, the URL pushed, no reload), then details, review and the booking's page;
/// screenshots on desktop and phone. (Without JavaScript the same steps are plain links and
/// forms: `bookings::*::a_visitor_books_and_cancels_without_javascript`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_books_a_consultation_in_the_browser() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    let driver = start_browser().await;
    let c = &driver.client;
    let base = app.base.clone();
    for (width, height, suffix) in [(1280, 1000, ""), (390, 844, "-phone")] {
        c.set_window_size(width, height).await.unwrap();
        c.goto(&format!("{base}/book")).await.unwrap();
        screenshot(c, &format!("book{suffix}.png")).await;
        click(c, "a[href='/book/consultation'].button").await;
        wait_text(c, "h1", "the calendar page", |t| t == "Free consultation").await;
        mark_page(c).await;
        let first_month = text_of(c, "#calendar-title").await;
        click(c, ".calendar-head a[rel=next]").await;
        wait_text(c, "#calendar-title", "the next month", |t| t != first_month).await;
        click(c, "td.is-free a").await;
        wait_text(c, ".day-times h2", "a day's times", |t| !t.is_empty()).await;
        assert!(page_was_not_reloaded(c).await, "swapped by htmx");
        let url = c.current_url().await.unwrap();
        assert!(
            url.query().unwrap_or("").contains("day="),
            "the URL follows: {url}"
        );
        screenshot(c, &format!("book-calendar{suffix}.png")).await;
        click(c, "ul.time-list a").await;
        wait_text(c, "h1", "details", |t| t == "Your details").await;
        fill(c, "#name", "Ana Lim").await;
        fill(c, "#email", &format!("ana{}@example.com", suffix.len())).await;
        screenshot(c, &format!("book-details{suffix}.png")).await;
        click(c, "form[action$='/review'] button[type=submit]").await;
        wait_text(c, "h1", "review", |t| t == "Check and confirm").await;
        click(c, "form button[type=submit].button-primary").await;
        wait_text(c, ".alert-success", "booked", |t| t.contains("Booked")).await;
        screenshot(c, &format!("booked{suffix}.png")).await;
    }
    let bookings: i64 =
        sqlx::query_scalar("select count(*) from bookings where status = 'confirmed'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(bookings, 2);
}

/// Issue 15: a shoot with a deposit, booked and paid through the dev gateway in a browser,
/// with JavaScript and without, on a desktop and a phone; then staff see it on the admin
/// calendar (week and month) and on its page. Screenshots of each step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_books_a_shoot_and_pays_its_deposit_in_the_browser() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let base = app.base.clone();
    let mut booked = 0;
    for (js, args) in [
        ("", &[][..]),
        ("-nojs", &["--blink-settings=scriptEnabled=false"][..]),
    ] {
        let driver = start_browser_in(args, None).await;
        let c = &driver.client;
        for (width, height, size) in [(1280, 1000, ""), (390, 844, "-phone")] {
            let suffix = format!("{js}{size}");
            c.set_window_size(width, height).await.unwrap();
            c.goto(&format!("{base}/book/half-day-shoot"))
                .await
                .unwrap();
            wait_text(c, "h1", "the calendar page", |t| t == "Half-day shoot").await;
            // A later month: well clear of the week's notice, and a different day each round.
            for _ in 0..=booked {
                click(c, ".calendar-head a[rel=next]").await;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            click(c, "td.is-free a").await;
            wait_text(c, ".day-times h2", "a day's times", |t| !t.is_empty()).await;
            click(c, "ul.time-list a").await;
            wait_text(c, "h1", "details", |t| t == "Your details").await;
            fill(c, "#name", "Mei Tan").await;
            fill(c, "#email", &format!("mei{booked}@example.com")).await;
            click(c, "form[action$='/review'] button[type=submit]").await;
            wait_text(c, "h1", "review", |t| t == "Check and confirm").await;
            assert_eq!(
                text_of(c, "form button[type=submit].button-primary").await,
                "Book and pay the deposit"
            );
            screenshot(c, &format!("book-deposit-review{suffix}.png")).await;
            click(c, "form button[type=submit].button-primary").await;
            wait_text(c, ".dev-gateway h1", "the dev gateway", |t| !t.is_empty()).await;
            screenshot(c, &format!("deposit-gateway{suffix}.png")).await;
            click(c, "button[value=pay]").await;
            wait_text(c, ".alert-success", "paid and confirmed", |t| {
                t.contains("Deposit received")
            })
            .await;
            assert!(text_of(c, ".status-badge").await.contains("Confirmed"));
            screenshot(c, &format!("deposit-paid{suffix}.png")).await;
            booked += 1;
        }
    }
    let confirmed: i64 = sqlx::query_scalar(
        "select count(*) from bookings where status = 'confirmed' and type_name = 'Half-day shoot'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(confirmed, 4);

    // Staff: the calendar's month and week, and the booking's page.
    let driver = start_browser().await;
    let c = &driver.client;
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "#email", ADMIN).await;
    fill(c, "#password", PASSWORD).await;
    click(c, "form button[type=submit]").await;
    wait_text(c, "h1", "admin dashboard", |t| !t.is_empty()).await;
    let first: i64 = sqlx::query_scalar("select min(starts_at) from bookings")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let day = jiff::Timestamp::from_second(first)
        .unwrap()
        .to_zoned(app.state.settings.time_zone.clone())
        .date();
    c.goto(&format!("{base}/admin/calendar?view=month&date={day}"))
        .await
        .unwrap();
    wait_text(c, "h1", "the calendar", |t| t == "Calendar").await;
    assert!(text_of(c, ".cal-month").await.contains("Mei Tan"));
    screenshot(c, "admin-calendar-month.png").await;
    c.goto(&format!("{base}/admin/calendar?view=week&date={day}"))
        .await
        .unwrap();
    assert!(text_of(c, ".cal-week").await.contains("Mei Tan"));
    screenshot(c, "admin-calendar.png").await;
    click(c, ".cal-week a.cal-booking").await;
    wait_text(c, "h1", "the booking's admin page", |t| {
        t.starts_with("Booking BK-")
    })
    .await;
    screenshot(c, "admin-booking-deposit.png").await;

    // The bookings table, filtered by a resource the shoots do not claim, then by one they do.
    c.goto(&format!("{base}/admin/bookings")).await.unwrap();
    mark_page(c).await;
    let by_resource = |label: &'static str| async move {
        c.find(Locator::Css("#filter-resource"))
            .await
            .unwrap()
            .select_by_label(label)
            .await
            .unwrap();
    };
    by_resource("Producer").await;
    wait_text(c, "#table-bookings", "no shoot for the producer", |t| {
        !t.contains("Mei Tan")
    })
    .await;
    by_resource("Camera crew").await;
    wait_text(c, "#table-bookings", "the crew's shoots", |t| {
        t.contains("Mei Tan")
    })
    .await;
    assert!(page_was_not_reloaded(c).await, "htmx swapped the table");
    assert!(
        c.current_url()
            .await
            .unwrap()
            .as_str()
            .contains("f.resource=")
    );
    screenshot(c, "admin-bookings-by-resource.png").await;
}

/// Issue 16: a customer asks for a quote (and sends a reference file), staff send a proposal
/// with an optional extra and a full-day shoot, the customer ticks the extra (the total follows: in place with JavaScript,
/// by "Update total" without), accepts with a typed signature and pays the deposit at the dev
/// gateway; the shoot is confirmed and the quote accepted; the balance's job emails when its
/// time comes, and the balance is paid from the page: fully paid. With JavaScript on and off,
/// desktop and phone, with screenshots.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_requests_a_quote_and_accepts_it_in_the_browser() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let base = app.base.clone();
    let staff = start_browser().await;
    let s = &staff.client;
    s.goto(&format!("{base}/login")).await.unwrap();
    fill(s, "#email", ADMIN).await;
    fill(s, "#password", PASSWORD).await;
    click(s, "form button[type=submit]").await;
    wait_text(s, "h1", "admin dashboard", |t| !t.is_empty()).await;
    let full_day: String =
        sqlx::query_scalar("select id from booking_types where slug = 'full-day-shoot'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let driver_files = tempfile::tempdir().unwrap();
    let mut round = 0;
    for (js, args) in [
        ("", &[][..]),
        ("-nojs", &["--blink-settings=scriptEnabled=false"][..]),
    ] {
        let driver = start_browser_in(args, None).await;
        let c = &driver.client;
        for (width, height, size) in [(1280, 1000, ""), (390, 844, "-phone")] {
            let suffix = format!("{js}{size}");
            round += 1;
            c.set_window_size(width, height).await.unwrap();
            // The request, from a package's page.
            c.goto(&format!("{base}/packages/corporate-story"))
                .await
                .unwrap();
            click(c, "a[href^='/quote?package=']").await;
            wait_text(c, "h1", "the request form", |t| {
                t == "Tell us about your project"
            })
            .await;
            fill(c, "#name", "Mei Tan").await;
            fill(c, "#email", &format!("mei{round}@example.com")).await;
            fill(
                c,
                "#description",
                "A launch film for our new range, with interviews.",
            )
            .await;
            screenshot(c, &format!("quote-request{suffix}.png")).await;
            // A person takes a moment to fill the form in; a robot does not.
            tokio::time::sleep(Duration::from_millis(3100)).await;
            click(c, "form[action='/quote'] button[type=submit]").await;
            wait_text(c, "#flash", "the request's thanks", |t| {
                t.contains("Thank you")
            })
            .await;
            let page = c.current_url().await.unwrap().path().to_owned();
            let id = page.split('/').nth(2).unwrap().to_owned();
            // A reference file, from the quote's page (a plain multipart form).
            let brief = driver_files.path().join(format!("brief-{round}.png"));
            std::fs::write(&brief, crate::booking_changes::png()).unwrap();
            c.find(Locator::Css("#reference-file"))
                .await
                .unwrap()
                .send_keys(&brief.display().to_string())
                .await
                .unwrap();
            click(c, "#files button[type=submit]").await;
            wait_text(c, "#flash", "the file taken", |t| {
                t.contains("is with the studio")
            })
            .await;

            // Staff write the proposal: the package, an optional extra, the shoot, 30%.
            let (_, details) = crate::bookings::a_later_free_time(&app, "full-day-shoot").await;
            let start: i64 = crate::bookings::start_of(&details).parse().unwrap();
            let at = jiff::Timestamp::from_second(start)
                .unwrap()
                .to_zoned(app.state.settings.time_zone.clone());
            // Each round a different day: a week apart.
            let day = at
                .date()
                .saturating_add(jiff::Span::new().days(7 * (round - 1)));
            s.goto(&format!("{base}/admin/quote/{id}")).await.unwrap();
            fill(s, "[name=line2_description]", "Drone footage").await;
            fill(s, "[name=line2_unit]", "450").await;
            click(s, "[name=line2_extra]").await;
            s.find(Locator::Css("#booking_type"))
                .await
                .unwrap()
                .select_by_value(&full_day)
                .await
                .unwrap();
            s.execute(
                "document.getElementById('day').value = arguments[0]; document.getElementById('time').value = arguments[1]; return null;",
                vec![json!(day.to_string()), json!(at.strftime("%H:%M").to_string())],
            )
            .await
            .unwrap();
            if round == 1 {
                screenshot(s, "admin-quote-editor.png").await;
            }
            click(s, "#send-proposal").await;
            wait_text(s, "#flash", "the proposal sent", |t| t.contains("Sent")).await;

            // The customer's page: the extra changes the total.
            c.goto(&format!("{base}{page}")).await.unwrap();
            let before = wait_text(c, ".quote-totals tr.total td", "the total", |t| {
                !t.is_empty()
            })
            .await;
            mark_page(c).await;
            click(c, "input[name=extra]").await;
            if js.is_empty() {
                wait_text(
                    c,
                    ".quote-totals tr.total td",
                    "the total with the extra",
                    |t| t != before,
                )
                .await;
                assert!(page_was_not_reloaded(c).await, "htmx swapped the totals");
            } else {
                click(c, "#quote-extras button[type=submit]").await;
                wait_text(
                    c,
                    ".quote-totals tr.total td",
                    "the total with the extra",
                    |t| t != before,
                )
                .await;
            }
            screenshot(c, &format!("quote-proposal{suffix}.png")).await;
            fill(c, "#signature", "Mei Tan").await;
            click(c, "input[name=agree]").await;
            click(c, "form[action$='/accept'] button[type=submit]").await;
            wait_text(c, ".dev-gateway h1", "the dev gateway", |t| !t.is_empty()).await;
            click(c, "button[value=pay]").await;
            wait_text(c, ".alert-success", "paid and confirmed", |t| {
                t.contains("Deposit received")
            })
            .await;
            c.goto(&format!("{base}{page}")).await.unwrap();
            wait_text(c, ".status-badge", "the quote accepted", |t| {
                t == "Accepted"
            })
            .await;
            screenshot(c, &format!("quote-accepted{suffix}.png")).await;
            // The balance's time comes (its job's time moved, not waited for): the email, then
            // the balance paid from the page.
            sqlx::query(
                "update jobs set run_at = 0 where kind = 'quotes.balance' and payload like $1",
            )
            .bind(format!("%{id}%"))
            .execute(app.state.db.pool())
            .await
            .unwrap();
            let to = format!("mei{round}@example.com");
            crate::support::eventually("the balance's email", Duration::from_secs(20), || async {
                let sent: i64 = sqlx::query_scalar(
                    "select count(*) from emails where to_address = $1 and subject like 'Your balance is due%'",
                )
                .bind(&to)
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
                (sent == 1).then_some(())
            })
            .await;
            c.goto(&format!("{base}{page}")).await.unwrap();
            click(c, "form[action$='/balance'] button[type=submit]").await;
            wait_text(c, ".dev-gateway h1", "the dev gateway", |t| !t.is_empty()).await;
            click(c, "button[value=pay]").await;
            wait_text(c, ".fully-paid", "fully paid", |t| t == "Fully paid").await;
            screenshot(c, &format!("quote-paid{suffix}.png")).await;
        }
    }
    let (accepted, confirmed): (i64, i64) = sqlx::query_as(
        "select (select count(*) from quotes where state = 'accepted' and accepted_extras = '2' \
                    and balance_paid_by = 'gateway'), \
                (select count(*) from bookings where status = 'confirmed' and type_name = 'Full-day shoot')",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!((accepted, confirmed), (4, 4));
    // Staff see the acceptance on the quote's page.
    let id: String = sqlx::query_scalar("select id from quotes order by created_at limit 1")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    s.goto(&format!("{base}/admin/quote/{id}")).await.unwrap();
    wait_text(s, "h1", "the quote's admin page", |t| {
        t.starts_with("Quote QT-")
    })
    .await;
    screenshot(s, "admin-quote-accepted.png").await;
}

/// Issue 15: a visitor whose browser is in another time zone sees each free time in their own
/// zone as well, under the studio's (the studio's zone alone without JavaScript).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_abroad_sees_times_in_their_own_zone_too() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    let driver = start_browser_in(&[], Some("America/New_York")).await;
    let c = &driver.client;
    c.goto(&format!("{}/book/consultation", app.base))
        .await
        .unwrap();
    click(c, "td.is-free a").await;
    wait_text(c, ".local-zone-note", "the visitor's zone", |t| {
        t.contains("America/New_York")
    })
    .await;
    let pairs = c
        .execute(
            "const a = document.querySelector('ul.time-list a');
             return [a.firstChild.textContent.trim(), a.querySelector('.local-time').textContent,
                     Number(a.getAttribute('data-start-utc'))];",
            vec![],
        )
        .await
        .unwrap();
    let start = jiff::Timestamp::from_second(pairs[2].as_i64().unwrap()).unwrap();
    let singapore = start.to_zoned(jiff::tz::TimeZone::get("Asia/Singapore").unwrap());
    let new_york = start.to_zoned(jiff::tz::TimeZone::get("America/New_York").unwrap());
    assert_eq!(
        pairs[0],
        singapore.strftime("%H:%M").to_string(),
        "the studio's time first"
    );
    let local = pairs[1].as_str().unwrap().to_owned();
    let (h12, m) = (
        new_york.strftime("%-I").to_string(),
        new_york.strftime("%M").to_string(),
    );
    assert!(
        local.contains(&format!(":{m}"))
            && (local.contains(&new_york.strftime("%H").to_string()) || local.contains(&h12)),
        "{local} should be {new_york}"
    );
    screenshot(c, "book-abroad.png").await;
}

/// A film of `seconds` made by ffmpeg: noise, losslessly coded, so it is tens of MiB and an
/// upload of it takes long enough to pause.
fn noisy_film(path: &std::path::Path, seconds: u32) {
    let ffmpeg = std::env::var("FFMPEG_PATH").unwrap_or_else(|_| "ffmpeg".into());
    let status = std::process::Command::new(&ffmpeg)
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size=640x360:rate=25:duration={seconds}"))
        .args([
            "-vf",
            "noise=alls=60:allf=t",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ])
        // One core: the suite's other tests share the machine.
        .args(["-threads", "1"])
        .args(["-qp", "0", "-pix_fmt", "yuv420p", "-movflags", "+faststart"])
        .arg(path)
        .status()
        .unwrap_or_else(|e| panic!("{ffmpeg}: {e} (scripts/test installs ffmpeg)"));
    assert!(status.success(), "ffmpeg made no film");
}

/// Delivery end to end: staff upload a film from the project page with the browser's own
/// resumable upload (progress bar, pause, resume) and send it for review; the client, in the
/// screening room, comments at the player's current time, approves, and writes the review the
/// approval asks for. axe-core on the project page and the room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_film_is_uploaded_commented_on_and_approved_in_the_browser() {
    let mut axe = Axe {
        source: axe_source(),
        found: Vec::new(),
        visited: Vec::new(),
    };
    let app = TestApp::builder(Backend::Sqlite)
        .var("UPLOAD_BLOCK_SIZE_MB", "1")
        .spawn()
        .await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let t = flashstudio::db::now();
    sqlx::query(
        "insert into quotes (id, reference, state, name, email, service, description, created_at,
         updated_at) values ('00000000-0000-7000-8008-0000000000a1', 'Q-0000A1', 'accepted',
         'Mira Tan', 'mira@example.com', 'Brand film', 'A launch film', $1, $1)",
    )
    .bind(t)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    let files = tempfile::tempdir().unwrap();
    let film = files.path().join("launch-film.mp4");
    noisy_film(&film, 8);
    let film_size = std::fs::metadata(&film).unwrap().len();
    assert!(
        film_size > 8 * 1024 * 1024,
        "a film worth pausing: {film_size} bytes"
    );

    let base = app.base.clone();
    let driver = start_browser().await;
    let c = &driver.client;
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(c, "#email", ADMIN).await;
    fill(c, "#password", PASSWORD).await;
    click(c, "form button[type=submit]").await;
    wait_text(c, "h1", "admin dashboard", |t| !t.is_empty()).await;
    c.goto(&format!(
        "{base}/admin/quote/00000000-0000-7000-8008-0000000000a1"
    ))
    .await
    .unwrap();
    click(c, "form[action^='/admin/project-from-quote/'] button").await;
    wait_text(c, "h1", "the project page", |t| t.contains("Brand film")).await;
    fill(c, "#title", "Launch film").await;
    click(c, "form[action$='/deliverables'] button[type=submit]").await;
    wait_text(c, "#flash", "the deliverable added", |t| !t.is_empty()).await;

    // The upload: start, pause as soon as bytes flow, resume; it completes and becomes v1.
    click(c, "article.deliverable details summary").await;
    assert!(
        is_displayed(c, "[data-resumable]").await,
        "the uploader shows with JS"
    );
    c.find(Locator::Css("[data-resumable] input[type=file]"))
        .await
        .unwrap()
        .send_keys(&film.display().to_string())
        .await
        .unwrap();
    fill(c, "article.deliverable textarea[name=note]", "First cut").await;
    let paused_at = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const box = document.querySelector('[data-resumable]');
             box.querySelector('[data-start]').click();
             const poll = setInterval(() => {
               const v = box.querySelector('progress').value;
               if (v > 0) { clearInterval(poll); box.querySelector('[data-pause]').click(); done(v); }
             }, 1);",
            vec![],
        )
        .await
        .unwrap();
    let paused_at = paused_at.as_f64().unwrap();
    assert!(
        paused_at > 0.0 && paused_at < 100.0,
        "paused mid-way: {paused_at}"
    );
    let status = wait_text(c, "[data-status]", "the pause", |t| {
        t.starts_with("Paused at")
    })
    .await;
    screenshot(c, "delivery-upload-paused.png").await;
    let stored: i64 = sqlx::query_scalar("select received from resumable_uploads")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert!(
        stored < i64::try_from(film_size).unwrap(),
        "{status}: {stored} bytes stored"
    );
    click(c, "[data-start]").await;
    wait_text(c, "#flash", "the version added", |t| {
        t.contains("Version v1 added")
    })
    .await;
    let versions = text_of(c, "ul.versions").await;
    assert!(versions.contains("launch-film.mp4"), "{versions}");
    axe.check(c, "delivery-project").await;
    let media: String = sqlx::query_scalar("select media_id from deliverable_versions")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let blob = flashstudio::media::store::find_ready(app.state.db.pool(), &media)
        .await
        .unwrap()
        .unwrap();
    let bytes = app
        .state
        .storage
        .get(&blob.blob_key, None)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        bytes.as_ref(),
        std::fs::read(&film).unwrap().as_slice(),
        "stored byte for byte"
    );
    click(c, "form[action$='/state'] button").await;
    wait_text(c, "#flash", "sent for review", |t| !t.is_empty()).await;
    let link = c
        .find(Locator::Css("#client-link ~ p a.mono"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();

    // The client: a comment at the player's time, then the approval and the review.
    c.goto(&link).await.unwrap();
    for _ in 0..100 {
        let ready = c
            .execute(
                "const v = document.querySelector('video'); return v ? v.readyState : 0;",
                vec![],
            )
            .await
            .unwrap();
        if ready.as_i64().unwrap_or(0) >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.execute(
        "document.querySelector('video').currentTime = 3.2; return null;",
        vec![],
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    click(c, "[data-current-time]").await;
    let at = c
        .find(Locator::Css("input[name=at]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(at, "00:03", "the time comes from the player");
    fill(
        c,
        ".comments-panel textarea[name=body]",
        "The logo is too small here",
    )
    .await;
    click(c, ".comments-panel button[type=submit]").await;
    wait_text(c, "#flash", "the comment added", |t| {
        t.contains("Comment added")
    })
    .await;
    let thread = text_of(c, ".comments-panel").await;
    assert!(
        thread.contains("0:03") && thread.contains("The logo is too small here"),
        "{thread}"
    );
    axe.check(c, "delivery-room-comment").await;
    click(c, "button[value=approved]").await;
    wait_text(c, "#flash", "the approval", |t| t.contains("you approved")).await;
    let asked: i64 = sqlx::query_scalar(
        "select count(*) from emails where to_address = 'mira@example.com' and subject like 'How was working with us?%'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(asked, 1, "the review is asked for once");
    c.find(Locator::Css("#review-rating"))
        .await
        .unwrap()
        .select_by_value("5")
        .await
        .unwrap();
    fill(c, "#review-body", "Calm, quick and the film is beautiful.").await;
    click(c, "#review button[type=submit]").await;
    wait_text(c, "#review", "the review kept", |t| {
        t.contains("the studio reads it")
    })
    .await;
    screenshot(c, "delivery-room-approved.png").await;
    axe.check(c, "delivery-room-approved").await;
    assert!(
        axe.found.is_empty(),
        "axe-core found:\n{}",
        axe.found.join("\n")
    );
    driver.client.clone().close().await.unwrap();
    app.stop().await;
}
