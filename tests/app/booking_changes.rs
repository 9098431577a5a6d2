//! Changing bookings: customers moving theirs (atomic like a placement: two customers racing
//! for one free time, one wins; the loser keeps their own time), and staff running the
//! diary: booking on a customer's behalf, overriding the rules with a reason (audited, never a
//! resource's capacity), moving a booking, and the week and month calendar.

use flashstudio::bookings::availability::Unavailable;
use flashstudio::bookings::model::Booking;
use flashstudio::bookings::reschedule::{self, Mover, NotMoved};
use flashstudio::bookings::service::{self, Details};
use flashstudio::identity::model::Role;
use reqwest::StatusCode;

use crate::bookings::{a_later_free_time, app, links, start_of};
use crate::on_both_backends;
use crate::support::{Backend, TestApp, location};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery";

async fn consultation_at(app: &TestApp, start: i64, who: &str) -> Booking {
    let b = service::bookable(&app.state, "consultation")
        .await
        .unwrap()
        .unwrap();
    let d = Details {
        name: who.into(),
        email: format!("{}@example.com", who.to_lowercase()),
        location: "video".into(),
        ..Details::default()
    };
    service::place(
        &app.state,
        &b,
        start,
        &d,
        None,
        &format!("10.3.0.{}", who.len()),
    )
    .await
    .unwrap()
    .unwrap()
}

/// The free starts of `day` for the consultation, as epoch seconds.
async fn free_starts(app: &TestApp, day: &str) -> Vec<i64> {
    let (_, times) = app.get_text(day).await;
    links(&times, "/book/consultation/details?start=")
        .iter()
        .map(|l| start_of(l).parse().unwrap())
        .collect()
}

async fn claims_at(app: &TestApp, booking_id: &str) -> (i64, i64) {
    sqlx::query_as(
        "select b.starts_at, count(c.resource_id) from bookings b \
         left join booking_claims c on c.booking_id = b.id where b.id = $1 group by b.starts_at",
    )
    .bind(booking_id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

async fn moving_is_atomic_and_follows_the_rules(backend: Backend) {
    let app = app(backend).await;
    let (day, _) = a_later_free_time(&app, "consultation").await;
    let free = free_starts(&app, &day).await;
    assert!(free.len() >= 4, "{free:?}");
    let a = consultation_at(&app, free[0], "Ann").await;
    let free = free_starts(&app, &day).await;
    let b = consultation_at(&app, free[free.len() / 2], "Ben").await;
    let target = *free_starts(&app, &day).await.last().unwrap();

    // Both customers race for the one free time, ten tries each, at once: one moves there,
    // the other stays where they were; no claim is lost or doubled.
    let tries = (0..20).map(|i| {
        let state = app.state.clone();
        let who = if i % 2 == 0 { a.clone() } else { b.clone() };
        tokio::spawn(async move {
            reschedule::reschedule(&state, &who, target, Mover::Customer)
                .await
                .unwrap()
        })
    });
    let mut moved = Vec::new();
    for r in futures_util::future::join_all(tries).await {
        match r.unwrap() {
            Ok(m) => moved.push(m.id),
            Err(NotMoved::Unavailable(Unavailable::Taken { .. }) | NotMoved::Changed) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(moved.len(), 1, "one move wins");
    let (winner, loser) = if moved[0] == a.id { (&a, &b) } else { (&b, &a) };
    assert_eq!(claims_at(&app, &winner.id).await, (target, 1));
    assert_eq!(claims_at(&app, &loser.id).await, (loser.starts_at, 1));
    let free_now = free_starts(&app, &day).await;
    assert!(free_now.contains(&winner.starts_at), "the old time is free");
    assert!(!free_now.contains(&target));

    // Through the form: the loser's page offers its own time and the winner's old one, and a
    // time that is not free any more sends them back to the day with a sentence (409).
    let manage = service::manage_path(&app.state, loser);
    let (status, page) = app
        .get_text(&format!("{manage}/reschedule?day={}", day_param(&day)))
        .await;
    assert_eq!(status, StatusCode::OK);
    let offered: Vec<String> = links(&page, &format!("{manage}/reschedule?start="));
    assert!(
        offered
            .iter()
            .any(|l| l.ends_with(&format!("={}", loser.starts_at)))
    );
    assert!(
        offered
            .iter()
            .any(|l| l.ends_with(&format!("={}", winner.starts_at)))
    );
    let target_text = target.to_string();
    let resp = app
        .post_form(
            &format!("{manage}/reschedule"),
            &[("start", target_text.as_str()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Someone booked that time")
    );
    // Off the grid, or without the confirmation: a sentence, nothing moves.
    let off_grid = (winner.starts_at + 7 * 60).to_string();
    let resp = app
        .post_form(
            &format!("{manage}/reschedule"),
            &[("start", off_grid.as_str()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = app
        .post_form(
            &format!("{manage}/reschedule"),
            &[("start", winner.starts_at.to_string().as_str())],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(claims_at(&app, &loser.id).await, (loser.starts_at, 1));

    // The move's email, and a reminder planned for the new start (the old one sends nothing).
    let (moved_mails, reminders): (i64, i64) = sqlx::query_as(
        "select (select count(*) from emails where kind = 'booking_moved'), \
                (select count(*) from jobs where kind = 'bookings.remind')",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(moved_mails, 1);
    assert!(reminders >= 3, "two at placement and one after the move");

    // A cancelled booking cannot move.
    let resp = app
        .post_form(&format!("{manage}/cancel"), &[("confirm", "yes")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = app.get(&format!("{manage}/reschedule")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "back to its page");
}

/// `?month=…&day=YYYY-MM-DD` of a picker link, for the reschedule page.
fn day_param(day_link: &str) -> String {
    day_link.rsplit("day=").next().unwrap().to_owned()
}

async fn staff_book_for_customers_override_with_a_reason_and_see_the_calendar(backend: Backend) {
    let app = app(backend).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    assert_ne!(app.get("/admin/calendar").await.status(), StatusCode::OK);
    app.login(ADMIN, PASSWORD).await;
    let (day, _) = a_later_free_time(&app, "consultation").await;
    let date = day_param(&day);
    let free = free_starts(&app, &day).await;
    let ten = jiff::Timestamp::from_second(free[0])
        .unwrap()
        .to_zoned(app.state.settings.time_zone.clone())
        .strftime("%H:%M")
        .to_string();

    // A phone booking: confirmed at once, the customer emailed with an invite, audited.
    let form = |time: &str, email: &str, reason: &str| -> Vec<(String, String)> {
        [
            ("type", "consultation"),
            ("day", date.as_str()),
            ("time", time),
            ("name", "Phone Client"),
            ("email", email),
            ("location", "video"),
            ("override_reason", reason),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    let post = |fields: Vec<(String, String)>| {
        let app = &app;
        async move {
            let f: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            app.post_form("/admin/bookings/new", &f).await
        }
    };
    let resp = post(form(&ten, "phone@example.com", "")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = location(&resp);
    assert!(page.starts_with("/admin/booking/"), "{page}");
    let (_, detail) = app.get_text(&page).await;
    assert!(detail.contains("Confirmed") && detail.contains("Move to another time"));
    let (status, invites): (String, i64) = sqlx::query_as(
        "select b.status, (select count(*) from emails e where e.to_address = b.email \
           and e.kind = 'booking_confirmed' and e.calendar is not null) \
         from bookings b where b.email = 'phone@example.com'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!((status.as_str(), invites), ("confirmed", 1));

    // The same time again: the producer is taken, and no override makes room.
    let resp = post(form(&ten, "second@example.com", "")).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let resp = post(form(&ten, "second@example.com", "VIP")).await;
    assert_eq!(
        resp.status(),
        StatusCode::CONFLICT,
        "capacity is never overridden"
    );
    // 07:00 is before opening: refused with a sentence, then booked with a reason.
    let resp = post(form("07:00", "early@example.com", "")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("Override the rules"));
    let resp = post(form(
        "07:00",
        "early@example.com",
        "Client flies out at noon",
    ))
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // Bad details come back with their errors.
    let resp = post(form("11:00", "not-an-email", "")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("valid email"));
    let audited: Vec<(String, String)> = sqlx::query_as(
        "select action, coalesce(after_json, '') from audit_log \
         where action = 'booking.create' order by created_at",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(audited.len(), 2);
    assert!(audited[1].1.contains("Client flies out at noon"));

    // Staff move the phone booking to 19:30 (after closing) only with a reason, audited too.
    let id = page.trim_start_matches("/admin/booking/").to_owned();
    let move_to = |time: &'static str, reason: &'static str| {
        let app = &app;
        let id = id.clone();
        let date = date.clone();
        async move {
            app.post_form(
                &format!("/admin/booking/{id}/reschedule"),
                &[
                    ("day", date.as_str()),
                    ("time", time),
                    ("override_reason", reason),
                ],
            )
            .await
        }
    };
    assert_eq!(move_to("19:30", "").await.status(), StatusCode::SEE_OTHER);
    let (_, detail) = app.get_text(&page).await;
    assert!(
        detail.contains("To book outside the rules"),
        "refused with a sentence"
    );
    assert_eq!(
        move_to("19:30", "Studio stays late for them")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (_, detail) = app.get_text(&page).await;
    assert!(detail.contains("19:30"), "moved");
    let moves: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'booking.move'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(moves, 1);

    // The calendar: the week with a lane per resource, the month, each booking a link.
    let (status, week) = app
        .get_text(&format!("/admin/calendar?view=week&date={date}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(week.contains("Producer") && week.contains("Phone Client"));
    assert!(week.contains(&format!("href=\"/admin/booking/{id}\"")));
    let (status, month) = app
        .get_text(&format!("/admin/calendar?view=month&date={date}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(month.contains("Phone Client"));
    let (status, _) = app
        .get_text("/admin/calendar?view=week&date=not-a-date")
        .await;
    assert_eq!(status, StatusCode::OK, "a bad date shows this week");
}

pub(crate) fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(16, 16, |x, y| image::Rgb([x as u8 * 16, y as u8 * 16, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Sends one file from the booking's page as its form would; the sentence it comes back with.
pub(crate) async fn send_file(app: &TestApp, manage: &str, name: &str, bytes: Vec<u8>) -> String {
    let (_, page) = app.get_text(manage).await;
    let action = page
        .split(&format!("action=\"{manage}/files?csrf_token="))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|token| format!("{manage}/files?csrf_token={token}"))
        .expect("the file form");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    let resp = app
        .client
        .post(app.url(&action))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{name}");
    let (_, page) = app.get_text(manage).await;
    page.split("class=\"flash")
        .nth(1)
        .and_then(|rest| rest.split("</").next())
        .unwrap_or_default()
        .to_owned()
}

async fn files_of(app: &TestApp, id: &str) -> Vec<String> {
    flashstudio::bookings::store::files_of(app.state.db.pool(), id)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.file_name)
        .collect()
}

/// Reference files from the booking's link, through the media path: allowed kinds only, at
/// most 25 MiB each and five per booking, staff see them, a cancelled booking takes none.
async fn customers_send_reference_files_within_the_caps(backend: Backend) {
    let app = app(backend).await;
    app.create_user(ADMIN, PASSWORD, Role::Admin).await;
    let (day, _) = a_later_free_time(&app, "consultation").await;
    let free = free_starts(&app, &day).await;
    let booking = consultation_at(&app, free[0], "Fay").await;
    let manage = service::manage_path(&app.state, &booking);

    let said = send_file(&app, &manage, "brief.png", png()).await;
    assert!(said.contains("brief.png is with the studio"), "{said}");
    let said = send_file(
        &app,
        &manage,
        "page.html",
        b"<script>alert(1)</script>".to_vec(),
    )
    .await;
    assert!(!said.contains("with the studio"), "{said}");
    // 26 MiB is refused before it is read: the answer may come while the client still
    // writes, which then sees the connection closed; either way nothing is stored.
    let (_, page) = app.get_text(&manage).await;
    let token = page
        .split("/files?csrf_token=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let big = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(vec![0u8; 26 * 1024 * 1024]).file_name("huge.png"),
    );
    let sent = app
        .client
        .post(app.url(&format!("{manage}/files?csrf_token={token}")))
        .multipart(big)
        .send()
        .await;
    if let Ok(resp) = sent {
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        let (_, page) = app.get_text(&manage).await;
        assert!(page.contains("larger than"));
    }
    assert_eq!(files_of(&app, &booking.id).await, vec!["brief.png"]);
    let (_, page) = app.get_text(&manage).await;
    assert!(page.contains("brief.png"));

    for i in 2..=5 {
        let said = send_file(&app, &manage, &format!("still-{i}.png"), png()).await;
        assert!(said.contains("with the studio"), "{said}");
    }
    let (_, page) = app.get_text(&manage).await;
    assert!(!page.contains("/files?csrf_token="), "no form past five");
    assert_eq!(files_of(&app, &booking.id).await.len(), 5);

    // Staff open them from the booking's page; the media are in the bookings folder.
    app.login(ADMIN, PASSWORD).await;
    let (_, admin_page) = app
        .get_text(&format!("/admin/booking/{}", booking.id))
        .await;
    assert!(admin_page.contains("Their files") && admin_page.contains("still-5.png"));
    let folder: Vec<String> = sqlx::query_scalar("select distinct folder from media")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
    assert!(folder.contains(&"bookings".to_owned()), "{folder:?}");

    // A wrong link is not found; a cancelled booking takes no files.
    let other = consultation_at(&app, free[free.len() - 1], "Gus").await;
    let other_manage = service::manage_path(&app.state, &other);
    let resp = app
        .post_form(&format!("{other_manage}/cancel"), &[("confirm", "yes")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get_text(&other_manage).await;
    assert!(!page.contains("/files?csrf_token="));
    let wrong = format!("{}x/files", other_manage);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(png()).file_name("x.png"),
    );
    let resp = app
        .client
        .post(app.url(&wrong))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(
        matches!(resp.status(), StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
        "{}",
        resp.status()
    );
    assert!(files_of(&app, &other.id).await.is_empty());
}

/// Placing counts against two limits in one statement: per email (5 an hour) and per client
/// (10 an hour); the sixth booking for one address is refused with 429, as is the eleventh from
/// one client, and nothing is placed past them.
async fn placements_are_limited_per_email_and_per_client(backend: Backend) {
    let app = app(backend).await;
    let b = service::bookable(&app.state, "consultation")
        .await
        .unwrap()
        .unwrap();
    let (day, _) = a_later_free_time(&app, "consultation").await;
    let free = free_starts(&app, &day).await;
    let place = |start: i64, email: &str, client: &str| {
        let state = app.state.clone();
        let b = b.clone();
        let d = Details {
            name: "Ivy".into(),
            email: email.into(),
            location: "video".into(),
            ..Details::default()
        };
        let client = client.to_owned();
        async move { service::place(&state, &b, start, &d, None, &client).await }
    };
    // Five for one address (from five clients) pass the email's limit; the sixth does not.
    for i in 0..6 {
        let got = place(free[0], "ivy@example.com", &format!("10.9.0.{i}")).await;
        if i < 5 {
            assert!(got.is_ok(), "{i}: {got:?}");
        } else {
            assert!(
                matches!(got, Err(flashstudio::error::AppError::RateLimited { .. })),
                "{got:?}"
            );
        }
    }
    // Ten from one client (ten addresses) pass the client's limit; the eleventh does not.
    for i in 0..11 {
        let got = place(free[0], &format!("c{i}@example.com"), "10.9.1.1").await;
        if i < 10 {
            assert!(got.is_ok(), "{i}: {got:?}");
        } else {
            assert!(
                matches!(got, Err(flashstudio::error::AppError::RateLimited { .. })),
                "{got:?}"
            );
        }
    }
    let booked: i64 = sqlx::query_scalar("select count(*) from bookings")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(
        booked, 1,
        "one booking: every other try lost the slot or the limit"
    );
}

on_both_backends!(
    placements_are_limited_per_email_and_per_client,
    customers_send_reference_files_within_the_caps,
    moving_is_atomic_and_follows_the_rules,
    staff_book_for_customers_override_with_a_reason_and_see_the_calendar,
);
