//! Bookings (issue 15), first slice: the customer flow without JavaScript (type → calendar →
//! time → details → review → booked), the booking's own page and cancelling from it, bad input
//! answered with sentences, and placement that cannot double-book under concurrency.

use flashstudio::bookings::availability::Unavailable;
use flashstudio::bookings::service::{self, Details, NotPlaced};
use flashstudio::demo::{SeedOptions, seed};
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{Backend, TestApp};

pub(crate) async fn app(backend: Backend) -> TestApp {
    let app = TestApp::builder(backend)
        .var("STAFF_EMAIL", "studio@flashstudio.test")
        .spawn()
        .await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    app
}

/// Every `href="..."` in `html` that starts with `prefix`, unescaped.
pub(crate) fn links(html: &str, prefix: &str) -> Vec<String> {
    let needle = format!("href=\"{prefix}");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let at = at + "href=\"".len();
            let end = html[at..].find('"')? + at;
            Some(html[at..end].replace("&amp;", "&"))
        })
        .collect()
}

/// A free day's picker page and its first free time's details link.
async fn first_free_time(app: &TestApp, slug: &str) -> (String, String) {
    let month_links = format!("/book/{slug}?month=");
    let (status, calendar) = app.get_text(&format!("/book/{slug}")).await;
    assert_eq!(status, StatusCode::OK);
    let mut days: Vec<String> = links(&calendar, &month_links)
        .into_iter()
        .filter(|l| l.contains("day="))
        .collect();
    if days.is_empty() {
        // Late in the month: the next one.
        let next = links(&calendar, &month_links).pop().expect("a next month");
        let (_, calendar) = app.get_text(&next).await;
        days = links(&calendar, &month_links)
            .into_iter()
            .filter(|l| l.contains("day="))
            .collect();
    }
    let day = days.first().expect("a free day on the calendar").clone();
    let (status, times) = app.get_text(&day).await;
    assert_eq!(status, StatusCode::OK);
    let details = links(&times, &format!("/book/{slug}/details?start="))
        .first()
        .expect("a free time")
        .clone();
    (day, details)
}

/// A free time well ahead (the last free day of next month): far from any cut-off.
pub(crate) async fn a_later_free_time(app: &TestApp, slug: &str) -> (String, String) {
    let month_links = format!("/book/{slug}?month=");
    let (_, calendar) = app.get_text(&format!("/book/{slug}")).await;
    let next = links(&calendar, &month_links)
        .into_iter()
        .rfind(|l| !l.contains("day="))
        .expect("a next month");
    let (_, calendar) = app.get_text(&next).await;
    let day = links(&calendar, &month_links)
        .into_iter()
        .rfind(|l| l.contains("day="))
        .expect("a free day next month");
    let (_, times) = app.get_text(&day).await;
    let details = links(&times, &format!("/book/{slug}/details?start="))
        .first()
        .expect("a free time")
        .clone();
    (day, details)
}

pub(crate) fn start_of(details_link: &str) -> String {
    details_link.rsplit('=').next().unwrap().to_owned()
}

async fn a_visitor_books_and_cancels_without_javascript(backend: Backend) {
    let app = app(backend).await;
    let (status, types) = app.get_text("/book").await;
    assert_eq!(status, StatusCode::OK);
    for name in [
        "Free consultation",
        "Half-day shoot",
        "Full-day shoot",
        "Two-day shoot",
    ] {
        assert!(types.contains(name), "{name} on /book");
    }
    let (day, details) = a_later_free_time(&app, "consultation").await;
    let start = start_of(&details);
    let (status, form) = app.get_text(&details).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Your details") && form.contains("Singapore time"));

    // Bad details come back with their errors and what was typed.
    let fields = |email: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("start", start.clone()),
            ("name", "Ana Lim".to_owned()),
            ("email", email.to_owned()),
            ("location", "video".to_owned()),
            ("notes", "About a launch film <b>soon</b>".to_owned()),
        ]
    };
    let bad = fields("not-an-email");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = app.post_form("/book/consultation/review", &bad).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = resp.text().await.unwrap();
    assert!(body.contains("Enter a valid email address") && body.contains("Ana Lim"));
    assert!(!body.contains("<b>soon</b>"), "notes are escaped");

    let good = fields("ana@example.com");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = app.post_form("/book/consultation/review", &good).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let review = resp.text().await.unwrap();
    assert!(review.contains("Check and confirm") && review.contains("Book it"));

    let resp = app.post_form("/book/consultation", &good).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        page.starts_with("/bookings/") && page.ends_with("?booked=1"),
        "{page}"
    );
    let (status, booking) = app.get_text(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(booking.contains("Confirmed") && booking.contains("BK-000001"));
    assert!(booking.contains("Cancel the booking"));

    // The time is gone from the day; the emails are queued (the customer's carries only what
    // the studio wrote; the staff notice replies to the customer).
    let (_, times) = app.get_text(&day).await;
    assert!(
        !times.contains(&format!("start={start}\"")),
        "the booked time is no longer offered"
    );
    let emails: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
        "select kind, to_address, reply_to, text_body from emails order by created_at, kind",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    let confirmed = emails
        .iter()
        .find(|e| e.0 == "booking_confirmed")
        .expect("confirmation");
    assert_eq!(confirmed.1, "ana@example.com");
    assert!(confirmed.3.contains("/bookings/") && !confirmed.3.contains("launch film"));
    let notice = emails
        .iter()
        .find(|e| e.0 == "booking_staff_notice")
        .expect("staff notice");
    assert_eq!(
        (notice.1.as_str(), notice.2.as_deref()),
        ("studio@flashstudio.test", Some("ana@example.com"))
    );

    // A wrong link is not found; cancelling needs the tick, then frees the time.
    let wrong = format!("{}x", page.split('?').next().unwrap());
    assert_eq!(app.get(&wrong).await.status(), StatusCode::NOT_FOUND);
    let manage = page.split('?').next().unwrap().to_owned();
    let resp = app
        .post_form(&format!("{manage}/cancel"), &[("reason", "plans changed")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        app.get_text(&manage).await.1.contains("Confirmed"),
        "not without the tick"
    );
    let resp = app
        .post_form(
            &format!("{manage}/cancel"),
            &[("reason", "plans changed"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, after) = app.get_text(&manage).await;
    assert!(after.contains("Cancelled") && !after.contains("Cancel the booking"));
    let (_, times) = app.get_text(&day).await;
    assert!(
        times.contains(&format!("start={start}\"")),
        "the time is free again"
    );
    let cancelled: i64 =
        sqlx::query_scalar("select count(*) from emails where kind = 'booking_cancelled'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(cancelled, 1);
}

async fn bad_input_gets_a_sentence_never_a_500(backend: Backend) {
    let app = app(backend).await;
    assert_eq!(
        app.get("/book/no-such-thing").await.status(),
        StatusCode::NOT_FOUND
    );
    for (query, sentence) in [
        ("day=2020-01-01", "That day has passed"),
        ("day=2099-01-01", "Bookings open 90 days ahead"),
        ("day=31-12-2026", "That is not a date"),
        ("day=2026-02-30", "That is not a date"),
        ("month=banana", "December"),
        ("month=9999-99", "December"),
    ] {
        let (status, body) = app.get_text(&format!("/book/consultation?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert!(
            body.contains(sentence) || query.starts_with("month"),
            "{query}: {sentence}"
        );
    }
    for start in ["", "abc", "99999999999999999999", "-62135596800000"] {
        let resp = app
            .get(&format!("/book/consultation/details?start={start}"))
            .await;
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "start={start}"
        );
        assert!(
            resp.text()
                .await
                .unwrap()
                .contains("Choose a time on the calendar")
        );
    }
    // A time that exists but is not offered: in the past, off the grid, on a closed day.
    let (_, details) = first_free_time(&app, "consultation").await;
    let start: i64 = start_of(&details).parse().unwrap();
    let christmas_10am = 1_798_164_000; // 2026-12-25 10:00 Singapore time
    for (at, status) in [
        (1_600_000_000, StatusCode::UNPROCESSABLE_ENTITY),
        (start + 60, StatusCode::UNPROCESSABLE_ENTITY),
        (christmas_10am, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let at = at.to_string();
        let resp = app
            .post_form(
                "/book/consultation",
                &[
                    ("start", &at),
                    ("name", "Ana"),
                    ("email", "ana@example.com"),
                    ("location", "video"),
                ],
            )
            .await;
        assert_eq!(resp.status(), status, "start {at}");
        let body = resp.text().await.unwrap();
        assert!(
            body.contains("Choose another time"),
            "start {at}: a sentence"
        );
    }
    let bookings: i64 = sqlx::query_scalar("select count(*) from bookings")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(bookings, 0);
}

/// 50 requests for one slot of a resource with capacity 1, at once: exactly one booking.
async fn fifty_requests_for_one_slot_make_one_booking(backend: Backend) {
    let app = app(backend).await;
    let b = service::bookable(&app.state, "consultation")
        .await
        .unwrap()
        .unwrap();
    let (_, details) = first_free_time(&app, "consultation").await;
    let start: i64 = start_of(&details).parse().unwrap();
    let attempts = (0..50).map(|i| {
        let state = app.state.clone();
        let b = b.clone();
        tokio::spawn(async move {
            let d = Details {
                name: format!("Client {i}"),
                email: format!("client{i}@example.com"),
                location: "video".into(),
                ..Details::default()
            };
            service::place(
                &state,
                &b,
                start,
                &d,
                None,
                &format!("10.0.{}.{}", i / 200, i % 200),
            )
            .await
        })
    });
    let results = futures_util::future::join_all(attempts).await;
    let (mut won, mut taken) = (0, 0);
    for r in results {
        match r.unwrap().unwrap() {
            Ok(_) => won += 1,
            Err(NotPlaced::Unavailable(Unavailable::Taken { .. })) => taken += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((won, taken), (1, 49));
    let claims: i64 = sqlx::query_scalar("select count(*) from booking_claims")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(claims, 1, "no half-written bookings");

    // A crew with capacity 2: three requests for one half day, two bookings.
    let shoot = service::bookable(&app.state, "half-day-shoot")
        .await
        .unwrap()
        .unwrap();
    let (_, details) = first_free_time(&app, "half-day-shoot").await;
    let start: i64 = start_of(&details).parse().unwrap();
    let attempts = (0..3).map(|i| {
        let state = app.state.clone();
        let shoot = shoot.clone();
        tokio::spawn(async move {
            let d = Details {
                name: format!("Crew client {i}"),
                email: format!("crew{i}@example.com"),
                location: "studio".into(),
                ..Details::default()
            };
            service::place(&state, &shoot, start, &d, None, &format!("10.1.0.{i}")).await
        })
    });
    let won = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .filter(|r| matches!(r, Ok(Ok(Ok(_)))))
        .count();
    assert_eq!(won, 2, "capacity two");
}

/// Staff see the booking, confirm a pending one (the customer is emailed), cannot make a move
/// the state machine forbids, and cancel only with a reason; every move is audited.
async fn staff_move_a_booking_only_as_its_state_machine_allows(backend: Backend) {
    let app = app(backend).await;
    app.create_user(
        "admin@example.com",
        "correct horse battery",
        flashstudio::identity::model::Role::Admin,
    )
    .await;
    let shoot = service::bookable(&app.state, "two-day-shoot")
        .await
        .unwrap()
        .unwrap();
    let (_, details) = a_later_free_time(&app, "two-day-shoot").await;
    let start: i64 = start_of(&details).parse().unwrap();
    let d = Details {
        name: "Bea Tan".into(),
        email: "bea@example.com".into(),
        location: "studio".into(),
        notes: "Two interviews, one product table.".into(),
        ..Details::default()
    };
    let booking = service::place(&app.state, &shoot, start, &d, None, "10.9.9.9")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        booking.status.as_str(),
        "pending",
        "a two-day shoot waits for staff"
    );

    let page = format!("/admin/booking/{}", booking.id);
    assert_ne!(app.get(&page).await.status(), StatusCode::OK, "staff only");
    app.login("admin@example.com", "correct horse battery")
        .await;
    let (status, list) = app.get_text("/admin/bookings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&booking.reference) && list.contains("Bea Tan"));
    // The resource filter keeps the bookings that claim the chosen resource.
    assert!(list.contains(r#"name="f.resource""#) && list.contains(">Camera crew<"));
    for (resource, listed) in [("Camera crew", true), ("Producer", false)] {
        let id: String = sqlx::query_scalar("select id from booking_resources where name = $1")
            .bind(resource)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        let (status, filtered) = app
            .get_text(&format!("/admin/bookings?f.resource={id}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(filtered.contains(&booking.reference), listed, "{resource}");
        assert!(filtered.contains(&format!(r#"value="{id}" selected"#)));
    }
    let (status, _) = app.get_text("/admin/bookings?f.resource=%27%3B--").await;
    assert_eq!(status, StatusCode::OK, "an unknown resource lists nothing");
    let (_, detail) = app.get_text(&page).await;
    assert!(detail.contains("Two interviews") && detail.contains(">Confirm<"));
    assert!(
        !detail.contains("Mark completed"),
        "a pending booking cannot be completed"
    );

    let moved = |to: &'static str, reason: &'static str| {
        let app = &app;
        let page = page.clone();
        async move {
            app.post_form(&format!("{page}/move"), &[("to", to), ("reason", reason)])
                .await
        }
    };
    assert_eq!(moved("completed", "").await.status(), StatusCode::CONFLICT);
    assert_eq!(moved("confirmed", "").await.status(), StatusCode::SEE_OTHER);
    assert!(app.get_text(&page).await.1.contains("Mark completed"));
    let confirmations: i64 = sqlx::query_scalar(
        "select count(*) from emails where kind = 'booking_confirmed' and to_address = 'bea@example.com'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(confirmations, 1);
    // Cancelling needs a reason; then the customer is told.
    assert_eq!(
        moved("cancelled", " ").await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(app.get_text(&page).await.1.contains("Confirmed"));
    assert_eq!(
        moved("cancelled", "Crew unwell").await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, detail) = app.get_text(&page).await;
    assert!(detail.contains("Crew unwell") && detail.contains("nothing more can happen"));
    let (moves, cancelled): (i64, i64) = sqlx::query_as(
        "select (select count(*) from audit_log where action = 'booking.status'), \
                (select count(*) from emails where kind = 'booking_cancelled')",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!((moves, cancelled), (2, 1));
    assert_eq!(
        app.get("/admin/booking/nope").await.status(),
        StatusCode::NOT_FOUND
    );
}

/// A signed-in customer's booking is in *Your bookings* at once; one made as a guest joins the
/// account when its address is registered and confirmed.
async fn bookings_join_the_account_of_their_email(backend: Backend) {
    let app = app(backend).await;
    let consultation = service::bookable(&app.state, "consultation")
        .await
        .unwrap()
        .unwrap();
    let (_, details) = a_later_free_time(&app, "consultation").await;
    let start: i64 = start_of(&details).parse().unwrap();
    let d = Details {
        name: "Carl Ng".into(),
        email: "Carl@Example.com".into(),
        location: "video".into(),
        ..Details::default()
    };
    let guest = service::place(&app.state, &consultation, start, &d, None, "10.7.7.7")
        .await
        .unwrap()
        .unwrap();

    let me = app.new_browser();
    assert_eq!(
        me.register("carl@example.com", "sunlit kettle orbit 42")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (_, mine) = me.get_text("/account/bookings").await;
    assert!(!mine.contains(&guest.reference), "not before confirming");
    let path = crate::support::confirmation_path(&app, "carl@example.com").await;
    assert_eq!(
        me.post_form(&path, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let (status, mine) = me.get_text("/account/bookings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        mine.contains(&guest.reference) && mine.contains("Upcoming"),
        "joined: {mine}"
    );

    // Booked while signed in: there at once, and nobody else sees it.
    let (_, later) = a_later_free_time(&app, "consultation").await;
    let form = me.get_text(&later).await.1;
    assert!(
        form.contains("value=\"carl@example.com\""),
        "the email is prefilled"
    );
    let start = start_of(&later);
    let resp = me
        .post_form(
            "/book/consultation",
            &[
                ("start", &start),
                ("name", "Carl Ng"),
                ("email", "carl@example.com"),
                ("location", "video"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let count: i64 = sqlx::query_scalar("select count(*) from bookings where user_id is not null")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(count, 2);
    let stranger = app.new_browser();
    assert_eq!(
        stranger.get("/account/bookings").await.status(),
        StatusCode::SEE_OTHER
    );
}

/// The public availability API answers what the calendar shows, and bad input gets a 4xx JSON
/// error with a sentence, never a 500.
async fn the_availability_api_answers_and_refuses_bad_input_with_json(backend: Backend) {
    let app = app(backend).await;
    let (day_link, details) = a_later_free_time(&app, "consultation").await;
    let day = day_link.rsplit("day=").next().unwrap().to_owned();
    let start: i64 = start_of(&details).parse().unwrap();
    let json = |path: String| {
        let app = &app;
        async move {
            let resp = app.get(&path).await;
            let status = resp.status();
            let body: serde_json::Value = resp.json().await.unwrap();
            (status, body)
        }
    };
    let (status, body) = json(format!("/api/availability?type=consultation&date={day}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["time_zone"], "Asia/Singapore");
    let first = &body["slots"][0];
    let first_start = jiff::Timestamp::from_second(start).unwrap().to_string();
    assert_eq!(
        first["start_utc"],
        first_start.as_str(),
        "the calendar's first time: {body}"
    );
    let month = &day[..7];
    let (status, body) = json(format!(
        "/api/availability/month?type=consultation&month={month}"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["days"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == day.as_str())
    );
    let local = first["local"].as_str().unwrap().to_owned();
    let (status, body) = json(format!(
        "/api/check-availability?date={day}&time={local}&duration=1"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["available"], true, "{body}");
    let (_, body) =
        json("/api/check-availability?date=2026-12-25&time=10:00&duration=1".into()).await;
    assert_eq!(body["available"], false);
    assert!(
        body["message"].as_str().unwrap().contains("closed"),
        "{body}"
    );

    for (path, expected) in [
        ("/api/availability?type=consultation&date=2026-02-30", 400),
        ("/api/availability?type=consultation&date=tomorrow", 400),
        ("/api/availability?type=consultation", 400),
        ("/api/availability?type=no-such-type&date=2026-12-07", 404),
        ("/api/availability?type=BAD%20TYPE&date=2026-12-07", 400),
        (
            "/api/availability/month?type=consultation&month=2026-13",
            400,
        ),
        (
            "/api/check-availability?date=2026-12-07&time=10:00&duration=99999999999",
            400,
        ),
        (
            "/api/check-availability?date=2026-12-07&time=10:00&duration=ten",
            400,
        ),
        (
            "/api/check-availability?date=2026-12-07&time=25:99&duration=1",
            400,
        ),
        (
            "/api/check-availability?date=9999-12-31&time=10:00&duration=24",
            200,
        ),
        (
            "/api/check-availability?date=0001-01-01&time=00:00&duration=1",
            200,
        ),
    ] {
        let (status, body) = json(path.to_owned()).await;
        assert_eq!(status.as_u16(), expected, "{path}: {body}");
        if expected != 200 {
            assert!(
                body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{path}: {body}"
            );
        } else {
            assert_eq!(body["available"], false, "{path}: {body}");
        }
    }
}

/// Invites: a confirmed booking's email carries a `text/calendar` part (`method=REQUEST`)
/// through a real SMTP server; the customer moving it sends a REQUEST with the same UID, a
/// higher SEQUENCE and the new start; staff cancelling it sends `METHOD:CANCEL` with the same
/// UID and a higher SEQUENCE still. All three parse with the icalendar crate's parser and with
/// Python's `icalendar`.
async fn invites_keep_their_uid_and_raise_their_sequence(backend: Backend) {
    let sink = crate::support::SmtpSink::start().await;
    let app = TestApp::builder(backend)
        .smtp(sink.port)
        .var("STAFF_EMAIL", "studio@flashstudio.test")
        .spawn()
        .await;
    seed(&app.state, SeedOptions { clips: false })
        .await
        .unwrap();
    app.create_user(
        "admin@example.com",
        "correct horse battery",
        flashstudio::identity::model::Role::Admin,
    )
    .await;
    let consultation = service::bookable(&app.state, "consultation")
        .await
        .unwrap()
        .unwrap();
    let (_, details) = a_later_free_time(&app, "consultation").await;
    let start: i64 = start_of(&details).parse().unwrap();
    let d = Details {
        name: "Dee Ong".into(),
        email: "dee@example.com".into(),
        location: "video".into(),
        ..Details::default()
    };
    let booking = service::place(&app.state, &consultation, start, &d, None, "10.8.8.8")
        .await
        .unwrap()
        .unwrap();
    let confirmed = sink.wait_for("dee@example.com", "confirmed", WAIT).await;
    assert_eq!(confirmed.calendar_method, "REQUEST");
    let request = event_of(&confirmed.calendar);
    assert_eq!(request.method, "REQUEST");
    assert_eq!(request.status, "CONFIRMED");
    assert_eq!(request.uid, format!("{}@127.0.0.1", booking.id));
    let starts = jiff::Timestamp::from_second(start)
        .unwrap()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    assert_eq!(request.dtstart, starts);
    assert!(request.organizer.ends_with("studio@flashstudio.test"));
    assert_eq!(request.attendee, "mailto:dee@example.com");

    // The customer moves it from the booking's link: the same event, a newer sequence, the
    // new start.
    let manage = service::manage_path(&app.state, &booking);
    let (_, picker) = app.get_text(&format!("{manage}/reschedule")).await;
    assert!(picker.contains("Move your"), "{picker}");
    let day = jiff::Timestamp::from_second(start)
        .unwrap()
        .to_zoned(app.state.settings.time_zone.clone())
        .date();
    let (_, times) = app
        .get_text(&format!("{manage}/reschedule?day={day}"))
        .await;
    let later: Vec<String> = links(&times, &format!("{manage}/reschedule?start="))
        .into_iter()
        .filter(|l| !l.ends_with(&format!("={start}")))
        .collect();
    let new_start = start_of(later.last().expect("another free time that day"));
    let (status, confirm) = app
        .get_text(&format!("{manage}/reschedule?start={new_start}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Move to this time?"));
    let resp = app
        .post_form(
            &format!("{manage}/reschedule"),
            &[("start", new_start.as_str()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let moved_mail = sink.wait_for("dee@example.com", "New time", WAIT).await;
    assert_eq!(moved_mail.calendar_method, "REQUEST");
    let moved = event_of(&moved_mail.calendar);
    assert_eq!(moved.uid, request.uid, "the same event");
    assert!(moved.sequence > request.sequence);
    let new_dtstart = jiff::Timestamp::from_second(new_start.parse().unwrap())
        .unwrap()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    assert_eq!(moved.dtstart, new_dtstart);

    app.login("admin@example.com", "correct horse battery")
        .await;
    let resp = app
        .post_form(
            &format!("/admin/booking/{}/move", booking.id),
            &[("to", "cancelled"), ("reason", "Producer ill")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cancelled = sink.wait_for("dee@example.com", "Cancelled", WAIT).await;
    assert_eq!(cancelled.calendar_method, "CANCEL");
    let cancel = event_of(&cancelled.calendar);
    assert_eq!(
        (cancel.method.as_str(), cancel.status.as_str()),
        ("CANCEL", "CANCELLED")
    );
    assert_eq!(cancel.uid, request.uid, "the same event");
    assert!(
        cancel.sequence > moved.sequence,
        "{} > {}",
        cancel.sequence,
        moved.sequence
    );

    // A second, independent parser (Python's icalendar, as calendar tooling reads invites)
    // agrees on all three.
    let python: Vec<[String; 5]> = [&confirmed, &moved_mail, &cancelled]
        .iter()
        .map(|m| python_reads(&m.calendar))
        .collect();
    let uid = &request.uid;
    assert_eq!(
        python
            .iter()
            .map(|p| (p[0].as_str(), p[1].as_str(), p[4].as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("REQUEST", uid.as_str(), "CONFIRMED"),
            ("REQUEST", uid.as_str(), "CONFIRMED"),
            ("CANCEL", uid.as_str(), "CANCELLED"),
        ]
    );
    let sequences: Vec<i64> = python.iter().map(|p| p[2].parse().unwrap()).collect();
    assert!(
        sequences[0] < sequences[1] && sequences[1] < sequences[2],
        "{sequences:?}"
    );
    assert_eq!(
        (python[0][3].as_str(), python[1][3].as_str()),
        (starts.as_str(), new_dtstart.as_str())
    );
}

/// Reads an invite with Python's `icalendar` package (installed by `scripts/test`): its
/// METHOD, UID, SEQUENCE, DTSTART (as UTC) and STATUS.
fn python_reads(ics: &str) -> [String; 5] {
    use std::io::Write as _;
    const SCRIPT: &str = r#"
import sys, datetime, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
ev = next(iter(cal.walk("VEVENT")))
start = ev.decoded("DTSTART").astimezone(datetime.timezone.utc)
print(cal.get("METHOD"), ev.get("UID"), int(ev.get("SEQUENCE", 0)),
      start.strftime("%Y%m%dT%H%M%SZ"), ev.get("STATUS"), sep="\n")
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "Python's icalendar could not read the invite (scripts/test installs it: pip install icalendar): {}\n{ics}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    [0, 1, 2, 3, 4].map(|i| lines.get(i).cloned().unwrap_or_default())
}

const WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// What the tests read from an invite.
#[derive(Debug)]
struct Invite {
    method: String,
    uid: String,
    sequence: u32,
    status: String,
    dtstart: String,
    organizer: String,
    attendee: String,
}

/// Parses an invite with the icalendar crate's RFC 5545 parser.
fn event_of(ics: &str) -> Invite {
    use icalendar::Component as _;
    let unfolded = icalendar::parser::unfold(ics);
    let calendar: icalendar::Calendar = icalendar::parser::read_calendar(&unfolded)
        .unwrap_or_else(|e| panic!("not iCalendar: {e}\n{ics}"))
        .into();
    let method = calendar
        .property_value("METHOD")
        .unwrap_or_default()
        .to_owned();
    let event = calendar
        .components
        .iter()
        .find_map(|c| c.as_event())
        .unwrap_or_else(|| panic!("no VEVENT in\n{ics}"));
    let prop = |key: &str| event.property_value(key).unwrap_or_default().to_owned();
    Invite {
        method,
        uid: event.get_uid().unwrap_or_default().to_owned(),
        sequence: event.get_sequence().unwrap_or_default(),
        status: prop("STATUS"),
        dtstart: prop("DTSTART"),
        organizer: prop("ORGANIZER"),
        attendee: event
            .multi_properties()
            .get("ATTENDEE")
            .and_then(|all| all.first())
            .map(|p| p.value().to_owned())
            .unwrap_or_default(),
    }
}

/// The reminder the day before: exactly one email per confirmed booking with two workers
/// running, and none for a booking cancelled before it is due.
async fn one_reminder_per_booking_and_none_once_cancelled(backend: Backend) {
    let app = app(backend).await;
    // A second worker beside the app's own.
    let second = tokio_util::sync::CancellationToken::new();
    let worker = tokio::spawn(app.state.worker().run(second.clone()));
    let consultation = service::bookable(&app.state, "consultation")
        .await
        .unwrap()
        .unwrap();
    let (_, details) = a_later_free_time(&app, "consultation").await;
    let first: i64 = start_of(&details).parse().unwrap();
    let mut ids = Vec::new();
    for (i, start) in [first, first + 3600].into_iter().enumerate() {
        let d = Details {
            name: format!("Reminded {i}"),
            email: format!("remind{i}@example.com"),
            location: "video".into(),
            ..Details::default()
        };
        let b = service::place(
            &app.state,
            &consultation,
            start,
            &d,
            None,
            &format!("10.6.6.{i}"),
        )
        .await
        .unwrap()
        .unwrap();
        ids.push(b);
    }
    let planned: i64 =
        sqlx::query_scalar("select count(*) from jobs where kind = 'bookings.remind'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(planned, 2, "one reminder planned per confirmed booking");
    // The second is cancelled before its reminder is due.
    let link = service::manage_path(&app.state, &ids[1]);
    let resp = app
        .post_form(&format!("{link}/cancel"), &[("confirm", "yes")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // Both reminders fall due now; the two workers race for them.
    sqlx::query("update jobs set run_at = 0 where kind = 'bookings.remind'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    crate::support::eventually(
        "the reminders to run",
        std::time::Duration::from_secs(30),
        || async {
            let left: i64 = sqlx::query_scalar(
                "select count(*) from jobs where kind = 'bookings.remind' and status <> 'done'",
            )
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
            (left == 0).then_some(())
        },
    )
    .await;
    // Run the first reminder's job once more, as after a crash: still one email.
    sqlx::query(
        "update jobs set status = 'queued', run_at = 0 where kind = 'bookings.remind' and payload like $1",
    )
    .bind(format!("%{}%", ids[0].id))
    .execute(app.state.db.pool())
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let sent: Vec<String> = sqlx::query_scalar(
        "select to_address from emails where kind = 'booking_reminder' order by to_address",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(sent, vec!["remind0@example.com".to_owned()]);
    second.cancel();
    worker.await.unwrap();
}

/// Staff edit the week and the closures; a bad week comes back with its errors and changes
/// nothing; the calendar follows at once.
async fn staff_edit_the_hours_and_the_calendar_follows(backend: Backend) {
    let app = app(backend).await;
    app.create_user(
        "admin@example.com",
        "correct horse battery",
        flashstudio::identity::model::Role::Admin,
    )
    .await;
    app.login("admin@example.com", "correct horse battery")
        .await;
    let (status, page) = app.get_text("/admin/booking-hours").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("value=\"09:00\"") && page.contains("Chinese New Year"));
    let hours_of = |app: &TestApp| {
        let pool = app.state.db.pool().clone();
        async move {
            sqlx::query_as::<_, (i64, String, String)>(
                "select weekday, opens, closes from opening_hours order by weekday, opens",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let before = hours_of(&app).await;

    // Overlapping Tuesday, backwards Wednesday, a word for a time on Thursday: 422, nothing saved.
    let resp = app
        .post_form(
            "/admin/booking-hours",
            &[
                ("mon-0-opens", "09:00"),
                ("mon-0-closes", "18:00"),
                ("tue-0-opens", "09:00"),
                ("tue-0-closes", "12:00"),
                ("tue-1-opens", "11:00"),
                ("tue-1-closes", "13:00"),
                ("wed-0-opens", "18:00"),
                ("wed-0-closes", "09:00"),
                ("thu-0-opens", "nine"),
                ("thu-0-closes", "17:00"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("overlap")
            && body.contains("must close after it opens")
            && body.contains("HH:MM")
    );
    assert!(
        body.contains("value=\"11:00\""),
        "what was typed comes back"
    );
    assert_eq!(hours_of(&app).await, before, "nothing saved");

    // Open on Sundays too: the next Sunday within the horizon gets times.
    let mut week: Vec<(String, String)> = Vec::new();
    for day in ["mon", "tue", "wed", "thu", "fri"] {
        week.push((format!("{day}-0-opens"), "09:00".into()));
        week.push((format!("{day}-0-closes"), "17:00".into()));
    }
    week.push(("sun-0-opens".into(), "10:00".into()));
    week.push(("sun-0-closes".into(), "12:00".into()));
    let fields: Vec<(&str, &str)> = week.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let resp = app.post_form("/admin/booking-hours", &fields).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(hours_of(&app).await.len(), 6);
    let today = flashstudio::bookings::service::studio_today(&app.state);
    let mut sunday = today.tomorrow().unwrap().tomorrow().unwrap();
    while sunday.weekday() != jiff::civil::Weekday::Sunday {
        sunday = sunday.tomorrow().unwrap();
    }
    let (_, times) = app
        .get_text(&format!("/book/consultation?day={sunday}"))
        .await;
    assert!(
        times.contains("10:00") && times.contains("11:30"),
        "Sunday is open"
    );

    // Close that Sunday: no times; remove the closure: the times are back.
    let resp = app
        .post_form(
            "/admin/booking-hours/overrides",
            &[
                ("day", &sunday.to_string()),
                ("closed", "1"),
                ("note", "Studio maintenance"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, times) = app
        .get_text(&format!("/book/consultation?day={sunday}"))
        .await;
    assert!(times.contains("Nothing is free that day"), "closed");
    let id: String =
        sqlx::query_scalar("select id from date_overrides where note = 'Studio maintenance'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let resp = app
        .post_form(&format!("/admin/booking-hours/overrides/{id}/delete"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, times) = app
        .get_text(&format!("/book/consultation?day={sunday}"))
        .await;
    assert!(times.contains("10:00"), "open again");

    // Bad overrides: no date, times backwards.
    let resp = app
        .post_form("/admin/booking-hours/overrides", &[("day", "someday")])
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = app
        .post_form(
            "/admin/booking-hours/overrides",
            &[
                ("day", &sunday.to_string()),
                ("opens", "15:00"),
                ("closes", "10:00"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let audited: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action like 'booking.%'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(audited, 3, "the week, the closure and its removal");
}

/// Staff choose which resources a type needs; new bookings follow (here the consultation moves
/// from the producer, capacity 1, to the crew, capacity 2: two people can book one time).
async fn staff_choose_the_resources_a_type_needs(backend: Backend) {
    let app = app(backend).await;
    app.create_user(
        "admin@example.com",
        "correct horse battery",
        flashstudio::identity::model::Role::Admin,
    )
    .await;
    app.login("admin@example.com", "correct horse battery")
        .await;
    let (type_id, crew): (String, String) = sqlx::query_as(
        "select t.id, r.id from booking_types t, booking_resources r \
         where t.slug = 'consultation' and r.name = 'Camera crew'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let page = format!("/admin/booking-type-resources/{type_id}");
    let (status, body) = app.get_text(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Producer") && body.contains("Camera crew"));
    let resp = app
        .post_form(
            &page,
            &[("resources", "0190b5a0-0000-7000-8000-000000000000")],
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::BAD_REQUEST,
        "an unknown resource"
    );
    let resp = app.post_form(&page, &[("resources", &crew)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);

    let consultation = service::bookable(&app.state, "consultation")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(consultation.resources, vec![crew]);
    let (_, details) = a_later_free_time(&app, "consultation").await;
    let start: i64 = start_of(&details).parse().unwrap();
    let mut outcomes = Vec::new();
    for i in 0..3 {
        let d = Details {
            name: format!("Crew booker {i}"),
            email: format!("crewbooker{i}@example.com"),
            location: "video".into(),
            ..Details::default()
        };
        let placed = service::place(
            &app.state,
            &consultation,
            start,
            &d,
            None,
            &format!("10.5.5.{i}"),
        )
        .await
        .unwrap();
        outcomes.push(placed.is_ok());
    }
    assert_eq!(outcomes, vec![true, true, false], "capacity two");
}

on_both_backends!(
    a_visitor_books_and_cancels_without_javascript,
    bad_input_gets_a_sentence_never_a_500,
    fifty_requests_for_one_slot_make_one_booking,
    staff_move_a_booking_only_as_its_state_machine_allows,
    bookings_join_the_account_of_their_email,
    the_availability_api_answers_and_refuses_bad_input_with_json,
    invites_keep_their_uid_and_raise_their_sequence,
    one_reminder_per_booking_and_none_once_cancelled,
    staff_edit_the_hours_and_the_calendar_follows,
    staff_choose_the_resources_a_type_needs,
);
