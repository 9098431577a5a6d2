//! Quotes (issue 16), first slice: a request (with its spam defences and bad input), the
//! staff's proposal with an optional extra, the customer's page (extras update the total,
//! with and without htmx), acceptance with a typed signature (recorded: revision, extras,
//! total, name, time, address), revisions (the old link shows the new one; an answer to the
//! old one is refused), decline, the thread, closing, expiry once with two workers, and
//! escaping everywhere.

use flashstudio::demo::{SeedOptions, seed};
use flashstudio::identity::model::Role;
use flashstudio::quotes::service;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{Backend, Browser, TestApp};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery";
const XSS: &str = "<script>alert(1)</script>";

async fn app(backend: Backend) -> TestApp {
    let app = TestApp::builder(backend)
        .var("STAFF_EMAIL", "studio@flashstudio.test")
        .var("QUOTE_TAX_PERCENT", "9")
        .spawn()
        .await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    app
}

/// A start token as the form would carry it, `secs` seconds old.
fn started(app: &TestApp, secs: i64) -> String {
    let t = flashstudio::db::now() - secs;
    format!(
        "{t}.{}",
        app.state.keys.urls.sign(&format!("quote-form:{t}"))
    )
}

/// The studio's today plus `days`, as `YYYY-MM-DD`.
fn day(app: &TestApp, days: i64) -> String {
    service::studio_today(&app.state)
        .saturating_add(jiff::Span::new().days(days))
        .to_string()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// Sends a request as `browser`; the response (a redirect to the quote's page when stored).
async fn request(app: &TestApp, browser: &Browser, fields: &[(&str, &str)]) -> reqwest::Response {
    let started = started(app, 10);
    let from = day(app, 30);
    let mut form = vec![
        ("name", "Mei Tan"),
        ("email", "mei@example.com"),
        ("company", "Tan & Co"),
        ("service", "Corporate Story"),
        ("date_from", from.as_str()),
        ("location", "Our office, Raffles Place"),
        ("budget", "S$3,000–5,000"),
        (
            "description",
            "A three-minute film about our founders for the product launch.",
        ),
        ("started", started.as_str()),
    ];
    for (k, v) in fields {
        form.retain(|(name, _)| name != k);
        form.push((k, v));
    }
    browser.post_form("/quote", &form).await
}

/// The proposal form: a package line, a custom line, an optional extra; 30% deposit.
fn proposal_fields(valid_until: &str) -> Vec<(&'static str, String)> {
    vec![
        ("line1_description", "Corporate Story package".into()),
        ("line1_quantity", "1".into()),
        ("line1_unit", "2,500.00".into()),
        ("line2_description", "Extra interview".into()),
        ("line2_quantity", "2".into()),
        ("line2_unit", "300".into()),
        ("line3_description", "Drone footage".into()),
        ("line3_quantity", "1".into()),
        ("line3_unit", "450".into()),
        ("line3_extra", "1".into()),
        ("discount", "100".into()),
        ("deposit_kind", "none".into()),
        ("valid_until", valid_until.into()),
        ("message", "Here is what we suggest.".into()),
        ("terms", "Deposit secures the date.".into()),
    ]
}

async fn send_proposal(
    staff: &Browser,
    id: &str,
    fields: &[(&'static str, String)],
) -> reqwest::Response {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    staff
        .post_form(&format!("/admin/quote/{id}/proposal"), &borrowed)
        .await
}

async fn staff(app: &TestApp) -> Browser {
    let staff = app.new_browser();
    staff.login(ADMIN, PASSWORD).await;
    staff
}

async fn a_request_becomes_a_quote_and_bad_input_gets_sentences(backend: Backend) {
    let app = app(backend).await;
    let visitor = app.new_browser();
    let (status, form) = visitor.get_text("/quote?package=corporate-story").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"name="website""#) && form.contains(r#"name="started""#));

    // Bad input: each a sentence on the form, nothing stored.
    let past = day(&app, -1);
    let early = day(&app, 20);
    let late = day(&app, 10);
    for (fields, sentence) in [
        (vec![("name", "")], "Enter your name."),
        (vec![("email", "not-an-email")], "email"),
        (vec![("description", "short")], "at least 10 characters"),
        (vec![("date_from", past.as_str())], "from today on"),
        (vec![("date_from", "2027-13-45")], "YYYY-MM-DD"),
        (
            vec![("date_from", early.as_str()), ("date_to", late.as_str())],
            "on or after its first day",
        ),
    ] {
        let resp = request(&app, &visitor, &fields).await;
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}"
        );
        let body = resp.text().await.unwrap();
        assert!(body.contains(sentence), "{fields:?}: {sentence}");
        assert!(body.contains("Raffles Place"), "what was typed stays");
    }
    // Too fast (a robot) or a forged start: asked to send again, nothing stored.
    let fresh = started(&app, 0);
    for token in [fresh.as_str(), "123.forged", ""] {
        let resp = request(&app, &visitor, &[("started", token)]).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            resp.text()
                .await
                .unwrap()
                .contains("quicker than a person types")
        );
    }
    // The honeypot: thanked, not stored.
    let resp = request(&app, &visitor, &[("website", "http://spam.example")]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(count(&app, "select count(*) from quotes").await, 0);

    // A good request: stored as new, acknowledged and sent to staff, then its page.
    let resp = request(
        &app,
        &visitor,
        &[("description", &format!("Launch film {XSS}"))],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = crate::support::location(&resp);
    assert!(page.starts_with("/quotes/"));
    let (status, body) = visitor.get_text(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("QT-000001") && body.contains("New request"));
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !body.contains(XSS));
    let (state, ack, to_staff, reply_to): (String, i64, i64, Option<String>) = sqlx::query_as(
        "select (select state from quotes), \
                (select count(*) from emails where to_address = 'mei@example.com' and kind = 'quote_received'), \
                (select count(*) from emails where to_address = 'studio@flashstudio.test' and kind = 'quote_request_staff'), \
                (select reply_to from emails where kind = 'quote_request_staff')",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!((state.as_str(), ack, to_staff), ("new", 1, 1));
    assert_eq!(reply_to.as_deref(), Some("mei@example.com"));
    let ack_body: String =
        sqlx::query_scalar("select html_body from emails where kind = 'quote_received'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert!(
        !ack_body.contains("Launch film"),
        "the acknowledgement relays nothing typed"
    );
    let staff_body: String =
        sqlx::query_scalar("select html_body from emails where kind = 'quote_request_staff'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert!(staff_body.contains("&lt;script&gt;") && !staff_body.contains(XSS));

    // A tampered link is not found.
    let tampered = format!("{}x", page);
    assert_eq!(visitor.get(&tampered).await.status(), StatusCode::NOT_FOUND);
    // Staff see it in the table and on its page, escaped.
    let staff = staff(&app).await;
    let (status, list) = staff.get_text("/admin/quotes?f.state=new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("QT-000001") && list.contains("Corporate Story"));
    let id: String = sqlx::query_scalar("select id from quotes")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let (status, admin_page) = staff.get_text(&format!("/admin/quote/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(admin_page.contains("&lt;script&gt;") && !admin_page.contains(XSS));
    assert!(
        admin_page.contains("Corporate Story"),
        "the package is the editor's first line"
    );
    // The dashboard counts it, and links to the table filtered.
    let (_, dashboard) = staff.get_text("/admin").await;
    assert!(
        dashboard.contains("/admin/quotes?f.state=new") && dashboard.contains("Quote requests")
    );
    // Customers and visitors cannot open staff pages.
    assert_ne!(
        visitor.get(&format!("/admin/quote/{id}")).await.status(),
        StatusCode::OK
    );
}

async fn a_proposal_with_an_extra_is_accepted_and_recorded(backend: Backend) {
    let app = app(backend).await;
    let visitor = app.new_browser();
    let page = crate::support::location(&request(&app, &visitor, &[]).await);
    let id: String = sqlx::query_scalar("select id from quotes")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let staff = staff(&app).await;

    // A package added as a line keeps what was typed and sends nothing.
    let mut adding = proposal_fields(&day(&app, 14));
    adding.extend([
        ("add_package", "Wedding Film".to_owned()),
        ("action", "add_package".to_owned()),
    ]);
    let resp = send_proposal(&staff, &id, &adding).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains(r#"name="line4_description" value="Wedding Film""#),
        "the package's line"
    );
    assert!(
        body.contains(r#"value="Extra interview""#),
        "what was typed stays"
    );
    assert_eq!(count(&app, "select count(*) from quote_revisions").await, 0);

    // Bad proposals: each refused with its sentence, nothing sent.
    let valid = day(&app, 14);
    let yesterday = day(&app, -1);
    for (change, sentence) in [
        (("line1_unit", "-5".to_owned()), "line 1"),
        (("valid_until", yesterday.clone()), "from today on"),
        (
            ("deposit_kind", "fixed".to_owned()),
            "more than the total without extras",
        ),
        (
            ("line2_quantity", "0".to_owned()),
            "a quantity from 1 to 10,000",
        ),
        (("discount", "999999".to_owned()), "discount cannot be more"),
    ] {
        let mut fields = proposal_fields(&valid);
        fields.retain(|(k, _)| *k != change.0);
        fields.push(change.clone());
        if change.0 == "deposit_kind" {
            fields.retain(|(k, _)| *k != "deposit_value");
            fields.push(("deposit_value", "99999".into()));
        }
        let resp = send_proposal(&staff, &id, &fields).await;
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{change:?}"
        );
        assert!(
            resp.text().await.unwrap().contains(sentence),
            "{change:?}: {sentence}"
        );
    }
    assert_eq!(count(&app, "select count(*) from quote_revisions").await, 0);

    let resp = send_proposal(&staff, &id, &proposal_fields(&valid)).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        count(
            &app,
            "select count(*) from emails where kind = 'quote_proposal'"
        )
        .await,
        1
    );

    // The customer's page: 2,500 + 2 × 300 − 100 = 3,000; 9% tax 270; total 3,270.
    let (_, body) = visitor.get_text(&page).await;
    assert!(
        body.contains("Proposal sent") && body.contains("S$3,270.00"),
        "{body}"
    );
    assert!(body.contains("Optional extra") && body.contains("Accept and sign"));
    // Ticking the extra (450, +40.50 tax): 3,760.50, on the page and as the htmx fragment.
    let (_, with_extra) = visitor.get_text(&format!("{page}?extra=3")).await;
    assert!(with_extra.contains("S$3,760.50"));
    let fragment = visitor
        .client
        .get(visitor.url(&format!("{page}?extra=3")))
        .header("HX-Request", "true")
        .header("HX-Target", "quote-answer")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(fragment.contains("S$3,760.50") && !fragment.contains("<html"));
    // An extra that is not one, a missing signature, the box unticked: sentences.
    let accept = format!("{page}/accept");
    let resp = visitor
        .post_form(
            &accept,
            &[
                ("revision", "1"),
                ("extra", "1"),
                ("signature", "Mei Tan"),
                ("agree", "yes"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("is not an extra of this proposal")
    );
    let resp = visitor
        .post_form(&accept, &[("revision", "1"), ("signature", " ")])
        .await;
    let text = resp.text().await.unwrap();
    assert!(text.contains("Type your full name") && text.contains("Tick the box"));

    // Accepted with the extra: recorded, both told.
    let resp = visitor
        .post_form(
            &accept,
            &[
                ("revision", "1"),
                ("extra", "3"),
                ("signature", "Mei Tan"),
                ("agree", "yes"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (state, revision, extras, total, signature, ip): (String, i64, String, i64, String, String) = sqlx::query_as(
        "select state, accepted_revision, accepted_extras, accepted_total_minor, signature_name, accepted_ip from quotes",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(
        (state.as_str(), revision, extras.as_str(), total),
        ("accepted", 1, "3", 376_050)
    );
    assert_eq!(signature, "Mei Tan");
    assert!(!ip.is_empty());
    let (_, admin_page) = staff.get_text(&format!("/admin/quote/{id}")).await;
    assert!(admin_page.contains("Signed as") && admin_page.contains("S$3,760.50"));
    // No shoot: the whole total is the balance, due at once; staff mark it paid by transfer
    // (audited, once), and the customer's page shows it fully paid.
    assert!(admin_page.contains("Mark the balance paid"));
    let (_, body) = visitor.get_text(&page).await;
    assert!(body.contains("Pay the balance"));
    let mark = format!("/admin/quote/{id}/balance-paid");
    assert_eq!(
        staff.post_form(&mark, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    staff.post_form(&mark, &[]).await;
    assert_eq!(
        count(
            &app,
            "select count(*) from quotes where balance_paid_by = 'transfer'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_log where action = 'quote.balance_paid'"
        )
        .await,
        1
    );
    let (_, body) = visitor.get_text(&page).await;
    assert!(body.contains("Fully paid") && !body.contains("Pay the balance"));
    let resp = visitor.post_form(&format!("{page}/balance"), &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        count(
            &app,
            "select count(*) from payments where purpose = 'quote'"
        )
        .await,
        0,
        "nothing owed, nothing opened"
    );
    // Accepting again (a second tab) changes nothing.
    let resp = visitor
        .post_form(
            &accept,
            &[
                ("revision", "1"),
                ("signature", "Someone"),
                ("agree", "yes"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(
        count(
            &app,
            "select count(*) from quotes where signature_name = 'Mei Tan'"
        )
        .await,
        1
    );
}

async fn a_revision_replaces_the_proposal_and_the_old_one_cannot_be_answered(backend: Backend) {
    let app = app(backend).await;
    let visitor = app.new_browser();
    let page = crate::support::location(&request(&app, &visitor, &[]).await);
    let id: String = sqlx::query_scalar("select id from quotes")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let staff = staff(&app).await;
    let valid = day(&app, 14);
    send_proposal(&staff, &id, &proposal_fields(&valid)).await;
    let mut revised = proposal_fields(&valid);
    revised.retain(|(k, _)| *k != "line1_unit");
    revised.push(("line1_unit", "2,000".into()));
    assert_eq!(
        send_proposal(&staff, &id, &revised).await.status(),
        StatusCode::SEE_OTHER
    );

    let (_, body) = visitor.get_text(&page).await;
    assert!(
        body.contains("revision 2") && body.contains("S$2,725.00"),
        "the old link shows the new revision"
    );
    // An answer to revision 1 (a page opened before) is refused with the proposal as it is.
    let resp = visitor
        .post_form(
            &format!("{page}/accept"),
            &[
                ("revision", "1"),
                ("signature", "Mei Tan"),
                ("agree", "yes"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.unwrap().contains("The proposal changed"));
    let resp = visitor
        .post_form(&format!("{page}/decline"), &[("revision", "1")])
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    // The history keeps both; accepting revision 2 records it and its total.
    assert_eq!(count(&app, "select count(*) from quote_revisions").await, 2);
    let resp = visitor
        .post_form(
            &format!("{page}/accept"),
            &[
                ("revision", "2"),
                ("signature", "Mei Tan"),
                ("agree", "yes"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (revision, total): (i64, i64) =
        sqlx::query_as("select accepted_revision, accepted_total_minor from quotes")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!((revision, total), (2, 272_500));
    // An accepted quote is not revised or closed.
    assert_eq!(
        send_proposal(&staff, &id, &revised).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(count(&app, "select count(*) from quote_revisions").await, 2);
}

async fn decline_questions_and_closing(backend: Backend) {
    let app = app(backend).await;
    let visitor = app.new_browser();
    let page = crate::support::location(&request(&app, &visitor, &[]).await);
    let id: String = sqlx::query_scalar("select id from quotes")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let staff = staff(&app).await;

    // A question before any proposal; staff answer; both emailed, all escaped.
    let resp = visitor
        .post_form(
            &format!("{page}/messages"),
            &[("body", &format!("Can you film at night? {XSS}"))],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = visitor
        .post_form(&format!("{page}/messages"), &[("body", "  ")])
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = staff
        .post_form(
            &format!("/admin/quote/{id}/messages"),
            &[("body", "Yes, with lights.")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, body) = visitor.get_text(&page).await;
    assert!(body.contains("Can you film at night?") && body.contains("Yes, with lights."));
    assert!(!body.contains(XSS));
    let (to_staff, to_customer): (i64, i64) = sqlx::query_as(
        "select (select count(*) from emails where kind = 'quote_update_staff'), \
                (select count(*) from emails where kind = 'quote_notice' and to_address = 'mei@example.com')",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!((to_staff, to_customer), (1, 1));

    // Declined with a reason; staff told; no more answers.
    send_proposal(&staff, &id, &proposal_fields(&day(&app, 14))).await;
    let resp = visitor
        .post_form(
            &format!("{page}/decline"),
            &[("revision", "1"), ("reason", "Over budget")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, body) = visitor.get_text(&page).await;
    assert!(body.contains("You declined this proposal") && !body.contains("Accept and sign"));
    assert_eq!(count(&app, "select count(*) from quotes where state = 'declined' and decline_reason = 'Over budget'").await, 1);
    // A declined quote cannot be closed; a new one can, with a reason, audited.
    let resp = staff
        .post_form(&format!("/admin/quote/{id}/close"), &[("reason", "Done")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        count(&app, "select count(*) from quotes where state = 'closed'").await,
        0
    );
    let other = app.browser_from("10.1.2.3");
    let second =
        crate::support::location(&request(&app, &other, &[("email", "lee@example.com")]).await);
    let second_id = second.split('/').nth(2).unwrap().to_owned();
    let resp = staff
        .post_form(
            &format!("/admin/quote/{second_id}/close"),
            &[("reason", "")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        count(&app, "select count(*) from quotes where state = 'closed'").await,
        0,
        "a reason is needed"
    );
    staff
        .post_form(
            &format!("/admin/quote/{second_id}/close"),
            &[("reason", "Duplicate")],
        )
        .await;
    assert_eq!(
        count(&app, "select count(*) from quotes where state = 'closed'").await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_log where action = 'quote.close'"
        )
        .await,
        1
    );
}

async fn a_lapsed_proposal_expires_once_with_two_workers(backend: Backend) {
    let app = app(backend).await;
    let visitor = app.new_browser();
    let page = crate::support::location(&request(&app, &visitor, &[]).await);
    let id: String = sqlx::query_scalar("select id from quotes")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let staff = staff(&app).await;
    send_proposal(&staff, &id, &proposal_fields(&day(&app, 0))).await;
    // Not yet: its last day is today.
    assert_eq!(service::expire_due(&app.state).await.unwrap(), 0);
    // Its last day passes (as if tomorrow): two workers at once expire it once.
    let yesterday = day(&app, -1);
    sqlx::query("update quote_revisions set valid_until = $1")
        .bind(&yesterday)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        service::expire_due(&app.state),
        service::expire_due(&app.state)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(
        count(&app, "select count(*) from quotes where state = 'expired'").await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from emails where subject like 'Your proposal has expired%'"
        )
        .await,
        1
    );
    // The page says so and takes no acceptance.
    let (_, body) = visitor.get_text(&page).await;
    assert!(body.contains("Expired") && !body.contains("Accept and sign"));
    let resp = visitor
        .post_form(
            &format!("{page}/accept"),
            &[
                ("revision", "1"),
                ("signature", "Mei Tan"),
                ("agree", "yes"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    // Staff may send a new revision to an expired quote.
    let resp = send_proposal(&staff, &id, &proposal_fields(&day(&app, 7))).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        count(
            &app,
            "select count(*) from quotes where state = 'quoted' and revision = 2"
        )
        .await,
        1
    );
}

async fn the_contact_form_and_old_links_lead_to_quotes_that_join_the_account(backend: Backend) {
    let app = app(backend).await;
    let visitor = app.new_browser();
    // Old links to the contact form's quote go to the quote form, package kept.
    let resp = visitor
        .get("/contact?kind=quote&package=corporate-story")
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        crate::support::location(&resp),
        "/quote?package=corporate-story"
    );
    let (_, form) = visitor.get_text("/quote?package=corporate-story").await;
    assert!(form.contains(r#"value="Corporate Story""#));
    // A contact message about a quote becomes one; its errors come back on the contact form.
    let contact = |message: &'static str| {
        let visitor = &visitor;
        async move {
            visitor
                .post_form(
                    "/contact",
                    &[
                        ("kind", "quote"),
                        ("name", "Carl Ng"),
                        ("email", "Carl@Example.com"),
                        ("subject", "Event coverage"),
                        ("message", message),
                    ],
                )
                .await
        }
    };
    let resp = contact("short").await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = resp.text().await.unwrap();
    assert!(body.contains("at least 10 characters") && body.contains("Event coverage"));
    let resp = contact("Our annual dinner, 300 guests, two cameras.").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(crate::support::location(&resp).starts_with("/quotes/"));
    assert_eq!(
        count(
            &app,
            "select count(*) from quotes where service = 'Event coverage'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "select count(*) from contact_messages").await,
        0
    );
    // Other kinds still reach the inbox.
    let resp = visitor
        .post_form(
            "/contact",
            &[
                ("kind", "general"),
                ("name", "Carl Ng"),
                ("email", "carl@example.com"),
                ("message", "Do you rent out the studio?"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        count(&app, "select count(*) from contact_messages").await,
        1
    );

    // The guest quote joins the account of its address once confirmed.
    let me = app.new_browser();
    me.register("carl@example.com", "sunlit kettle orbit 42")
        .await;
    let (_, mine) = me.get_text("/account/quotes").await;
    assert!(!mine.contains("QT-000001"), "not before confirming");
    let path = crate::support::confirmation_path(&app, "carl@example.com").await;
    me.post_form(&path, &[]).await;
    let (status, mine) = me.get_text("/account/quotes").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        mine.contains("QT-000001") && mine.contains("Event coverage"),
        "{mine}"
    );
    // Nobody else sees it.
    let (_, theirs) = visitor.get_text("/account/quotes").await;
    assert!(!theirs.contains("QT-000001"));
}

/// The proposal of [`proposal_fields`] holding a full-day shoot (the crew and Studio A) at
/// `start`, 30% deposit.
async fn with_shoot(app: &TestApp, start: i64, valid_until: &str) -> Vec<(&'static str, String)> {
    let type_id: String =
        sqlx::query_scalar("select id from booking_types where slug = 'full-day-shoot'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let at = jiff::Timestamp::from_second(start)
        .unwrap()
        .to_zoned(app.state.settings.time_zone.clone());
    let mut fields = proposal_fields(valid_until);
    fields.retain(|(k, _)| *k != "deposit_kind");
    fields.extend([
        ("deposit_kind", "percent".to_owned()),
        ("deposit_value", "30".to_owned()),
        ("booking_type", type_id),
        ("day", at.date().to_string()),
        ("time", at.strftime("%H:%M").to_string()),
    ]);
    fields
}

/// A full-day shoot's free start (epoch seconds) a few weeks ahead.
async fn free_full_day(app: &TestApp) -> i64 {
    let (_, details) = crate::bookings::a_later_free_time(app, "full-day-shoot").await;
    crate::bookings::start_of(&details).parse().unwrap()
}

async fn accept_as(browser: &Browser, page: &str, name: &str) -> reqwest::Response {
    browser
        .post_form(
            &format!("{page}/accept"),
            &[("revision", "1"), ("signature", name), ("agree", "yes")],
        )
        .await
}

async fn accepting_holds_the_shoot_and_its_deposit_confirms_both(backend: Backend) {
    let app = app(backend).await;
    let staff = staff(&app).await;
    let start = free_full_day(&app).await;
    let valid = day(&app, 14);
    // A deposit secures a date: without one it is refused.
    let first = app.new_browser();
    let page_a = crate::support::location(&request(&app, &first, &[]).await);
    let id_a = page_a.split('/').nth(2).unwrap().to_owned();
    let mut no_date = proposal_fields(&valid);
    no_date.retain(|(k, _)| *k != "deposit_kind");
    no_date.extend([
        ("deposit_kind", "percent".to_owned()),
        ("deposit_value", "30".to_owned()),
    ]);
    let resp = send_proposal(&staff, &id_a, &no_date).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("A deposit secures a date")
    );

    // Two customers are offered the same shoot; they accept at once: one holds it.
    let second = app.browser_from("10.2.2.2");
    let page_b =
        crate::support::location(&request(&app, &second, &[("email", "lee@example.com")]).await);
    let id_b = page_b.split('/').nth(2).unwrap().to_owned();
    let shoot = with_shoot(&app, start, &valid).await;
    assert_eq!(
        send_proposal(&staff, &id_a, &shoot).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        send_proposal(&staff, &id_b, &shoot).await.status(),
        StatusCode::SEE_OTHER
    );
    let (a, b) = tokio::join!(
        accept_as(&first, &page_a, "Mei Tan"),
        accept_as(&second, &page_b, "Lee Ong")
    );
    let (winner, loser) = if a.status() == StatusCode::SEE_OTHER {
        (a, b)
    } else {
        (b, a)
    };
    let gateway = crate::support::location(&winner);
    assert!(gateway.starts_with("/dev-gateway/"), "{gateway}");
    assert_eq!(loser.status(), StatusCode::CONFLICT);
    assert!(loser.text().await.unwrap().contains("no longer free"));
    let (held, deposit, price): (i64, i64, i64) = sqlx::query_as(
        "select count(*), max(deposit_minor), max(price_minor) from bookings where status = 'held'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(
        (held, deposit, price),
        (1, 98_100, 327_000),
        "30% of 3,270.00"
    );
    assert_eq!(
        count(&app, "select count(*) from bookings").await,
        1,
        "the loser holds nothing"
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from quotes where accepted_at is not null and state = 'quoted'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "select count(*) from emails where kind = 'quote_update_staff' and subject like '%no longer free%'").await,
        1,
        "staff are told to propose another date"
    );
    let mei_won = count(
        &app,
        "select count(*) from quotes where email = 'mei@example.com' and accepted_at is not null",
    )
    .await
        == 1;
    let (winner_page, winner_browser) = if mei_won {
        (&page_a, &first)
    } else {
        (&page_b, &second)
    };
    let (_, body) = winner_browser.get_text(winner_page).await;
    assert!(body.contains("Pay the deposit") && !body.contains("Accept and sign"));

    // The deposit's capture, delivered twenty times (ten of them as new events): one
    // confirmation of the booking, one acceptance of the quote, one email of each.
    let session = crate::booking_deposits::session_of(&gateway);
    for i in 0..20 {
        let event = if i < 10 {
            "evt_quote_deposit".to_owned()
        } else {
            format!("evt_quote_deposit_{i}")
        };
        let status =
            crate::booking_deposits::deliver(&app, &session, "checkout.session.completed", &event)
                .await;
        assert!(status.is_success(), "{status}");
    }
    assert_eq!(
        count(
            &app,
            "select count(*) from bookings where status = 'confirmed'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "select count(*) from quotes where state = 'accepted'").await,
        1
    );
    // Out of order: the checkout's expiry reported after its capture changes nothing.
    let status = crate::booking_deposits::deliver(
        &app,
        &session,
        "checkout.session.expired",
        "evt_quote_late_expiry",
    )
    .await;
    assert!(status.is_success(), "{status}");
    assert_eq!(
        count(
            &app,
            "select count(*) from bookings where status = 'confirmed'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from quotes where state = 'accepted' and booking_id is not null"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from emails where subject like 'Your quote is accepted%'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from emails where kind = 'booking_confirmed'"
        )
        .await,
        1
    );
    let (_, body) = winner_browser.get_text(winner_page).await;
    assert!(body.contains("Accepted by") && !body.contains("Pay the deposit"));
    // Every move of the quote is audited, staff's and the customer's.
    let moves: Vec<String> =
        sqlx::query_scalar("select action from audit_log where entity = 'quote' order by id")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    for action in ["quote.propose", "quote.accept", "quote.accepted"] {
        assert!(moves.iter().any(|m| m == action), "{action} in {moves:?}");
    }
    // On the admin calendar, and on the quote's admin page.
    let at = jiff::Timestamp::from_second(start)
        .unwrap()
        .to_zoned(app.state.settings.time_zone.clone());
    let (_, calendar) = staff
        .get_text(&format!("/admin/calendar?view=week&date={}", at.date()))
        .await;
    assert!(calendar.contains("Full-day shoot"));

    // The balance (3,270.00 − 981.00) falls due 14 days before the shoot: a job then.
    let (due, balance_job_at): (i64, i64) = sqlx::query_as(
        "select (select balance_due_at from quotes where state = 'accepted'), \
                (select run_at from jobs where kind = 'quotes.balance')",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(due, start - 14 * 86_400);
    assert_eq!(balance_job_at, due);
    // Its time comes (driven by the job's time, not by waiting): one email with the link.
    sqlx::query("update jobs set run_at = 0 where kind = 'quotes.balance'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let balance_emails = || {
        count(
            &app,
            "select count(*) from emails where subject like 'Your balance is due%'",
        )
    };
    crate::support::eventually(
        "the balance's email",
        std::time::Duration::from_secs(20),
        || async { (balance_emails().await == 1).then_some(()) },
    )
    .await;
    assert_eq!(
        count(&app, "select count(*) from jobs where kind = 'quotes.balance' and payload like '%\"reminder\":true%'").await,
        1,
        "one reminder planned"
    );
    let (_, body) = winner_browser.get_text(winner_page).await;
    assert!(body.contains("Pay the balance") && body.contains("S$2,289.00"));
    // Paid at the gateway: the capture, delivered five times, marks it paid once.
    let resp = winner_browser
        .post_form(&format!("{winner_page}/balance"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let gateway = crate::support::location(&resp);
    assert!(gateway.starts_with("/dev-gateway/"), "{gateway}");
    let (amount, purpose): (i64, String) =
        sqlx::query_as("select amount_minor, purpose from payments where purpose = 'quote'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!((amount, purpose.as_str()), (228_900, "quote"));
    let session = crate::booking_deposits::session_of(&gateway);
    for _ in 0..5 {
        let status = crate::booking_deposits::deliver(
            &app,
            &session,
            "checkout.session.completed",
            "evt_quote_balance",
        )
        .await;
        assert!(status.is_success());
    }
    assert_eq!(
        count(
            &app,
            "select count(*) from quotes where balance_paid_by = 'gateway'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from emails where subject like 'Your balance is paid%'"
        )
        .await,
        1
    );
    let (_, body) = winner_browser.get_text(winner_page).await;
    assert!(body.contains("Fully paid") && !body.contains("Pay the balance"));
    // The reminder's time comes: nothing more is sent for a paid balance.
    sqlx::query("update jobs set run_at = 0 where kind = 'quotes.balance'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    crate::support::eventually(
        "the reminder job to run",
        std::time::Duration::from_secs(20),
        || async {
            (count(
                &app,
                "select count(*) from jobs where kind = 'quotes.balance' and status <> 'done'",
            )
            .await
                == 0)
                .then_some(())
        },
    )
    .await;
    assert_eq!(balance_emails().await, 1);
    assert_eq!(
        count(
            &app,
            "select count(*) from emails where subject like 'A reminder: your balance%'"
        )
        .await,
        0
    );
}

/// A double click on *Accept*: both requests end at the deposit's checkout, one shoot is
/// held, and nobody is told the date was taken.
async fn a_double_click_on_accept_holds_one_shoot(backend: Backend) {
    let app = app(backend).await;
    let staff = staff(&app).await;
    let start = free_full_day(&app).await;
    let visitor = app.new_browser();
    let page = crate::support::location(&request(&app, &visitor, &[]).await);
    let id = page.split('/').nth(2).unwrap().to_owned();
    send_proposal(&staff, &id, &with_shoot(&app, start, &day(&app, 14)).await).await;
    let (a, b) = tokio::join!(
        accept_as(&visitor, &page, "Mei Tan"),
        accept_as(&visitor, &page, "Mei Tan")
    );
    // A click that arrives after the others finished goes on to the same deposit.
    let late = accept_as(&visitor, &page, "Mei Tan").await;
    for resp in [a, b, late] {
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        let to = crate::support::location(&resp);
        assert!(to.starts_with("/dev-gateway/"), "{to}");
    }
    assert_eq!(
        count(&app, "select count(*) from bookings where status = 'held'").await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from emails where subject like '%no longer free%'"
        )
        .await,
        0
    );
    assert_eq!(count(&app, "select count(*) from payments").await, 1);
}

async fn an_unpaid_deposit_frees_the_date_and_reopens_the_proposal(backend: Backend) {
    let app = app(backend).await;
    let staff = staff(&app).await;
    let start = free_full_day(&app).await;
    let visitor = app.new_browser();
    let page = crate::support::location(&request(&app, &visitor, &[]).await);
    let id = page.split('/').nth(2).unwrap().to_owned();
    send_proposal(&staff, &id, &with_shoot(&app, start, &day(&app, 14)).await).await;
    assert_eq!(
        accept_as(&visitor, &page, "Mei Tan").await.status(),
        StatusCode::SEE_OTHER
    );
    // A revision waits while the deposit is due.
    send_proposal(&staff, &id, &with_shoot(&app, start, &day(&app, 14)).await).await;
    assert_eq!(count(&app, "select count(*) from quote_revisions").await, 1);
    // The hold ends unpaid: the date is free, the proposal open again, the customer told.
    let later = flashstudio::db::now()
        + flashstudio::bookings::deposits::HOLD_SECS
        + flashstudio::bookings::deposits::GRACE_SECS
        + 60;
    let released = flashstudio::bookings::deposits::expire_holds(&app.state, later)
        .await
        .unwrap();
    assert_eq!(released, 1);
    let (state, accepted, booking): (String, Option<i64>, Option<String>) =
        sqlx::query_as("select state, accepted_at, booking_id from quotes")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!((state.as_str(), accepted, booking), ("quoted", None, None));
    assert_eq!(
        count(
            &app,
            "select count(*) from emails where subject like 'Your date is no longer held%'"
        )
        .await,
        1
    );
    let (_, body) = visitor.get_text(&page).await;
    assert!(body.contains("Accept and sign"));
    // Accepted again: held again.
    assert_eq!(
        accept_as(&visitor, &page, "Mei Tan").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        count(&app, "select count(*) from bookings where status = 'held'").await,
        1
    );
}

async fn reference_files_go_with_the_request_to_staff_only(backend: Backend) {
    let app = app(backend).await;
    let page = crate::support::location(&request(&app, &app.browser, &[]).await);
    let id = page.split('/').nth(2).unwrap().to_owned();
    let said =
        crate::booking_changes::send_file(&app, &page, "brief.png", crate::booking_changes::png())
            .await;
    assert!(said.contains("brief.png is with the studio"), "{said}");
    // Active content is refused by its bytes, whatever it is called.
    let said = crate::booking_changes::send_file(
        &app,
        &page,
        "brief.html",
        b"<script>alert(1)</script>".to_vec(),
    )
    .await;
    assert!(!said.contains("with the studio"), "{said}");
    for i in 2..=5 {
        let said = crate::booking_changes::send_file(
            &app,
            &page,
            &format!("still-{i}.png"),
            crate::booking_changes::png(),
        )
        .await;
        assert!(said.contains("with the studio"), "{said}");
    }
    let (_, body) = app.get_text(&page).await;
    assert!(
        body.contains("brief.png") && !body.contains("/files?csrf_token="),
        "no form past five"
    );
    assert_eq!(count(&app, "select count(*) from quote_files").await, 5);
    // Private: the files are in the `quotes` folder, not public; staff open them from the quote.
    let (folder, stored): (String, i64) = sqlx::query_as(
        "select m.folder, count(*) from media m join quote_files f on f.media_id = m.id group by m.folder",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!((folder.as_str(), stored), ("quotes", 5));
    let staff = staff(&app).await;
    let (_, admin_page) = staff.get_text(&format!("/admin/quote/{id}")).await;
    assert!(admin_page.contains("brief.png") && admin_page.contains("/admin/media/"));
    // A tampered link takes no file.
    let tampered = format!("{page}x/files?csrf_token=whatever");
    let resp = app
        .client
        .post(app.url(&tampered))
        .body("x")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());
}

/// Markup typed into every field a customer or staff fill in comes out escaped on the
/// customer's page, the admin's pages and in every email.
async fn what_anyone_typed_is_escaped_everywhere(backend: Backend) {
    let app = app(backend).await;
    let visitor = app.new_browser();
    let typed = format!("Ann {XSS}");
    let resp = request(
        &app,
        &visitor,
        &[
            ("name", typed.as_str()),
            ("company", typed.as_str()),
            ("service", typed.as_str()),
            ("location", typed.as_str()),
            ("budget", "<img src=x onerror=alert(1)>"),
            ("description", typed.as_str()),
        ],
    )
    .await;
    let page = crate::support::location(&resp);
    let id = page.split('/').nth(2).unwrap().to_owned();
    let staff = staff(&app).await;
    let mut fields = proposal_fields(&day(&app, 14));
    fields.retain(|(k, _)| !matches!(*k, "line1_description" | "message" | "terms"));
    fields.extend([
        ("line1_description", typed.clone()),
        ("message", typed.clone()),
        ("terms", typed.clone()),
    ]);
    assert_eq!(
        send_proposal(&staff, &id, &fields).await.status(),
        StatusCode::SEE_OTHER
    );
    visitor
        .post_form(&format!("{page}/messages"), &[("body", typed.as_str())])
        .await;
    staff
        .post_form(
            &format!("/admin/quote/{id}/messages"),
            &[("body", typed.as_str())],
        )
        .await;
    for (what, body) in [
        ("the customer's page", visitor.get_text(&page).await.1),
        (
            "the admin page",
            staff.get_text(&format!("/admin/quote/{id}")).await.1,
        ),
        ("the admin table", staff.get_text("/admin/quotes").await.1),
    ] {
        assert!(body.contains("&lt;script&gt;"), "{what} shows it");
        assert!(
            !body.contains(XSS) && !body.contains("<img src=x"),
            "{what} escapes it"
        );
    }
    let bodies: Vec<(String, String, String)> =
        sqlx::query_as("select subject, html_body, text_body from emails")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    assert!(bodies.len() >= 4);
    for (subject, html, _) in &bodies {
        assert!(
            !html.contains(XSS) && !html.contains("<img src=x"),
            "{subject}"
        );
    }
}

on_both_backends!(
    a_double_click_on_accept_holds_one_shoot,
    what_anyone_typed_is_escaped_everywhere,
    reference_files_go_with_the_request_to_staff_only,
    accepting_holds_the_shoot_and_its_deposit_confirms_both,
    an_unpaid_deposit_frees_the_date_and_reopens_the_proposal,
    the_contact_form_and_old_links_lead_to_quotes_that_join_the_account,
    a_request_becomes_a_quote_and_bad_input_gets_sentences,
    a_proposal_with_an_extra_is_accepted_and_recorded,
    a_revision_replaces_the_proposal_and_the_old_one_cannot_be_answered,
    decline_questions_and_closing,
    a_lapsed_proposal_expires_once_with_two_workers,
);
