//! Projects (issue 18, part 1): started once from an accepted quote or a confirmed booking,
//! moved along their states, with deliverables and numbered versions; bad input answered
//! with sentences, never a 500.

use flashstudio::identity::model::Role;
use reqwest::StatusCode;

use crate::on_both_backends;
use std::time::Duration;

use crate::support::{Backend, Browser, Stack, TestApp, eventually, location};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery";

async fn exec(app: &TestApp, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(app.state.db.pool())
        .await
        .unwrap();
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// A booking type, bookings 1 (confirmed), 2 (pending) and 3 (completed), and quotes 1
/// (accepted, with booking 1 as its shoot) and 2 (a new request).
async fn dataset(app: &TestApp) {
    let t = flashstudio::db::now();
    exec(
        app,
        format!(
            "insert into booking_types (id, slug, name, length_kind, length_value, currency, \
             created_at, updated_at) values ('00000000-0000-7000-8006-000000000001', 'shoot', \
             'Full-day shoot', 'minutes', 480, 'SGD', {t}, {t})"
        ),
    )
    .await;
    for (n, status) in [(1, "confirmed"), (2, "pending"), (3, "completed")] {
        exec(
            app,
            format!(
                "insert into bookings (id, reference, booking_type_id, type_name, status, starts_at, \
                 ends_at, buffer_before_minutes, buffer_after_minutes, name, email, location, currency, \
                 policy, created_at, updated_at) values ('00000000-0000-7000-8005-00000000000{n}', \
                 'BK-00000{n}', '00000000-0000-7000-8006-000000000001', 'Full-day shoot', '{status}', \
                 {t}, {t} + 28800, 0, 0, 'Client {n}', 'Client{n}@Example.com', 'studio', 'SGD', '{{}}', {t}, {t})"
            ),
        )
        .await;
    }
    for (n, state, booking) in [
        (1, "accepted", "'00000000-0000-7000-8005-000000000001'"),
        (2, "new", "null"),
    ] {
        exec(
            app,
            format!(
                "insert into quotes (id, reference, state, name, email, service, description, \
                 booking_id, created_at, updated_at) values ('00000000-0000-7000-8008-00000000000{n}', \
                 'Q-00000{n}', '{state}', 'Asker {n}', 'asker{n}@example.com', 'Wedding film', 'A film', \
                 {booking}, {t}, {t})"
            ),
        )
        .await;
    }
}

const QUOTE_1: &str = "00000000-0000-7000-8008-000000000001";
const QUOTE_2: &str = "00000000-0000-7000-8008-000000000002";
const BOOKING_1: &str = "00000000-0000-7000-8005-000000000001";
const BOOKING_2: &str = "00000000-0000-7000-8005-000000000002";
const BOOKING_3: &str = "00000000-0000-7000-8005-000000000003";

async fn staff(app: &TestApp) -> Browser {
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let b = app.new_browser();
    b.login(ADMIN, PASSWORD).await;
    b
}

/// Posts a form and follows the redirect; (where it went, the page there).
async fn post_and_follow(b: &Browser, path: &str, fields: &[(&str, &str)]) -> (String, String) {
    let resp = b.post_form(path, fields).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
    let to = location(&resp);
    let (status, page) = b.get_text(&to).await;
    assert_eq!(status, StatusCode::OK, "{to}");
    (to, page)
}

/// From a quote or a booking, once however many clicks; refused with a sentence when the
/// quote is not accepted or the booking not confirmed; the quote's shoot comes along.
async fn a_project_starts_once_from_a_quote_or_a_booking(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    dataset(&app).await;
    let b = staff(&app).await;

    // A double click from two tabs: one project.
    let path = format!("/admin/project-from-quote/{QUOTE_1}");
    let (one, two) = tokio::join!(b.post_form(&path, &[]), b.post_form(&path, &[]));
    assert_eq!(one.status(), StatusCode::SEE_OTHER);
    assert_eq!(two.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&one), location(&two));
    let project = location(&one);
    assert!(project.starts_with("/admin/project/"), "{project}");
    assert_eq!(count(&app, "select count(*) from projects").await, 1);
    let (status, page) = b.get_text(&project).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Wedding film for Asker 1"), "{page}");
    assert!(page.contains("asker1@example.com"));
    assert!(
        page.contains(&format!("/admin/booking/{BOOKING_1}")),
        "the shoot is in it"
    );

    // The quote's shoot is in that project: starting from the booking opens it.
    let (to, page) =
        post_and_follow(&b, &format!("/admin/project-from-booking/{BOOKING_1}"), &[]).await;
    assert_eq!(to.split('?').next(), Some(project.as_str()));
    assert!(page.contains("already existed"), "{page}");

    // Not accepted, not confirmed: a sentence, no project.
    let (to, page) =
        post_and_follow(&b, &format!("/admin/project-from-quote/{QUOTE_2}"), &[]).await;
    assert!(to.starts_with(&format!("/admin/quote/{QUOTE_2}")), "{to}");
    assert!(
        page.contains("Only an accepted quote becomes a project"),
        "{page}"
    );
    let (to, page) =
        post_and_follow(&b, &format!("/admin/project-from-booking/{BOOKING_2}"), &[]).await;
    assert!(
        to.starts_with(&format!("/admin/booking/{BOOKING_2}")),
        "{to}"
    );
    assert!(
        page.contains("Only a confirmed or completed booking"),
        "{page}"
    );
    assert_eq!(count(&app, "select count(*) from projects").await, 1);

    // A completed booking: its own project, for its client's address in lower case.
    let (to, page) =
        post_and_follow(&b, &format!("/admin/project-from-booking/{BOOKING_3}"), &[]).await;
    assert_ne!(to.split('?').next(), Some(project.as_str()));
    assert!(page.contains("Project started"), "{page}");
    assert!(page.contains("client3@example.com"), "{page}");
    assert_eq!(count(&app, "select count(*) from projects").await, 2);

    // Unknown ids and customers: 404 and the login page.
    let resp = b
        .post_form(
            "/admin/project-from-quote/00000000-0000-7000-8008-000000000009",
            &[],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let (status, _) = b.get_text("/admin/project/not-an-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let visitor = app.new_browser();
    let resp = visitor.post_form(&path, &[]).await;
    let to = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(!to.starts_with("/admin/project/"), "{} {to}", resp.status());
    assert_eq!(count(&app, "select count(*) from projects").await, 2);
    let (status, list) = b.get_text("/admin/projects?q=asker1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Wedding film for Asker 1"), "{list}");
    assert!(!list.contains("client3@example.com"));
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_log where action = 'project.start'"
        )
        .await,
        2
    );
    app.stop().await;
}

/// States move only along their edges and from the page's version; deliverables and
/// versions are checked, numbered once each, and what staff typed comes back escaped.
async fn states_deliverables_and_versions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    dataset(&app).await;
    let b = staff(&app).await;
    let (project, _) =
        post_and_follow(&b, &format!("/admin/project-from-quote/{QUOTE_1}"), &[]).await;
    let project = project.split('?').next().unwrap().to_owned();
    let id = project.trim_start_matches("/admin/project/").to_owned();
    let state_path = format!("{project}/state");

    // Not an edge: refused, unchanged.
    let (_, page) =
        post_and_follow(&b, &state_path, &[("to", "delivered"), ("version", "1")]).await;
    assert!(page.contains("cannot become"), "{page}");
    // An edge from the page's version: done; the same form again is stale.
    let (_, page) =
        post_and_follow(&b, &state_path, &[("to", "in_review"), ("version", "1")]).await;
    assert!(page.contains("now “In review”"), "{page}");
    let (_, page) = post_and_follow(&b, &state_path, &[("to", "approved"), ("version", "1")]).await;
    assert!(page.contains("changed since you opened it"), "{page}");
    let (_, page) = post_and_follow(&b, &state_path, &[("to", "nonsense"), ("version", "x")]).await;
    assert!(page.contains("Choose one of the buttons"), "{page}");
    let state: String = sqlx::query_scalar("select state from projects where id = $1")
        .bind(&id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(state, "in_review");

    // A deliverable: a missing title and an unknown kind are sentences beside the fields,
    // with what was typed kept and escaped.
    let path = format!("{project}/deliverables");
    let resp = b
        .post_form(&path, &[("title", ""), ("kind", "hologram")])
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.unwrap();
    assert!(page.contains("Give the deliverable a title"), "{page}");
    assert!(page.contains("Choose what it is"), "{page}");
    let resp = b
        .post_form(
            &path,
            &[("title", "<script>x</script>"), ("kind", "hologram")],
        )
        .await;
    let page = resp.text().await.unwrap();
    assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"), "escaped");
    assert!(!page.contains("<script>x</script>"));
    let (_, page) = post_and_follow(
        &b,
        &path,
        &[("title", "Wedding film, 12 minutes"), ("kind", "film")],
    )
    .await;
    assert!(page.contains("Deliverable added."), "{page}");
    let deliverable: String = sqlx::query_scalar("select id from deliverables")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();

    // Versions: a file of the library is required; two added at once get v1 and v2.
    let token = crate::media::token(&app).await;
    let resp = crate::media::upload(&app, &token, "cut.png", crate::media::png(8, 8), None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let media: String = sqlx::query_scalar("select id from media where original_name = 'cut.png'")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let versions = format!("/admin/deliverable/{deliverable}/versions");
    let resp = b
        .post_form(&versions, &[("media", "not-a-file"), ("note", "first cut")])
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("Choose a file of the media library"),
        "{page}"
    );
    assert!(page.contains("first cut"), "the note typed is kept");
    let first = [("media", media.as_str()), ("note", "first cut")];
    let second = [("media", media.as_str()), ("note", "after feedback")];
    let (one, two) = tokio::join!(
        b.post_form(&versions, &first),
        b.post_form(&versions, &second),
    );
    assert_eq!(one.status(), StatusCode::SEE_OTHER);
    assert_eq!(two.status(), StatusCode::SEE_OTHER);
    let numbers: Vec<i64> =
        sqlx::query_scalar("select number from deliverable_versions order by number")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(numbers, vec![1, 2]);
    let (_, page) = b.get_text(&project).await;
    assert!(page.contains("v2") && page.contains("v1"), "{page}");
    assert!(page.contains("cut.png"));
    assert!(page.contains("Add version 3"));
    let resp = b
        .post_form(
            "/admin/deliverable/00000000-0000-7000-8000-000000000000/versions",
            &[("media", &media)],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

/// The client's room: the signed link opens it, a tampered or ended link is a 404, the
/// newest version plays through a signed media path, and an account sees only its own
/// projects under *Your projects*.
async fn the_screening_room_opens_with_its_link_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    dataset(&app).await;
    app.create_user("asker1@example.com", PASSWORD, Role::Customer)
        .await;
    exec(
        &app,
        format!(
            "update quotes set user_id = (select id from users where email = 'asker1@example.com') \
             where id = '{QUOTE_1}'"
        ),
    )
    .await;
    let b = staff(&app).await;
    let (project, page) =
        post_and_follow(&b, &format!("/admin/project-from-quote/{QUOTE_1}"), &[]).await;
    let project = project.split('?').next().unwrap().to_owned();
    let link = page
        .split("/screening/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|rest| format!("/screening/{rest}"))
        .expect("the project page shows the client's link");

    // Nothing yet, then a still: the room shows its newest version through a signed path.
    let visitor = app.new_browser();
    let (status, room) = visitor.get_text(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(room.contains("Nothing to watch yet"), "{room}");
    post_and_follow(
        &b,
        &format!("{project}/deliverables"),
        &[("title", "Stills <from> the day"), ("kind", "still")],
    )
    .await;
    let deliverable: String = sqlx::query_scalar("select id from deliverables")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let token = crate::media::token(&app).await;
    let resp = crate::media::upload(&app, &token, "still.png", crate::media::png(8, 8), None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let media: String =
        sqlx::query_scalar("select id from media where original_name = 'still.png'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    post_and_follow(
        &b,
        &format!("/admin/deliverable/{deliverable}/versions"),
        &[("media", &media), ("note", "graded")],
    )
    .await;
    let resp = visitor.get(&link).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["referrer-policy"].to_str().unwrap(),
        "no-referrer"
    );
    let room = resp.text().await.unwrap();
    assert!(
        room.contains("Stills &lt;from&gt; the day"),
        "escaped: {room}"
    );
    assert!(room.contains("v1") && room.contains("graded"), "{room}");
    let thumb = room
        .split(&format!("/media/{media}/thumb?"))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|q| format!("/media/{media}/thumb?{}", q.replace("&amp;", "&")))
        .expect("the still through a signed path");
    let (status, _) = visitor.get_text(&thumb).await;
    assert_eq!(status, StatusCode::OK);

    // Tampered: 404. A new link ends the old one.
    let mut tampered = link.clone();
    tampered.pop();
    tampered.push(if link.ends_with('A') { 'B' } else { 'A' });
    let (status, _) = visitor.get_text(&tampered).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = visitor
        .get_text("/screening/00000000-0000-7000-8000-000000000000/abc")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = post_and_follow(&b, &format!("{project}/new-link"), &[]).await;
    assert!(page.contains("A new link"), "{page}");
    let (status, _) = visitor.get_text(&link).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the old link ended");
    assert!(!page.contains(&link));

    // The client's account lists it; another account does not; a visitor must sign in.
    let own = app.new_browser();
    own.login("asker1@example.com", PASSWORD).await;
    let (status, list) = own.get_text("/account/projects").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Wedding film for Asker 1"), "{list}");
    let new_link = list
        .split("/screening/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|rest| format!("/screening/{rest}"))
        .unwrap();
    let (status, _) = own.get_text(&new_link).await;
    assert_eq!(status, StatusCode::OK);
    app.create_user("other@example.com", PASSWORD, Role::Customer)
        .await;
    let other = app.new_browser();
    other.login("other@example.com", PASSWORD).await;
    let (status, list) = other.get_text("/account/projects").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!list.contains("Wedding film"), "{list}");
    let resp = app.new_browser().get("/account/projects").await;
    assert_ne!(resp.status(), StatusCode::OK);
    app.stop().await;
}

/// A guest's project joins the account that confirms the guest's address, with the rest.
async fn a_guest_project_joins_the_account_that_confirms_its_address(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    dataset(&app).await;
    let b = staff(&app).await;
    post_and_follow(&b, &format!("/admin/project-from-booking/{BOOKING_3}"), &[]).await;

    let me = app.new_browser();
    let resp = me
        .register("client3@example.com", "sunlit kettle orbit 42")
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, list) = me.get_text("/account/projects").await;
    assert!(
        !list.contains("Full-day shoot for Client 3"),
        "not before confirming: {list}"
    );
    let path = crate::support::confirmation_path(&app, "client3@example.com").await;
    assert_eq!(
        me.post_form(&path, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let (status, list) = me.get_text("/account/projects").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("Full-day shoot for Client 3"),
        "joined: {list}"
    );
    app.stop().await;
}

async fn scalar(app: &TestApp, sql: &str, id: &str) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// The client's link on a project page (or a list of projects).
fn client_link(page: &str) -> String {
    page.split("/screening/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|rest| format!("/screening/{rest}"))
        .expect("the client's link")
}

/// A film deliverable of `project` (an admin path) with a picture as its next version (the
/// room shows it as a picture; the comment form still asks for a time); (the
/// deliverable's id, the new version's id).
async fn still_version(app: &TestApp, b: &Browser, project: &str, title: &str) -> (String, String) {
    let deliverable: String =
        match sqlx::query_scalar::<_, String>("select id from deliverables where title = $1")
            .bind(title)
            .fetch_optional(app.state.db.pool())
            .await
            .unwrap()
        {
            Some(id) => id,
            None => {
                post_and_follow(
                    b,
                    &format!("{project}/deliverables"),
                    &[("title", title), ("kind", "film")],
                )
                .await;
                scalar(app, "select id from deliverables where title = $1", title).await
            }
        };
    let token = crate::media::token(app).await;
    let name = format!("{}.png", flashstudio::db::new_id());
    let resp = crate::media::upload(app, &token, &name, crate::media::png(8, 8), None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let media = scalar(app, "select id from media where original_name = $1", &name).await;
    post_and_follow(
        b,
        &format!("/admin/deliverable/{deliverable}/versions"),
        &[("media", &media), ("note", "")],
    )
    .await;
    let version = scalar(
        app,
        "select id from deliverable_versions where media_id = $1",
        &media,
    )
    .await;
    (deliverable, version)
}

async fn waiting(app: &TestApp, id: &str) -> i64 {
    sqlx::query_scalar("select comments_waiting from projects where id = $1")
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// Sends the project for review from its current version.
async fn send_for_review(app: &TestApp, b: &Browser, project: &str, id: &str) {
    let version: i64 = sqlx::query_scalar("select version from projects where id = $1")
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let (_, page) = post_and_follow(
        b,
        &format!("{project}/state"),
        &[("to", "in_review"), ("version", &version.to_string())],
    )
    .await;
    assert!(page.contains("now “In review”"), "{page}");
}

/// The client comments at a time of the film and on the whole version, staff reply and
/// resolve, the waiting count follows; the client asks for changes (the project goes back to
/// production), then approves the next version (the project is approved); double clicks and
/// stale versions record one answer; bad input is a sentence, a foreign link a 404.
async fn comments_and_answers_in_the_screening_room(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    dataset(&app).await;
    let b = staff(&app).await;
    let (project, page) =
        post_and_follow(&b, &format!("/admin/project-from-quote/{QUOTE_1}"), &[]).await;
    let project = project.split('?').next().unwrap().to_owned();
    let id = project.trim_start_matches("/admin/project/").to_owned();
    let link = client_link(&page);
    let (_, v1) = still_version(&app, &b, &project, "Wedding film").await;
    let client = app.new_browser();
    let (status, room) = client.get_text(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        room.contains("Comments on v1") && room.contains("No comments yet"),
        "{room}"
    );

    // Mistakes come back as sentences with what was typed; someone else's version is a 404,
    // and so is a tampered link.
    let comment = format!("{link}/comment");
    let resp = client
        .post_form(
            &comment,
            &[("version", &v1), ("at", "1:60"), ("body", "Too <small>")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.unwrap();
    assert!(page.contains("minutes and seconds"), "{page}");
    assert!(page.contains("Too &lt;small&gt;"), "kept, escaped");
    let resp = client
        .post_form(&comment, &[("version", &v1), ("at", ""), ("body", "  ")])
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("Write your comment"));
    let resp = client
        .post_form(
            &comment,
            &[
                ("version", "00000000-0000-7000-8000-000000000009"),
                ("body", "x"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let mut tampered = link.clone();
    tampered.pop();
    tampered.push(if link.ends_with('A') { 'B' } else { 'A' });
    let resp = client
        .post_form(
            &format!("{tampered}/comment"),
            &[("version", &v1), ("body", "x")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        count(&app, "select count(*) from version_comments").await,
        0
    );

    // Two comments: at 1:23 and on the whole version, listed whole-version first.
    for (at, body) in [("1:23", "The logo is too small"), ("", "Lovely colours")] {
        let resp = client
            .post_form(&comment, &[("version", &v1), ("at", at), ("body", body)])
            .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    }
    let (_, room) = client.get_text(&link).await;
    let (whole, timed) = (
        room.find("Lovely colours").unwrap(),
        room.find("The logo").unwrap(),
    );
    assert!(whole < timed, "whole version first");
    assert!(room.contains("01:23"), "{room}");
    assert_eq!(waiting(&app, &id).await, 2);
    let (_, dashboard) = b.get_text("/admin").await;
    assert!(dashboard.contains("Comments to answer"), "{dashboard}");

    // Staff: an empty reply is a sentence; a reply answers; resolving twice counts once.
    let timed_id = scalar(
        &app,
        "select id from version_comments where body = $1",
        "The logo is too small",
    )
    .await;
    let whole_id = scalar(
        &app,
        "select id from version_comments where body = $1",
        "Lovely colours",
    )
    .await;
    let (_, page) = b.get_text(&project).await;
    assert!(
        page.contains("To answer") && page.contains("The logo is too small"),
        "{page}"
    );
    let resp = b
        .post_form(&format!("/admin/comment/{timed_id}/reply"), &[("body", "")])
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("Write your comment"));
    post_and_follow(
        &b,
        &format!("/admin/comment/{timed_id}/reply"),
        &[("body", "Making it bigger in v2")],
    )
    .await;
    assert_eq!(waiting(&app, &id).await, 1);
    let resolve = format!("/admin/comment/{whole_id}/resolve");
    let (one, two) = tokio::join!(b.post_form(&resolve, &[]), b.post_form(&resolve, &[]));
    assert_eq!(
        (one.status(), two.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    assert_eq!(waiting(&app, &id).await, 0);
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_log where action = 'project.comment_resolve'"
        )
        .await,
        1
    );
    // The client hears of the reply by email, gathered per ten minutes, once.
    exec(
        &app,
        "update jobs set run_at = 0 where kind = 'projects.reply_mail'".to_owned(),
    )
    .await;
    let mail: String = eventually("the replies' email", Duration::from_secs(30), || async {
        sqlx::query_scalar(
            "select text_body from emails where kind = 'project_replies' \
             and to_address = 'asker1@example.com'",
        )
        .fetch_optional(app.state.db.pool())
        .await
        .unwrap()
    })
    .await;
    assert!(
        mail.contains("Making it bigger in v2") && mail.contains("01:23"),
        "{mail}"
    );
    exec(
        &app,
        "update jobs set status = 'queued', run_at = 0 where kind = 'projects.reply_mail'"
            .to_owned(),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        count(
            &app,
            "select count(*) from emails where kind = 'project_replies'"
        )
        .await,
        1,
        "once"
    );
    let (_, room) = client.get_text(&link).await;
    assert!(
        room.contains("The studio") && room.contains("Making it bigger in v2"),
        "{room}"
    );
    assert!(
        !room.contains(ADMIN),
        "the client does not see who in the studio"
    );
    client
        .post_form(&format!("/admin/comment/{timed_id}/resolve"), &[])
        .await;
    assert_eq!(
        count(
            &app,
            "select count(*) from version_comments where resolved_at is not null"
        )
        .await,
        1,
        "only staff resolve"
    );

    // Changes requested need a message; then the project goes back to production and staff
    // hear of it; a second answer to the same version is not recorded.
    send_for_review(&app, &b, &project, &id).await;
    let decision = format!("{link}/decision");
    let resp = client
        .post_form(
            &decision,
            &[
                ("version", &v1),
                ("decision", "changes_requested"),
                ("message", ""),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("Say what to change"));
    let resp = client
        .post_form(
            &decision,
            &[
                ("version", &v1),
                ("decision", "changes_requested"),
                ("message", "Bigger logo"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = client
        .post_form(
            &decision,
            &[("version", &v1), ("decision", "approved"), ("message", "")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, room) = client.get_text(&location(&resp)).await;
    assert!(room.contains("answered already"), "{room}");
    assert_eq!(
        scalar(
            &app,
            "select decision from deliverable_versions where id = $1",
            &v1
        )
        .await,
        "changes_requested"
    );
    assert_eq!(
        scalar(&app, "select state from projects where id = $1", &id).await,
        "in_production"
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from emails where kind = 'project_changes_staff'"
        )
        .await,
        1
    );

    // v2, sent for review; approved from two tabs at once: one answer, the project approved,
    // one email. An answer to v1 now is told a newer version came.
    let (_, v2) = still_version(&app, &b, &project, "Wedding film").await;
    send_for_review(&app, &b, &project, &id).await;
    let fields = [
        ("version", v2.as_str()),
        ("decision", "approved"),
        ("message", ""),
    ];
    let (one, two) = tokio::join!(
        client.post_form(&decision, &fields),
        client.post_form(&decision, &fields)
    );
    assert_eq!(
        (one.status(), two.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    assert_eq!(
        scalar(&app, "select state from projects where id = $1", &id).await,
        "approved"
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from emails where kind = 'project_approved_staff'"
        )
        .await,
        1
    );
    let resp = client
        .post_form(
            &decision,
            &[("version", &v1), ("decision", "approved"), ("message", "")],
        )
        .await;
    let (_, room) = client.get_text(&location(&resp)).await;
    assert!(room.contains("A newer version arrived"), "{room}");
    let (_, page) = b.get_text(&project).await;
    assert!(page.contains("Approved by the client"), "{page}");
    assert!(page.contains("Bigger logo"), "{page}");

    // Approved: the client is asked for a review, once; they write it from the room (two
    // clicks, one review); it shows publicly only once staff approve it; an edit waits again.
    assert_eq!(
        count(&app, "select count(*) from emails where kind = 'project_review_request' and to_address = 'asker1@example.com'").await,
        1
    );
    let (_, room) = client.get_text(&link).await;
    assert!(room.contains("Your review"), "{room}");
    let review = format!("{link}/review");
    let resp = client
        .post_form(
            &review,
            &[("rating", "9"), ("body", "Great <team>"), ("name", "Asker")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("Choose from one to five stars") && page.contains("Great &lt;team&gt;"),
        "{page}"
    );
    let fields = [("rating", "5"), ("body", "Great <team>"), ("name", "Asker")];
    let (one, two) = tokio::join!(
        client.post_form(&review, &fields),
        client.post_form(&review, &fields)
    );
    assert_eq!(
        (one.status(), two.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    assert_eq!(count(&app, "select count(*) from project_reviews").await, 1);
    let (_, public) = app.new_browser().get_text("/client-reviews").await;
    assert!(!public.contains("Great"), "not before moderation: {public}");
    exec(
        &app,
        "update project_reviews set status = 'approved'".to_owned(),
    )
    .await;
    let (_, public) = app.new_browser().get_text("/client-reviews").await;
    assert!(
        public.contains("Great &lt;team&gt;") && public.contains("Asker"),
        "{public}"
    );
    let (status, table) = b.get_text("/admin/client-reviews").await;
    assert_eq!(status, StatusCode::OK);
    assert!(table.contains("Great &lt;team&gt;"), "{table}");
    post_and_follow(
        &client,
        &review,
        &[("rating", "4"), ("body", "Still great"), ("name", "Asker")],
    )
    .await;
    let (_, public) = app.new_browser().get_text("/client-reviews").await;
    assert!(
        !public.contains("Still great"),
        "an edit waits for moderation: {public}"
    );
    app.stop().await;
}

/// Moves the project to `to` from its current version.
async fn move_project(app: &TestApp, b: &Browser, project: &str, id: &str, to: &str) {
    let version: i64 = sqlx::query_scalar("select version from projects where id = $1")
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let (_, page) = post_and_follow(
        b,
        &format!("{project}/state"),
        &[("to", to), ("version", &version.to_string())],
    )
    .await;
    assert!(page.contains("The project is now"), "{to}: {page}");
}

async fn completed_downloads(app: &TestApp) -> i64 {
    count(
        app,
        "select count(*) from project_downloads where completed = 1",
    )
    .await
}

/// Downloads open at delivery; a whole download counts once, a resumed one (two ranges) once;
/// over the cap 429, after the period 410 with a request for more time (one email a day),
/// extended by staff with one click; a tampered link 404; the reminder goes once.
async fn downloads_expire_and_count_completed_ones(stack: Stack) {
    let app = TestApp::on(stack).spawn().await;
    dataset(&app).await;
    let b = staff(&app).await;
    let (project, page) =
        post_and_follow(&b, &format!("/admin/project-from-quote/{QUOTE_1}"), &[]).await;
    let project = project.split('?').next().unwrap().to_owned();
    let id = project.trim_start_matches("/admin/project/").to_owned();
    let link = client_link(&page);
    let (_, v1) = still_version(&app, &b, &project, "Wedding film").await;
    let file = format!("{link}/download/{v1}");
    let client = app.new_browser();

    // Not delivered yet: a page that says so.
    let resp = client.get(&file).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Downloads open when the studio delivers")
    );

    for to in ["in_review", "approved", "delivered"] {
        move_project(&app, &b, &project, &id, to).await;
    }
    let until: Option<i64> =
        sqlx::query_scalar("select downloads_until from projects where id = $1")
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let days = (until.unwrap() - flashstudio::db::now()) / 86_400;
    assert!((29..=30).contains(&days), "thirty days: {days}");
    let (_, room) = client.get_text(&link).await;
    assert!(
        room.contains("Download v1") && room.contains("10 of 10 downloads left"),
        "{room}"
    );

    // The whole file: an attachment, counted once it is all sent.
    let resp = client.get(&file).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"),
        "a download"
    );
    let whole = resp.bytes().await.unwrap();
    assert_eq!(&whole[..4], b"\x89PNG");
    eventually("the download counted", Duration::from_secs(10), || async {
        (completed_downloads(&app).await == 1).then_some(())
    })
    .await;

    // Resumed: the first ten bytes, then the rest. Two requests, one download.
    let resp = client.get_with(&file, &[("range", "bytes=0-9")]).await;
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.bytes().await.unwrap().len(), 10);
    let resp = client.get_with(&file, &[("range", "bytes=10-")]).await;
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.bytes().await.unwrap()[..], whole[10..]);
    eventually(
        "the resumed download counted",
        Duration::from_secs(10),
        || async {
            let (all, done): (i64, i64) = sqlx::query_as(
                "select count(*), cast(coalesce(sum(completed), 0) as bigint) from project_downloads \
             where finished_at is not null",
            )
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
            (all == 3).then_some(done)
        },
    )
    .await;
    assert_eq!(
        completed_downloads(&app).await,
        2,
        "three requests, two downloads"
    );
    let (_, page) = b.get_text(&project).await;
    assert!(
        page.contains("Wedding film v1") && !page.contains("No downloads yet"),
        "{page}"
    );

    // A tampered link is a 404.
    let mut tampered = link.clone();
    tampered.pop();
    tampered.push(if link.ends_with('A') { 'B' } else { 'A' });
    let resp = client.get(&format!("{tampered}/download/{v1}")).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // The cap: settings with mistakes come back; a cap of two is reached.
    let rules = format!("{project}/downloads");
    let resp = b.post_form(&rules, &[("days", "0"), ("cap", "x")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.unwrap();
    assert!(page.contains("A number of days from 1 to 365"), "{page}");
    post_and_follow(&b, &rules, &[("days", "30"), ("cap", "2")]).await;
    let resp = client.get(&file).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("the most this project allows")
    );

    // Ended: 410 with a request for more time, which reaches staff once a day.
    exec(
        &app,
        format!("update projects set download_cap = 10, downloads_until = 1000 where id = '{id}'"),
    )
    .await;
    let resp = client.get(&file).await;
    assert_eq!(resp.status(), StatusCode::GONE);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Ask the studio for more time")
    );
    let more = format!("{link}/more-time");
    let (_, room) = post_and_follow(&client, &more, &[]).await;
    assert!(room.contains("The studio has your request"), "{room}");
    let (_, room) = post_and_follow(&client, &more, &[]).await;
    assert!(room.contains("You asked already today"), "{room}");
    assert_eq!(
        count(
            &app,
            "select count(*) from emails where kind = 'project_more_time_staff'"
        )
        .await,
        1
    );

    // Staff extend with one click: open again for the project's period from now.
    let (_, page) = post_and_follow(&b, &format!("{project}/extend"), &[]).await;
    assert!(page.contains("Downloads open until"), "{page}");
    assert_eq!(client.get(&file).await.status(), StatusCode::OK);

    // The whole project as one ZIP: the newest version of each deliverable, byte for byte,
    // each file counted once when the ZIP completes; a tampered link is a 404.
    still_version(&app, &b, &project, "Stills of the day").await;
    let (_, room) = client.get_text(&link).await;
    assert!(room.contains("Download everything (ZIP)"), "{room}");
    let before = completed_downloads(&app).await;
    let resp = client.get(&format!("{link}/zip")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let announced: usize = resp.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let archive = resp.bytes().await.unwrap().to_vec();
    assert_eq!(archive.len(), announced, "the ZIP's length is announced");
    let reader = async_zip::base::read::mem::ZipFileReader::new(archive)
        .await
        .expect("a valid ZIP");
    let names: Vec<String> = reader
        .file()
        .entries()
        .iter()
        .map(|e| e.filename().as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].starts_with("Wedding film/"), "{names:?}");
    assert!(names[1].starts_with("Stills of the day/"), "{names:?}");
    let mut first = Vec::new();
    reader
        .reader_with_entry(0)
        .await
        .unwrap()
        .read_to_end_checked(&mut first)
        .await
        .unwrap();
    assert_eq!(
        first,
        whole.to_vec(),
        "the film's file, byte for byte (CRC checked)"
    );
    eventually("the ZIP counted", Duration::from_secs(10), || async {
        (completed_downloads(&app).await == before + 2).then_some(())
    })
    .await;
    let resp = client.get(&format!("{tampered}/zip")).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // The reminder before the end goes once, however often its job runs.
    exec(
        &app,
        "update jobs set run_at = 0 where kind = 'projects.remind_downloads'".to_owned(),
    )
    .await;
    eventually("the reminder", Duration::from_secs(30), || async {
        let left = count(
            &app,
            "select count(*) from jobs where kind = 'projects.remind_downloads' and status <> 'done'",
        )
        .await;
        (left == 0).then_some(())
    })
    .await;
    exec(
        &app,
        "update jobs set status = 'queued', run_at = 0 where kind = 'projects.remind_downloads'"
            .to_owned(),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        count(
            &app,
            "select count(*) from emails where kind = 'project_downloads_reminder'"
        )
        .await,
        1,
        "one reminder for the current end"
    );
    app.stop().await;
}

/// A project from a quote whose balance is owed keeps its downloads (and the ZIP) closed with
/// a way to pay, until the balance is paid or staff lift the wait.
async fn downloads_wait_for_the_quotes_balance(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    dataset(&app).await;
    exec(
        &app,
        format!(
            "update quotes set accepted_total_minor = 100000, accepted_deposit_minor = 30000 \
             where id = '{QUOTE_1}'"
        ),
    )
    .await;
    let b = staff(&app).await;
    let (project, page) =
        post_and_follow(&b, &format!("/admin/project-from-quote/{QUOTE_1}"), &[]).await;
    let project = project.split('?').next().unwrap().to_owned();
    let id = project.trim_start_matches("/admin/project/").to_owned();
    let link = client_link(&page);
    let (_, v1) = still_version(&app, &b, &project, "Wedding film").await;
    for to in ["in_review", "approved", "delivered"] {
        move_project(&app, &b, &project, &id, to).await;
    }
    let client = app.new_browser();
    let file = format!("{link}/download/{v1}");
    let resp = client.get(&file).await;
    assert_eq!(resp.status(), StatusCode::PAYMENT_REQUIRED);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("See and pay the balance") && page.contains("/quotes/"),
        "{page}"
    );
    assert_eq!(
        client.get(&format!("{link}/zip")).await.status(),
        StatusCode::PAYMENT_REQUIRED
    );
    let (_, room) = client.get_text(&link).await;
    assert!(
        room.contains("Pay the balance") && !room.contains("Download everything"),
        "{room}"
    );

    // Staff lift the wait: open. Put it back, then the balance is paid: open.
    let rules = format!("{project}/downloads");
    post_and_follow(&b, &rules, &[("days", "30"), ("cap", "10")]).await;
    assert_eq!(client.get(&file).await.status(), StatusCode::OK);
    post_and_follow(
        &b,
        &rules,
        &[("days", "30"), ("cap", "10"), ("balance_first", "1")],
    )
    .await;
    assert_eq!(
        client.get(&file).await.status(),
        StatusCode::PAYMENT_REQUIRED
    );
    exec(
        &app,
        format!("update quotes set balance_paid_at = 1 where id = '{QUOTE_1}'"),
    )
    .await;
    assert_eq!(client.get(&file).await.status(), StatusCode::OK);
    app.stop().await;
}

/// A two-second film with sound, made by ffmpeg (its index at the end, as cameras write it).
fn camera_film() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("film.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=640x360:rate=25:duration=2")
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=2"])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
        ])
        .arg(&path)
        .status()
        .expect("ffmpeg (scripts/test installs it)");
    assert!(status.success());
    std::fs::read(path).unwrap()
}

/// The boxes at the top level of an MP4, in order (`ftyp`, `moov`, `mdat`, …).
fn top_boxes(bytes: &[u8]) -> Vec<String> {
    let mut boxes = Vec::new();
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        boxes.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        if size < 8 {
            break;
        }
        at += size;
    }
    boxes
}

/// A film version gets a web rendition (index first, so it starts at once) and a watermarked
/// preview; the room plays the preview, and hands out nothing of the original, while the
/// quote's balance is owed, and the web rendition once it is paid.
async fn films_play_from_a_web_rendition_and_a_preview_while_owed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    dataset(&app).await;
    exec(
        &app,
        format!(
            "update quotes set accepted_total_minor = 100000, accepted_deposit_minor = 30000 \
             where id = '{QUOTE_1}'"
        ),
    )
    .await;
    let b = staff(&app).await;
    let (project, page) =
        post_and_follow(&b, &format!("/admin/project-from-quote/{QUOTE_1}"), &[]).await;
    let project = project.split('?').next().unwrap().to_owned();
    let link = client_link(&page);
    post_and_follow(
        &b,
        &format!("{project}/deliverables"),
        &[("title", "Launch film"), ("kind", "film")],
    )
    .await;
    let deliverable = scalar(
        &app,
        "select id from deliverables where title = $1",
        "Launch film",
    )
    .await;
    let original = camera_film();
    assert_eq!(
        top_boxes(&original).last().map(String::as_str),
        Some("moov"),
        "{:?}",
        top_boxes(&original)
    );
    let token = crate::media::token(&app).await;
    let resp = crate::media::upload(&app, &token, "launch.mp4", original.clone(), None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let media = scalar(
        &app,
        "select id from media where original_name = $1",
        "launch.mp4",
    )
    .await;
    post_and_follow(
        &b,
        &format!("/admin/deliverable/{deliverable}/versions"),
        &[("media", &media), ("note", "")],
    )
    .await;

    // Before the preview exists, the owed room shows no player and no link to the original.
    let client = app.new_browser();
    let (_, room) = client.get_text(&link).await;
    if !room.contains("/preview?") {
        assert!(
            room.contains("A watermarked preview is being prepared"),
            "{room}"
        );
        assert!(!room.contains(&format!("/media/{media}/file")), "{room}");
        assert!(!room.contains(&format!("/media/{media}/web")), "{room}");
    }
    eventually("the renditions", Duration::from_secs(60), || {
        rendition(&app, &media, "preview_key")
    })
    .await;

    // Owed: the preview plays, index first; the original is nowhere on the page.
    let (_, room) = client.get_text(&link).await;
    assert!(room.contains(&format!("/media/{media}/preview?")), "{room}");
    assert!(room.contains("A watermarked preview"), "{room}");
    assert!(
        !room.contains(&format!("/media/{media}/file"))
            && !room.contains(&format!("/media/{media}/web")),
        "{room}"
    );
    let src = attr_after(&room, "<video", "src=\"");
    let resp = client.get(&src.replace("&amp;", "&")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "video/mp4");
    let preview = resp.bytes().await.unwrap();
    assert_eq!(
        &top_boxes(&preview)[..2],
        ["ftyp", "moov"],
        "the preview starts at once"
    );
    assert_ne!(preview.as_ref(), original.as_slice());

    // Paid: the web rendition plays (index first, sound kept), the original stays for download.
    exec(
        &app,
        format!("update quotes set balance_paid_at = 1 where id = '{QUOTE_1}'"),
    )
    .await;
    let (_, room) = client.get_text(&link).await;
    assert!(room.contains(&format!("/media/{media}/web?")), "{room}");
    assert!(!room.contains("A watermarked preview"), "{room}");
    let src = attr_after(&room, "<video", "src=\"");
    let web = client
        .get(&src.replace("&amp;", "&"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        &top_boxes(&web)[..2],
        ["ftyp", "moov"],
        "the web rendition starts at once"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.mp4"), &web).unwrap();
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type",
            "-of",
            "csv=p=0",
        ])
        .arg(dir.path().join("web.mp4"))
        .output()
        .unwrap();
    let streams = String::from_utf8_lossy(&probe.stdout).into_owned();
    assert!(
        streams.contains("video") && streams.contains("audio"),
        "{streams}"
    );

    // A request that ended without renditions (as when ffmpeg was missing) is made again when
    // the film is added again, under names of its own; added twice, it is queued once.
    let first_web = scalar(&app, "select web_key from media where id = $1", &media).await;
    exec(
        &app,
        format!("update media set web_key = null, preview_key = null where id = '{media}'"),
    )
    .await;
    for note in ["Again", "Again, twice"] {
        post_and_follow(
            &b,
            &format!("/admin/deliverable/{deliverable}/versions"),
            &[("media", &media), ("note", note)],
        )
        .await;
    }
    let jobs = format!(
        "select count(*) from jobs where kind = 'media.render_web' and payload like '%{media}%'"
    );
    let all = count(&app, &jobs).await;
    let keyed = count(&app, &format!("{jobs} and dedupe_key is not null")).await;
    assert_eq!((all, keyed), (2, 1));
    let second_web = eventually("the renditions again", Duration::from_secs(60), || {
        rendition(&app, &media, "web_key")
    })
    .await;
    assert_ne!(first_web, second_web);
    app.stop().await;
}

/// A film's rendition key (`web_key`, `preview_key`), once it has one.
async fn rendition(app: &TestApp, media: &str, column: &str) -> Option<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select {column} from media where id = $1"
    )))
    .bind(media)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

/// The value of the first `attr` (e.g. `src="`) after `tag` in `html`.
fn attr_after(html: &str, tag: &str, attr: &str) -> String {
    let from = html
        .find(tag)
        .unwrap_or_else(|| panic!("no {tag} in {html}"));
    let start = from + html[from..].find(attr).unwrap() + attr.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_owned()
}

crate::on_every_stack!(downloads_expire_and_count_completed_ones);

on_both_backends!(
    films_play_from_a_web_rendition_and_a_preview_while_owed,
    downloads_wait_for_the_quotes_balance,
    comments_and_answers_in_the_screening_room,
    a_project_starts_once_from_a_quote_or_a_booking,
    states_deliverables_and_versions,
    the_screening_room_opens_with_its_link_only,
    a_guest_project_joins_the_account_that_confirms_its_address,
);
