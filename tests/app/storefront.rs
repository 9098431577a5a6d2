//! The public site, the shop, the cart and the admin's inline tables, on SQLite and
//! PostgreSQL, with the demo catalog.

use flashstudio::demo::{SeedOptions, seed};
use flashstudio::identity::model::Role;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{Backend, Browser, TestApp, location};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery";

async fn shop(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .expect("demo content");
    app
}

async fn product_id(app: &TestApp, slug: &str) -> String {
    sqlx::query_scalar("select id from products where slug = $1")
        .bind(slug)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// (value id, label) of a product's offered values in `group`.
async fn values(app: &TestApp, slug: &str, group: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "select v.id, v.label from option_values v
         join option_groups g on g.id = v.group_id
         join product_option_values pov on pov.value_id = v.id
         join products p on p.id = pov.product_id
         where p.slug = $1 and g.name = $2 order by v.sort_order",
    )
    .bind(slug)
    .bind(group)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
}

async fn value_of(app: &TestApp, group: &str, label: &str) -> String {
    sqlx::query_scalar(
        "select v.id from option_values v join option_groups g on g.id = v.group_id
         where g.name = $1 and v.label = $2",
    )
    .bind(group)
    .bind(label)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

async fn cart_lines(app: &TestApp) -> Vec<(String, String, i64)> {
    sqlx::query_as(
        "select l.id, p.slug, l.quantity from cart_lines l join products p on p.id = l.product_id
         order by p.slug, l.option_key",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
}

/// Adds to the cart as a plain form (no htmx).
async fn add(b: &Browser, product: &str, options: &[&str], quantity: &str) -> reqwest::Response {
    let mut fields: Vec<(&str, &str)> = vec![("product", product), ("quantity", quantity)];
    for o in options {
        fields.push(("options", o));
    }
    b.post_form("/cart/add", &fields).await
}

async fn every_public_page_answers(backend: Backend) {
    let app = shop(backend).await;
    for path in [
        "/",
        "/shop",
        "/shop?q=marina&sort=-price&min=10&max=500",
        "/shop?category=drone-footage&kind=print",
        "/shop?page=2",
        "/shop?min=abc",
        "/shop?q=%00%27%22%25_&category=%00&sort=%00",
        "/portfolio",
        "/portfolio?category=drone-footage",
        "/portfolio/kopi-stories",
        "/services",
        "/packages",
        "/packages/corporate-story",
        "/about",
        "/contact",
        "/quote?package=wedding-film",
        "/faq",
        "/client-reviews",
        "/cart",
        "/products/marina-bay-blue-hour",
        "/products/cinematic-luts",
        "/sitemap.xml",
        "/robots.txt",
    ] {
        let (status, body) = app.get_text(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!body.is_empty(), "{path}");
    }
    let (_, home) = app.get_text("/").await;
    assert!(home.contains("og:title"), "Open Graph tags");
    assert!(
        home.contains("Harbourfront"),
        "featured work on the home page"
    );
    let (_, sitemap) = app.get_text("/sitemap.xml").await;
    assert!(sitemap.contains("/products/marina-bay-blue-hour"));
    assert!(sitemap.contains("/portfolio/kopi-stories"));
    for missing in [
        "/products/nope",
        "/portfolio/nope",
        "/packages/nope",
        "/products/%00",
    ] {
        assert_eq!(
            app.get(missing).await.status(),
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
    // The quick view is a fragment for htmx; a plain visit goes to the product page.
    let quick = app
        .client
        .get(app.url("/products/first-dance/quick-view"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(quick.status(), StatusCode::OK);
    let quick = quick.text().await.unwrap();
    assert!(quick.contains("quick-view-panel") && !quick.contains("<html"));
    assert!(
        quick.contains("name=\"options\""),
        "option pickers in the quick view"
    );
    let plain = app.get("/products/first-dance/quick-view").await;
    assert_eq!(plain.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&plain), "/products/first-dance");
    // Portfolio videos are never products.
    let (_, films_in_shop) = app.get_text("/shop?q=harbourfront").await;
    assert!(films_in_shop.contains("0 products"));
    // A filtered shop fragment for htmx, and the full page otherwise.
    let fragment = app
        .client
        .get(app.url("/shop?category=drone-footage"))
        .header("HX-Request", "true")
        .header("HX-Target", "shop-results")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(fragment.starts_with("<div") && fragment.contains("id=\"shop-results\""));
    assert!(!fragment.contains("<html"));
    assert!(fragment.contains("Marina Bay"));
    assert!(!fragment.contains("First Dance"));
}

async fn options_price_on_the_server_and_foreign_values_are_refused(backend: Backend) {
    let app = shop(backend).await;
    let big = value_of(&app, "Size", "40 × 60 cm").await;
    let black = value_of(&app, "Frame", "Black oak").await;
    // 65.00 + 80.00 + 45.00
    let (status, block) = app
        .get_text(&format!(
            "/products/marina-bay-blue-hour/price?options={big}&options={black}&quantity=2"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(block.contains("S$190.00"), "{block}");
    assert!(block.contains("S$380.00"), "{block}");
    // "First Dance" offers only the small sizes and two frames.
    let (status, _) = app
        .get_text(&format!("/products/first-dance/price?options={big}"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .get_text("/products/first-dance?options=not-a-value")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let licence = value_of(&app, "Licence", "Commercial").await;
    let id = product_id(&app, "first-dance").await;
    let small = values(&app, "first-dance", "Size").await[0].0.clone();
    let none = values(&app, "first-dance", "Frame").await[0].0.clone();
    // Tampering: a foreign value, a price field, a missing group.
    for options in [
        vec![small.as_str(), licence.as_str()],
        vec![big.as_str(), none.as_str()],
        vec![small.as_str()],
    ] {
        let resp = add(&app, &id, &options, "1").await;
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{options:?}"
        );
    }
    assert!(cart_lines(&app).await.is_empty(), "nothing was added");
    let resp = app
        .post_form(
            "/cart/add",
            &[
                ("product", &id),
                ("options", &small),
                ("options", &none),
                ("quantity", "2"),
                ("price", "1"),
                ("unit_price_minor", "1"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, cart) = app.get_text("/cart").await;
    assert!(
        cart.contains("S$96.00"),
        "the catalog price, not the posted one: {cart}"
    );
    // An unknown product is 404, not 500.
    let resp = add(&app, "00000000-0000-0000-0000-000000000000", &[], "1").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // A price change reaches the cart at once.
    sqlx::query("update products set price_minor = 5000 where slug = 'first-dance'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let (_, cart) = app.get_text("/cart").await;
    assert!(cart.contains("S$100.00"), "{cart}");
}

async fn stock_bounds_every_line_of_a_product(backend: Backend) {
    let app = shop(backend).await;
    // "Launch Night" has 3 in stock.
    let id = product_id(&app, "launch-night-confetti").await;
    let sizes = values(&app, "launch-night-confetti", "Size").await;
    let frames = values(&app, "launch-night-confetti", "Frame").await;
    let resp = add(&app, &id, &[&sizes[0].0, &frames[0].0], "5").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(cart_lines(&app).await[0].2, 3, "capped at stock");
    let resp = add(&app, &id, &[&sizes[1].0, &frames[0].0], "1").await;
    assert_eq!(
        resp.status(),
        StatusCode::CONFLICT,
        "no stock left for another line"
    );
    let resp = add(&app, &id, &[&sizes[0].0, &frames[0].0], "abc").await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Sold out.
    let sold_out = product_id(&app, "pulau-ubin-mangroves").await;
    let s = values(&app, "pulau-ubin-mangroves", "Size").await;
    let f = values(&app, "pulau-ubin-mangroves", "Frame").await;
    assert_eq!(
        add(&app, &sold_out, &[&s[0].0, &f[0].0], "1")
            .await
            .status(),
        StatusCode::CONFLICT
    );
    // Setting a quantity over the stock caps it.
    let line = cart_lines(&app).await[0].0.clone();
    let resp = app
        .post_form(&format!("/cart/lines/{line}"), &[("quantity", "50")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(cart_lines(&app).await[0].2, 3);
    // Digital files: one per order.
    let luts = product_id(&app, "cinematic-luts").await;
    let personal = value_of(&app, "Licence", "Personal").await;
    add(&app, &luts, &[&personal], "3").await;
    let lines = cart_lines(&app).await;
    assert_eq!(lines.iter().find(|l| l.1 == "cinematic-luts").unwrap().2, 1);
}

async fn two_tabs_editing_one_cart_agree(backend: Backend) {
    let app = shop(backend).await;
    let id = product_id(&app, "marina-bay-blue-hour").await;
    let sizes = values(&app, "marina-bay-blue-hour", "Size").await;
    let frames = values(&app, "marina-bay-blue-hour", "Frame").await;
    let token = app.csrf().await;
    // Two tabs (same cookies) double-clicking "add" 16 times at once.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let b = app.browser.clone();
        let (id, size, frame, token) = (
            id.clone(),
            sizes[i % 2].0.clone(),
            frames[0].0.clone(),
            token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            b.post_form_raw(
                "/cart/add",
                &[
                    ("product", &id),
                    ("options", &size),
                    ("options", &frame),
                    ("quantity", "1"),
                    ("csrf_token", &token),
                ],
            )
            .await
            .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::SEE_OTHER);
    }
    let lines = cart_lines(&app).await;
    assert_eq!(lines.len(), 2, "one line per choice, never duplicates");
    assert_eq!(
        lines.iter().map(|l| l.2).sum::<i64>(),
        16,
        "no lost updates"
    );
    // One tab removes a line while the other changes its quantity: one wins cleanly.
    let line = lines[0].0.clone();
    let (delete_path, update_path) = (
        format!("/cart/lines/{line}/delete"),
        format!("/cart/lines/{line}"),
    );
    let delete_fields = [("csrf_token", token.as_str())];
    let update_fields = [("quantity", "4"), ("csrf_token", token.as_str())];
    let (a, b) = tokio::join!(
        app.post_form_raw(&delete_path, &delete_fields),
        app.post_form_raw(&update_path, &update_fields),
    );
    let statuses = [a.status(), b.status()];
    assert!(statuses.contains(&StatusCode::SEE_OTHER));
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::NOT_FOUND),
        "{statuses:?}"
    );
    // Another browser cannot touch these lines.
    let other = app.new_browser();
    let line = cart_lines(&app).await.last().unwrap().0.clone();
    let resp = other
        .post_form(&format!("/cart/lines/{line}"), &[("quantity", "1")])
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = other
        .post_form(&format!("/cart/lines/{line}/delete"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(cart_lines(&app).await.iter().any(|l| l.0 == line));
}

async fn the_guest_cart_joins_the_account_at_login(backend: Backend) {
    let app = shop(backend).await;
    app.create_user("client@example.com", PASSWORD, Role::Customer)
        .await;
    let id = product_id(&app, "marina-bay-blue-hour").await;
    let size = values(&app, "marina-bay-blue-hour", "Size").await[0]
        .0
        .clone();
    let frame = values(&app, "marina-bay-blue-hour", "Frame").await[0]
        .0
        .clone();
    let luts = product_id(&app, "cinematic-luts").await;
    let personal = value_of(&app, "Licence", "Personal").await;
    // The account already holds 2 of the print (from another device).
    let phone = app.new_browser();
    phone.login("client@example.com", PASSWORD).await;
    add(&phone, &id, &[&size, &frame], "2").await;
    // As a guest on this browser: 3 more of the same print and a download.
    add(&app, &id, &[&size, &frame], "3").await;
    add(&app, &luts, &[&personal], "1").await;
    let (_, body) = app.get_text("/cart").await;
    assert!(body.contains(">4<"), "guest badge shows 4: {body}");
    // A double-submitted login form: the guest lines are merged once.
    let token = app.csrf().await;
    let login = [
        ("email", "client@example.com"),
        ("password", PASSWORD),
        ("csrf_token", token.as_str()),
    ];
    let (first, second) = tokio::join!(
        app.post_form_raw("/login", &login),
        app.post_form_raw("/login", &login),
    );
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    let lines = cart_lines(&app).await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        lines
            .iter()
            .find(|l| l.1 == "marina-bay-blue-hour")
            .unwrap()
            .2,
        5
    );
    let carts: i64 = sqlx::query_scalar("select count(*) from carts")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(carts, 1, "the guest cart is gone");
    let (_, phone_cart) = phone.get_text("/cart").await;
    assert!(
        phone_cart.contains("Cinematic LUT Pack"),
        "both devices see one cart"
    );
    // Logging out leaves an empty guest cart.
    app.logout().await;
    let (_, cart) = app.get_text("/cart").await;
    assert!(cart.contains("Your cart is empty"));
}

async fn without_javascript_a_visitor_browses_and_fills_a_cart(backend: Backend) {
    let app = shop(backend).await;
    // Browse and filter with plain GETs.
    let (_, page) = app.get_text("/shop?kind=digital&sort=price").await;
    assert!(page.contains("Event Sound Kit"));
    assert!(!page.contains("Marina Bay, Blue Hour"));
    // Pick options by the no-JS "Update price" button (a GET of the product page).
    let big = value_of(&app, "Size", "60 × 90 cm").await;
    let walnut = value_of(&app, "Frame", "Natural walnut").await;
    let (status, page) = app
        .get_text(&format!(
            "/products/kampong-glam-morning?options={big}&options={walnut}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("S$280.00"), "55 + 160 + 65");
    // Add: a plain post and a redirect to the cart.
    let id = product_id(&app, "kampong-glam-morning").await;
    let resp = add(&app, &id, &[&big, &walnut], "2").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/cart");
    let (_, cart) = app.get_text("/cart").await;
    assert!(cart.contains("Size: 60 × 90 cm · Frame: Natural walnut"));
    assert!(cart.contains("S$560.00"));
    // Change the quantity and remove, as forms.
    let line = cart_lines(&app).await[0].0.clone();
    let resp = app
        .post_form(&format!("/cart/lines/{line}"), &[("quantity", "1")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, cart) = app.get_text("/cart").await;
    assert!(cart.contains("S$280.00"));
    // The same change by htmx answers with the line, the totals and the badge together.
    let token = app.csrf().await;
    let fragment = app
        .client
        .post(app.url(&format!("/cart/lines/{line}")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", token)
        .form(&[("quantity", "3")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(fragment.contains(&format!("id=\"line-{line}\"")));
    let totals = fragment
        .split("<aside")
        .nth(1)
        .expect("totals in the answer");
    assert!(totals.contains("id=\"cart-totals\"") && totals.contains("hx-swap-oob=\"true\""));
    assert!(fragment.contains("id=\"cart-badge\""));
    assert!(fragment.contains("S$840.00"));
    let resp = app
        .post_form(&format!("/cart/lines/{line}/delete"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(cart_lines(&app).await.is_empty());
}

async fn contact_messages_are_stored_and_staff_emailed(backend: Backend) {
    let app = shop(backend).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let resp = app
        .post_form(
            "/contact",
            &[
                ("kind", "partnership"),
                ("name", ""),
                ("email", "x"),
                ("message", "hi"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = resp.text().await.unwrap();
    assert!(body.contains("Enter your name."));
    let resp = app
        .post_form(
            "/contact",
            &[
                ("kind", "partnership"),
                ("name", "Ana <script>\u{0}"),
                ("email", "ana@example.com"),
                ("message", "We run a festival and would like to talk."),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (kind, status): (String, String) =
        sqlx::query_as("select kind, status from contact_messages")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!((kind.as_str(), status.as_str()), ("partnership", "new"));
    let (to, subject): (String, String) =
        sqlx::query_as("select to_address, subject from emails where kind = 'contact_message'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(to, ADMIN);
    assert!(subject.starts_with("Partnership enquiry"));
    app.login(ADMIN, PASSWORD).await;
    let (_, inbox) = app.get_text("/admin/contact-messages").await;
    assert!(inbox.contains("Ana &lt;script&gt;"), "escaped in the inbox");
}

/// (version, title) of a product.
async fn product_row(app: &TestApp, id: &str) -> (i64, String) {
    sqlx::query_as("select version, title from products where id = $1")
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn inline_edits_are_audited_and_stale_ones_refused(backend: Backend) {
    let app = shop(backend).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    app.create_user("client@example.com", PASSWORD, Role::Customer)
        .await;
    let customer = app.new_browser();
    customer.login("client@example.com", PASSWORD).await;
    assert_eq!(
        customer.get("/admin/products").await.status(),
        StatusCode::FORBIDDEN
    );
    app.login(ADMIN, PASSWORD).await;
    for table in [
        "products",
        "option-groups",
        "option-values",
        "categories",
        "portfolio",
        "packages",
        "faqs",
        "studio-details",
        "contact-messages",
    ] {
        let (status, _) = app.get_text(&format!("/admin/{table}")).await;
        assert_eq!(status, StatusCode::OK, "{table}");
    }
    assert_eq!(app.get("/admin/nope").await.status(), StatusCode::NOT_FOUND);
    let id = product_id(&app, "studio-cove").await;
    assert_eq!(
        app.get(&format!("/admin/products/{id}/password/edit"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let (version, _) = product_row(&app, &id).await;

    // Two admins open the same cell; the first saves, the second is refused.
    let (status, editor) = app
        .get_text(&format!("/admin/products/{id}/title/edit"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(editor.contains(&format!("name=\"version\" value=\"{version}\"")));
    let v = version.to_string();
    let resp = app
        .post_form(
            &format!("/admin/products/{id}/title"),
            &[("value", "The White Cove II"), ("version", &v)],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = app
        .post_form(
            &format!("/admin/products/{id}/title"),
            &[("value", "Overwritten"), ("version", &v)],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.unwrap().contains("The White Cove II"));
    assert_eq!(
        product_row(&app, &id).await,
        (version + 1, "The White Cove II".to_owned())
    );

    // Invalid values come back inline with the message (htmx) and change nothing.
    let token = app.csrf().await;
    let v2 = (version + 1).to_string();
    for (field, value, message) in [
        ("price_minor", "-5", "zero or more"),
        ("price_minor", "12.345", "two decimal places"),
        ("slug", "Not A Slug", "lowercase"),
        ("slug", "marina-bay-blue-hour", "already has this slug"),
        ("stock", "lots", "whole number"),
        ("kind", "ebook", "listed values"),
        ("title", "  ", "cannot be empty"),
    ] {
        let resp = app
            .client
            .post(app.url(&format!("/admin/products/{id}/{field}")))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &token)
            .form(&[("value", value), ("version", &v2)])
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
        let body = resp.text().await.unwrap();
        assert!(body.contains(message), "{field}={value}: {body}");
        assert!(body.contains("cell-form"));
    }
    // A valid htmx save answers with the display cell.
    let cell = app
        .client
        .post(app.url(&format!("/admin/products/{id}/price_minor")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &token)
        .form(&[("value", "42.50"), ("version", &v2)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(cell.contains("S$42.50"), "{cell}");
    let (_, page) = app.get_text("/products/studio-cove").await;
    assert!(page.contains("S$42.50"), "the shop shows the new price");

    // Bulk and create.
    let luts = product_id(&app, "cinematic-luts").await;
    let resp = app
        .post_form(
            "/admin/products/bulk",
            &[("action", "deactivate"), ("ids", &id), ("ids", &luts)],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/products/studio-cove").await.status(),
        StatusCode::NOT_FOUND
    );
    let resp = app
        .post_form(
            "/admin/products/new",
            &[
                ("title", "Night Market"),
                ("kind", "print"),
                ("price_minor", "30"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = app
        .post_form(
            "/admin/products/new",
            &[("title", ""), ("kind", "print"), ("price_minor", "x")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Product options: only existing values, against the version.
    let (version, _) = product_row(&app, &luts).await;
    let commercial = value_of(&app, "Licence", "Commercial").await;
    let resp = app
        .post_form(
            &format!("/admin/product-options/{luts}"),
            &[("values", &commercial), ("version", &version.to_string())],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = app
        .post_form(
            &format!("/admin/product-options/{luts}"),
            &[("values", &commercial), ("version", &version.to_string())],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    let audit: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
        "select action, entity_id, before_json, after_json from audit_log order by created_at, id",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "product.update").count(),
        2,
        "two saves, no entry for refused ones: {actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "product.deactivate")
            .count(),
        2
    );
    assert!(actions.contains(&"product.create"));
    assert!(actions.contains(&"product.options"));
    let title_change = audit.iter().find(|a| a.0 == "product.update").unwrap();
    assert!(
        title_change
            .2
            .as_deref()
            .unwrap()
            .contains("The White Cove")
    );
    assert!(
        title_change
            .3
            .as_deref()
            .unwrap()
            .contains("The White Cove II")
    );
    let (_, log) = app.get_text("/admin/audit").await;
    assert!(log.contains("product.update"));
    // In words: the row by its title, the change field by field; the id only in links.
    assert!(
        log.contains(
            "<strong>title</strong>: <del>The White Cove</del> → <ins>The White Cove II</ins>"
        ),
        "the title change in words"
    );
    assert!(log.contains("product: The White Cove II"));
    let visible: String = log
        .split("<td")
        .filter_map(|cell| cell.split_once('>').map(|(_, rest)| rest))
        .map(|rest| rest.split("<details").next().unwrap_or(rest))
        .collect();
    let visible_text = visible.split('"').step_by(2).collect::<String>();
    assert!(
        !visible_text.contains(&luts),
        "no raw product id in the log's visible text"
    );
    let (_, one_row) = app
        .get_text(&format!("/admin/audit?entity=product&id={luts}"))
        .await;
    assert!(one_row.contains("product.options") && !one_row.contains("product.create"));

    // Studio details: the contact page shows an edit at once.
    let (detail, version): (String, i64) =
        sqlx::query_as("select id, version from studio_details where key = 'phone'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let resp = app
        .post_form(
            &format!("/admin/studio-details/{detail}/value"),
            &[
                ("value", "+65 9999 0000"),
                ("version", &version.to_string()),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, contact) = app.get_text("/contact").await;
    assert!(contact.contains("+65 9999 0000"));
    // A read-only column cannot be edited.
    let resp = app
        .post_form(
            &format!("/admin/studio-details/{detail}/label"),
            &[("value", "Hacked"), ("version", &(version + 1).to_string())],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

async fn stale_edits_race_cleanly(backend: Backend) {
    let app = shop(backend).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    app.login(ADMIN, PASSWORD).await;
    let id = product_id(&app, "hawker-heroes").await;
    let (version, _) = product_row(&app, &id).await;
    let token = app.csrf().await;
    let v = version.to_string();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let b = app.browser.clone();
        let (id, token, v) = (id.clone(), token.clone(), v.clone());
        tasks.push(tokio::spawn(async move {
            let title = format!("Hawker Heroes {i}");
            b.post_form_raw(
                &format!("/admin/products/{id}/title"),
                &[("value", &title), ("version", &v), ("csrf_token", &token)],
            )
            .await
            .status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(product_row(&app, &id).await.0, version + 1);
    let audits: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'product.update'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(audits, 1);
}

async fn abandoned_guest_carts_are_swept(backend: Backend) {
    let app = shop(backend).await;
    app.create_user("client@example.com", PASSWORD, Role::Customer)
        .await;
    let id = product_id(&app, "wedding-titles").await;
    let guest = app.new_browser();
    add(&guest, &id, &[], "1").await;
    let member = app.new_browser();
    member.login("client@example.com", PASSWORD).await;
    add(&member, &id, &[], "1").await;
    sqlx::query("update carts set updated_at = 0")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let swept = flashstudio::cart::store::delete_stale_guest_carts(app.state.db.pool(), 1000)
        .await
        .unwrap();
    assert_eq!(swept, 1, "only the guest's");
    let (carts, lines): (i64, i64) =
        sqlx::query_as("select (select count(*) from carts), (select count(*) from cart_lines)")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(
        (carts, lines),
        (1, 1),
        "the account's cart and its line stay"
    );
}

async fn seeding_twice_changes_nothing(backend: Backend) {
    let app = shop(backend).await;
    let report = seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    assert_eq!(
        report.products + report.videos + report.categories + report.packages + report.faqs,
        0
    );
    let (products, media): (i64, i64) =
        sqlx::query_as("select (select count(*) from products), (select count(*) from media)")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(products, 12);
    assert_eq!(
        media, 22,
        "12 product images, 6 posters and 4 files of the digital products"
    );
}

/// With ffmpeg (installed by scripts/test), the demo films get generated clips that play with
/// range requests from their pages.
async fn demo_films_play(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = seed(&app.state, SeedOptions { clips: true }).await.unwrap();
    assert_eq!(report.clips, 6, "ffmpeg must be installed for this test");
    let (_, page) = app.get_text("/portfolio/coastline-from-above").await;
    let src = page
        .split("<source src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a video source on the film page")
        .replace("&amp;", "&");
    let resp = app
        .client
        .get(app.url(&src))
        .header("Range", "bytes=0-1023")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.headers()["content-type"], "video/mp4");
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(bytes.len(), 1024);
    assert_eq!(&bytes[4..8], b"ftyp", "an MP4 file");
}

on_both_backends!(
    demo_films_play,
    every_public_page_answers,
    options_price_on_the_server_and_foreign_values_are_refused,
    stock_bounds_every_line_of_a_product,
    two_tabs_editing_one_cart_agree,
    the_guest_cart_joins_the_account_at_login,
    without_javascript_a_visitor_browses_and_fills_a_cart,
    contact_messages_are_stored_and_staff_emailed,
    inline_edits_are_audited_and_stale_ones_refused,
    stale_edits_race_cleanly,
    seeding_twice_changes_nothing,
    abandoned_guest_carts_are_swept,
);
