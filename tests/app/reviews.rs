//! Product reviews: writing and editing one, validation, verified purchases, moderation in the
//! admin table (approve, hide, reply), deleting with a confirmation, and what product pages
//! show. On SQLite and PostgreSQL, with the demo catalog.

use flashstudio::demo::{SeedOptions, seed};
use flashstudio::identity::model::Role;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{Backend, Browser, TestApp, TestAppBuilder, location};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery";
const PRINT: &str = "marina-bay-blue-hour";

/// A review row as stored: (id, rating, title, body, verified, status, version).
type Stored = (String, i64, String, String, i64, String, i64);

async fn seeded(builder: TestAppBuilder) -> TestApp {
    let app = builder.spawn().await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .expect("demo content");
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    app
}

async fn shop(backend: Backend) -> TestApp {
    seeded(TestApp::builder(backend)).await
}

/// A signed-in customer's browser (the app's default browser is the admin's).
async fn customer(app: &TestApp, email: &str) -> Browser {
    app.create_user(email, PASSWORD, Role::Customer).await;
    let b = app.new_browser();
    assert_eq!(
        b.login(email, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    b
}

async fn as_admin(app: &TestApp) {
    assert_eq!(
        app.login(ADMIN, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn id_of(app: &TestApp, sql: &str, key: &str) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(key)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn product_id(app: &TestApp, slug: &str) -> String {
    id_of(app, "select id from products where slug = $1", slug).await
}

async fn user_id(app: &TestApp, email: &str) -> String {
    id_of(app, "select id from users where email = $1", email).await
}

async fn stored(app: &TestApp) -> Vec<Stored> {
    sqlx::query_as(
        "select id, rating, title, body, verified, status, version from reviews
         order by created_at, id",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
}

async fn only_review(app: &TestApp) -> Stored {
    let mut rows = stored(app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.remove(0)
}

async fn write(
    b: &Browser,
    slug: &str,
    rating: &str,
    title: &str,
    body: &str,
) -> reqwest::Response {
    b.post_form(
        &format!("/products/{slug}/reviews"),
        &[("rating", rating), ("title", title), ("body", body)],
    )
    .await
}

/// Writes a review that must be accepted (303 back to the product's reviews).
async fn write_ok(b: &Browser, slug: &str, rating: &str, title: &str, body: &str) {
    let resp = write(b, slug, rating, title, body).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/products/{slug}#reviews"));
}

async fn page(b: &Browser, slug: &str) -> String {
    let (status, body) = b.get_text(&format!("/products/{slug}")).await;
    assert_eq!(status, StatusCode::OK);
    body
}

/// The admin applies a bulk action of the reviews table to `ids`.
async fn bulk(app: &TestApp, action: &str, ids: &[&str]) {
    let mut fields = vec![("action", action)];
    fields.extend(ids.iter().map(|id| ("ids", *id)));
    let resp = app.post_form("/admin/reviews/bulk", &fields).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

/// The admin saves one field of a review inline, against its current version.
async fn save(app: &TestApp, id: &str, field: &str, value: &str) -> reqwest::Response {
    let version: i64 = sqlx::query_scalar("select version from reviews where id = $1")
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    app.post_form(
        &format!("/admin/reviews/{id}/{field}"),
        &[("value", value), ("version", &version.to_string())],
    )
    .await
}

/// Inserts an order of `user` for `product` in `status`, as checkout and payment would.
async fn order(app: &TestApp, user: &str, product: &str, status: &str) {
    let id = flashstudio::db::new_id();
    let now = flashstudio::db::now();
    let pool = app.state.db.pool();
    sqlx::query(
        "insert into orders (id, number, status, user_id, cart_key, fingerprint, email, name,
                             currency, subtotal_minor, total_minor, hold_expires_at,
                             created_at, updated_at)
         values ($1, $2, $3, $4, $5, 'fp', 'buyer@example.com', 'Buyer', 'SGD', 9000, 9000,
                 $6, $6, $6)",
    )
    .bind(&id)
    .bind(format!("FS-{}", &id[id.len() - 8..]))
    .bind(status)
    .bind(user)
    .bind(format!("u:{user}"))
    .bind(now)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into order_lines (id, order_id, position, product_id, product_slug, kind, title,
                                  unit_price_minor, quantity, total_minor)
         values ($1, $2, 1, $3, 'x', 'print', 'A print', 9000, 1, 9000)",
    )
    .bind(flashstudio::db::new_id())
    .bind(&id)
    .bind(product)
    .execute(pool)
    .await
    .unwrap();
}

async fn signed_out_visitors_and_customers_cannot_moderate_or_write(backend: Backend) {
    let app = shop(backend).await;
    let visitor = app.new_browser();

    let body = page(&visitor, PRINT).await;
    assert!(body.contains("Log in to review"), "login link");
    assert!(body.contains("No reviews yet."));
    assert!(!body.contains("name=\"rating\""), "no form for visitors");

    // With a valid CSRF token: sent to the login page. Without one: refused outright.
    let resp = write(&visitor, PRINT, "5", "", "Lovely").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).starts_with("/login"), "{}", location(&resp));
    let resp = visitor
        .post_form_raw(
            &format!("/products/{PRINT}/reviews"),
            &[("rating", "5"), ("body", "Lovely")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(stored(&app).await.is_empty());

    let client = customer(&app, "client@example.com").await;
    for path in [
        "/admin/reviews",
        "/admin/review-delete/0190a7f0-0000-7000-8000-000000000000",
    ] {
        assert_eq!(
            client.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        client
            .post_form("/admin/reviews/bulk", &[("action", "approve")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // Unknown products are 404, for customers too.
    assert_eq!(
        write(&client, "no-such-print", "5", "", "Lovely")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert!(stored(&app).await.is_empty());
}

async fn invalid_reviews_come_back_with_their_errors(backend: Backend) {
    let app = shop(backend).await;
    let client = customer(&app, "client@example.com").await;
    let long_body = "b".repeat(4001);
    let long_title = "t".repeat(121);
    for (rating, title, body, message) in [
        (
            "",
            "Nice",
            "Good print",
            "Choose a rating from 1 to 5 stars.",
        ),
        (
            "0",
            "Nice",
            "Good print",
            "Choose a rating from 1 to 5 stars.",
        ),
        (
            "6",
            "Nice",
            "Good print",
            "Choose a rating from 1 to 5 stars.",
        ),
        (
            "4.5",
            "Nice",
            "Good print",
            "Choose a rating from 1 to 5 stars.",
        ),
        ("4", "Nice", "   ", "Tell other customers what you thought."),
        (
            "4",
            "Nice",
            long_body.as_str(),
            "Use at most 4,000 characters.",
        ),
        (
            "4",
            long_title.as_str(),
            "Good print",
            "Use at most 120 characters.",
        ),
    ] {
        let resp = write(&client, PRINT, rating, title, body).await;
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{rating:?} {title:?}"
        );
        let html = resp.text().await.unwrap();
        assert!(html.contains(message), "{message}");
        assert!(html.contains("Please correct the fields marked below."));
        // The whole product page, with what was typed kept.
        assert!(html.contains("Marina Bay"), "the product page");
        assert!(html.contains("Add to cart"));
        if title == "Nice" {
            assert!(html.contains("value=\"Nice\""), "title kept");
        }
    }
    // The rating typed is kept too.
    let html = write(&client, PRINT, "3", "", "")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("value=\"3\" checked"), "rating kept");
    assert!(stored(&app).await.is_empty());
}

async fn a_new_review_waits_for_moderation_then_shows_once_approved(backend: Backend) {
    let app = shop(backend).await;
    let ana = customer(&app, "ana@example.com").await;
    sqlx::query("update users set display_name = 'Ana T.' where email = 'ana@example.com'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    write_ok(
        &ana,
        PRINT,
        "4",
        "Deep blues",
        "The colours are deeper than on screen.",
    )
    .await;
    let (id, rating, title, body, verified, status, _) = only_review(&app).await;
    assert_eq!(
        (
            rating,
            title.as_str(),
            body.as_str(),
            verified,
            status.as_str()
        ),
        (
            4,
            "Deep blues",
            "The colours are deeper than on screen.",
            0,
            "pending"
        )
    );
    let (_, flashed) = ana.get_text(&format!("/products/{PRINT}")).await;
    assert!(flashed.contains("will appear once the studio has checked it"));
    assert!(
        flashed.contains("awaiting moderation"),
        "the reviewer sees it waiting"
    );
    assert!(flashed.contains("Edit your review"));

    let visitor = app.new_browser();
    let public = page(&visitor, PRINT).await;
    assert!(
        !public.contains("deeper than on screen"),
        "pending reviews are not shown"
    );
    assert!(public.contains("No reviews yet."));

    // The moderation table lists it with its product and reviewer, and filters by status.
    as_admin(&app).await;
    let (status, table) = app.get_text("/admin/reviews").await;
    assert_eq!(status, StatusCode::OK);
    assert!(table.contains("Marina Bay"), "product title");
    assert!(table.contains("Ana T."), "reviewer");
    assert!(table.contains("Deep blues"));
    assert!(table.contains("Pending"));
    let (_, dashboard) = app.get_text("/admin").await;
    assert!(dashboard.contains("Reviews to moderate"));
    let (status, pending) = app.get_text("/admin/reviews?f.status=pending").await;
    assert_eq!(status, StatusCode::OK);
    assert!(pending.contains("Deep blues"));
    let (_, approved) = app.get_text("/admin/reviews?f.status=approved").await;
    assert!(!approved.contains("Deep blues"));
    let (status, found) = app.get_text("/admin/reviews?q=ana").await;
    assert_eq!(status, StatusCode::OK);
    assert!(found.contains("Deep blues"), "search by reviewer");
    let (status, sorted) = app.get_text("/admin/reviews?sort=-product").await;
    assert_eq!(status, StatusCode::OK);
    assert!(sorted.contains("Deep blues"), "sort by product");

    bulk(&app, "approve", &[&id]).await;
    let public = page(&visitor, PRINT).await;
    assert!(public.contains("The colours are deeper than on screen."));
    assert!(public.contains("Ana T."), "display name");
    assert!(public.contains(">4.0<"), "average");
    assert!(public.contains("1 review<"), "count");
    assert!(!public.contains("Verified purchase"));

    // A second customer, approved by an inline save: average, count and bars follow.
    let ben = customer(&app, "ben@example.com").await;
    write_ok(&ben, PRINT, "5", "", "Framed it for the office.").await;
    let ben_id: String = sqlx::query_scalar("select id from reviews where body like 'Framed%'")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(
        save(&app, &ben_id, "status", "approved").await.status(),
        StatusCode::SEE_OTHER
    );
    let public = page(&visitor, PRINT).await;
    assert!(public.contains("Framed it for the office."));
    assert!(public.contains("A customer"), "no display name, no email");
    assert!(!public.contains("ben@example.com"));
    assert!(public.contains(">4.5<"), "average of 4 and 5");
    assert!(public.contains("2 reviews<"));
    for (stars, count, percent) in [(5, 1, 50), (4, 1, 50), (3, 0, 0), (2, 0, 0), (1, 0, 0)] {
        let row = format!(
            "<th scope=\"row\">{stars}★</th><td class=\"rating-bar-cell\"><span class=\"rating-bar\" aria-hidden=\"true\"><span class=\"rating-bar-fill pct-{percent}\"></span></span></td><td class=\"rating-bar-count\">{count}</td>"
        );
        assert!(public.contains(&row), "{stars}★ row");
    }
    // Newest first.
    let framed = public.find("Framed it").unwrap();
    let blues = public.find("deeper than on screen").unwrap();
    assert!(framed < blues, "newest first");
    // Another product has none of them.
    assert!(
        page(&visitor, "cinematic-luts")
            .await
            .contains("No reviews yet.")
    );
}

async fn auto_approve_publishes_reviews_at_once_but_not_hidden_ones(backend: Backend) {
    let app = seeded(TestApp::builder(backend).var("REVIEWS_AUTO_APPROVE", "true")).await;
    let client = customer(&app, "client@example.com").await;
    let form = page(&client, PRINT).await;
    assert!(!form.contains("Reviews appear once the studio has checked them."));
    write_ok(&client, PRINT, "5", "Superb", "Arrived well packed.").await;
    assert_eq!(only_review(&app).await.5, "approved");
    let (_, own) = client.get_text(&format!("/products/{PRINT}")).await;
    assert!(own.contains("Your review is published."));
    let public = page(&app.new_browser(), PRINT).await;
    assert!(public.contains("Arrived well packed."));
    assert!(public.contains(">5.0<"));

    // An edit is published at once too, but one the studio hid goes back to a person.
    write_ok(
        &client,
        PRINT,
        "4",
        "Superb",
        "Arrived well packed, one corner bent.",
    )
    .await;
    assert_eq!(only_review(&app).await.5, "approved");
    let id = only_review(&app).await.0;
    as_admin(&app).await;
    bulk(&app, "hide", &[&id]).await;
    write_ok(&client, PRINT, "5", "", "Five stars, take it back!").await;
    assert_eq!(only_review(&app).await.5, "pending");
    let (_, flashed) = client.get_text(&format!("/products/{PRINT}")).await;
    assert!(flashed.contains("will appear once the studio has checked it"));
    assert!(
        !page(&app.new_browser(), PRINT)
            .await
            .contains("take it back")
    );
}

async fn a_second_submission_edits_the_one_review(backend: Backend) {
    let app = shop(backend).await;
    let client = customer(&app, "client@example.com").await;
    write_ok(&client, PRINT, "2", "Meh", "Too dark.").await;
    let (id, ..) = only_review(&app).await;
    as_admin(&app).await;
    bulk(&app, "approve", &[&id]).await;
    let visitor = app.new_browser();
    assert!(page(&visitor, PRINT).await.contains("Too dark."));

    // The form shows their review to edit.
    let form = page(&client, PRINT).await;
    assert!(form.contains("Edit your review"));
    assert!(form.contains(">Too dark.</textarea>"));
    assert!(form.contains("value=\"2\" checked"));

    write_ok(
        &client,
        PRINT,
        "4",
        "Better in daylight",
        "Lovely once hung by a window.",
    )
    .await;
    let (again, rating, title, body, _, status, version) = only_review(&app).await;
    assert_eq!(again, id, "the same row");
    assert_eq!(
        (rating, title.as_str(), body.as_str(), status.as_str()),
        (
            4,
            "Better in daylight",
            "Lovely once hung by a window.",
            "pending"
        )
    );
    assert!(
        version > 2,
        "bumped by the approval and the edit: {version}"
    );
    // The edit goes back to moderation: the old text is gone and the new one not shown yet.
    let public = page(&visitor, PRINT).await;
    assert!(!public.contains("Too dark."));
    assert!(!public.contains("hung by a window"));
    assert!(public.contains("No reviews yet."));
}

async fn verified_means_a_paid_order_for_the_product(backend: Backend) {
    let app = shop(backend).await;
    let print = product_id(&app, PRINT).await;
    let luts = product_id(&app, "cinematic-luts").await;
    let paid = customer(&app, "paid@example.com").await;
    let shipped = customer(&app, "shipped@example.com").await;
    let unpaid = customer(&app, "unpaid@example.com").await;
    let other = customer(&app, "other@example.com").await;
    let never = customer(&app, "never@example.com").await;
    order(
        &app,
        &user_id(&app, "paid@example.com").await,
        &print,
        "paid",
    )
    .await;
    order(
        &app,
        &user_id(&app, "shipped@example.com").await,
        &print,
        "fulfilled",
    )
    .await;
    order(
        &app,
        &user_id(&app, "unpaid@example.com").await,
        &print,
        "pending_payment",
    )
    .await;
    order(
        &app,
        &user_id(&app, "unpaid@example.com").await,
        &print,
        "cancelled",
    )
    .await;
    order(
        &app,
        &user_id(&app, "other@example.com").await,
        &luts,
        "paid",
    )
    .await;
    for (b, text) in [
        (&paid, "paid buyer"),
        (&shipped, "shipped buyer"),
        (&unpaid, "unpaid buyer"),
        (&other, "bought something else"),
        (&never, "never bought"),
    ] {
        write_ok(b, PRINT, "5", "", text).await;
    }
    let rows = stored(&app).await;
    let verified = |body: &str| rows.iter().find(|r| r.3 == body).unwrap().4;
    assert_eq!(verified("paid buyer"), 1);
    assert_eq!(verified("shipped buyer"), 1);
    assert_eq!(verified("unpaid buyer"), 0);
    assert_eq!(verified("bought something else"), 0);
    assert_eq!(verified("never bought"), 0);

    // Shown as a badge on the approved review only.
    as_admin(&app).await;
    let ids: Vec<&str> = rows
        .iter()
        .filter(|r| r.3 == "paid buyer" || r.3 == "never bought")
        .map(|r| r.0.as_str())
        .collect();
    bulk(&app, "approve", &ids).await;
    let public = page(&app.new_browser(), PRINT).await;
    let card = |text: &str| {
        public
            .split("<article class=\"review\">")
            .find(|c| c.contains(text))
            .unwrap()
            .to_owned()
    };
    assert!(card("paid buyer").contains("Verified purchase"));
    assert!(!card("never bought").contains("Verified purchase"));
    // Verified is decided at submission: a later purchase counts at the next edit.
    order(
        &app,
        &user_id(&app, "never@example.com").await,
        &print,
        "paid",
    )
    .await;
    assert_eq!(
        stored(&app)
            .await
            .iter()
            .find(|r| r.3 == "never bought")
            .unwrap()
            .4,
        0
    );
    write_ok(&never, PRINT, "5", "", "bought it after all").await;
    assert_eq!(
        stored(&app)
            .await
            .iter()
            .find(|r| r.3 == "bought it after all")
            .unwrap()
            .4,
        1
    );
}

async fn hidden_reviews_disappear(backend: Backend) {
    let app = shop(backend).await;
    let a = customer(&app, "a@example.com").await;
    let b = customer(&app, "b@example.com").await;
    write_ok(&a, PRINT, "1", "", "Creased in the post.").await;
    write_ok(&b, PRINT, "5", "", "Perfect.").await;
    let ids: Vec<String> = stored(&app).await.into_iter().map(|r| r.0).collect();
    as_admin(&app).await;
    bulk(&app, "approve", &[&ids[0], &ids[1]]).await;
    let visitor = app.new_browser();
    let public = page(&visitor, PRINT).await;
    assert!(public.contains("Creased in the post.") && public.contains(">3.0<"));

    bulk(&app, "hide", &[&ids[0]]).await;
    let public = page(&visitor, PRINT).await;
    assert!(!public.contains("Creased in the post."));
    assert!(public.contains(">5.0<") && public.contains("1 review<"));
    let (_, own) = a.get_text(&format!("/products/{PRINT}")).await;
    assert!(own.contains("not shown on this page"));
    let (_, hidden) = app.get_text("/admin/reviews?f.status=hidden").await;
    assert!(hidden.contains("Creased in the post."));
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action in ('review.approve', 'review.hide')",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(audited, 3, "two approvals and a hide");
}

async fn review_markup_is_escaped(backend: Backend) {
    let app = seeded(TestApp::builder(backend).var("REVIEWS_AUTO_APPROVE", "true")).await;
    let client = customer(&app, "client@example.com").await;
    write_ok(
        &client,
        PRINT,
        "3",
        "<b>bold</b>",
        "<script>alert('x')</script> & <img src=x onerror=alert(1)>",
    )
    .await;
    for html in [
        page(&app.new_browser(), PRINT).await,
        page(&client, PRINT).await,
    ] {
        assert!(html.contains(
            "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;"
        ));
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"));
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<b>bold"));
        assert!(!html.contains("<img src=x"));
    }
    as_admin(&app).await;
    let (_, table) = app.get_text("/admin/reviews").await;
    assert!(table.contains("&lt;b&gt;bold&lt;/b&gt;") && !table.contains("<b>bold"));
}

async fn deleting_a_review_is_confirmed_and_audited(backend: Backend) {
    let app = seeded(TestApp::builder(backend).var("REVIEWS_AUTO_APPROVE", "true")).await;
    let client = customer(&app, "client@example.com").await;
    write_ok(&client, PRINT, "1", "Spam", "Buy followers at example.net").await;
    let (id, ..) = only_review(&app).await;
    as_admin(&app).await;
    let (_, table) = app.get_text("/admin/reviews").await;
    assert!(
        table.contains(&format!("/admin/review-delete/{id}")),
        "a link per row"
    );

    let (status, confirm) = app.get_text(&format!("/admin/review-delete/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Delete this review?"));
    assert!(
        confirm.contains("Buy followers at example.net"),
        "the whole review"
    );
    assert!(confirm.contains("client@example.com"));
    assert!(confirm.contains(&format!("action=\"/admin/review-delete/{id}\"")));
    assert_eq!(stored(&app).await.len(), 1, "a GET deletes nothing");

    let resp = app
        .post_form(&format!("/admin/review-delete/{id}"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/admin/reviews");
    assert!(stored(&app).await.is_empty());
    assert!(
        !page(&app.new_browser(), PRINT)
            .await
            .contains("Buy followers")
    );
    let (actor, before, after): (String, Option<String>, Option<String>) = sqlx::query_as(
        "select actor_email, before_json, after_json from audit_log
         where action = 'review.delete' and entity = 'review' and entity_id = $1",
    )
    .bind(&id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(actor, ADMIN);
    assert!(before.unwrap().contains("Buy followers at example.net"));
    assert_eq!(after, None);

    // Gone, or never there: 404.
    for path in [
        format!("/admin/review-delete/{id}"),
        "/admin/review-delete/not-an-id".to_owned(),
    ] {
        assert_eq!(
            app.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        app.post_form(&format!("/admin/review-delete/{id}"), &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn the_studio_reply_shows_under_the_review(backend: Backend) {
    let app = seeded(TestApp::builder(backend).var("REVIEWS_AUTO_APPROVE", "true")).await;
    let client = customer(&app, "client@example.com").await;
    write_ok(&client, PRINT, "4", "", "Could the frame be black?").await;
    let (id, ..) = only_review(&app).await;
    as_admin(&app).await;
    let resp = save(&app, &id, "reply", "Yes: choose “Black oak” under Frame.").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (reply, replied_at): (String, Option<i64>) =
        sqlx::query_as("select reply, replied_at from reviews where id = $1")
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(reply, "Yes: choose “Black oak” under Frame.");
    assert!(replied_at.is_some(), "replied_at set with the reply");
    let public = page(&app.new_browser(), PRINT).await;
    assert!(public.contains("Reply from FlashStudio"));
    let question = public.find("Could the frame be black?").unwrap();
    let answer = public.find("Yes: choose “Black oak” under Frame.").unwrap();
    assert!(question < answer, "the reply is under the review");
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'review.update' and entity_id = $1",
    )
    .bind(&id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // Clearing the reply clears its time, and the page shows none.
    assert_eq!(
        save(&app, &id, "reply", "").await.status(),
        StatusCode::SEE_OTHER
    );
    let replied_at: Option<i64> =
        sqlx::query_scalar("select replied_at from reviews where id = $1")
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(replied_at, None);
    assert!(
        !page(&app.new_browser(), PRINT)
            .await
            .contains("Reply from FlashStudio")
    );
    // Only status and reply are editable.
    for field in ["body", "rating", "verified", "product", "reviewer"] {
        assert_eq!(
            app.get(&format!("/admin/reviews/{id}/{field}/edit"))
                .await
                .status(),
            StatusCode::NOT_FOUND,
            "{field}"
        );
    }
}

async fn review_submissions_are_rate_limited(backend: Backend) {
    let app = shop(backend).await;
    let client = customer(&app, "client@example.com").await;
    for n in 0..10 {
        write_ok(&client, PRINT, "4", "", &format!("Edit number {n}")).await;
    }
    let resp = write(&client, PRINT, "4", "", "One edit too many").await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(only_review(&app).await.3, "Edit number 9");
    // The limit is per account.
    let other = customer(&app, "other@example.com").await;
    write_ok(&other, PRINT, "5", "", "My own limit").await;
}

on_both_backends!(
    signed_out_visitors_and_customers_cannot_moderate_or_write,
    invalid_reviews_come_back_with_their_errors,
    a_new_review_waits_for_moderation_then_shows_once_approved,
    auto_approve_publishes_reviews_at_once_but_not_hidden_ones,
    a_second_submission_edits_the_one_review,
    verified_means_a_paid_order_for_the_product,
    hidden_reviews_disappear,
    review_markup_is_escaped,
    deleting_a_review_is_confirmed_and_audited,
    the_studio_reply_shows_under_the_review,
    review_submissions_are_rate_limited,
);
