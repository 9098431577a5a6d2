//! Slow clients: connections that send nothing, trickle a request head, trickle or withhold a
//! body, or sit idle after a response are closed within their configured timeouts, while
//! `/health` keeps answering; a CSRF token that travels in a header or the query is judged
//! before the body is read; and trickling uploads cannot hold the upload slots for long.
//!
//! The timeouts are set to a few seconds here so the tests are quick; the mechanism does not
//! depend on the database, so each test runs on SQLite only.

use std::time::{Duration, Instant};

use flashstudio::identity::model::Role;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::support::{Backend, TestApp, TestAppBuilder};

const HEADER_READ: Duration = Duration::from_secs(2);
const KEEP_ALIVE: Duration = Duration::from_secs(4);
const FORM_IDLE: Duration = Duration::from_secs(2);
const FORM_TOTAL: Duration = Duration::from_secs(3);
const WEBHOOK_TOTAL: Duration = Duration::from_secs(2);
const UPLOAD_GRACE: Duration = Duration::from_secs(2);
/// `UPLOAD_MIN_RATE_KIB_PER_SEC=1`.
const UPLOAD_MIN_RATE: f64 = 1024.0;

/// How much later than its timeout a connection may close (scheduling, a busy machine).
const SLACK: Duration = Duration::from_millis(1500);
/// How much sooner: none to speak of, since the deadline is the configured time.
const EARLY: Duration = Duration::from_millis(300);
/// A connection still open after this long was not closed by any timeout.
const NEVER: Duration = Duration::from_secs(12);

fn short_timeouts(builder: TestAppBuilder) -> TestAppBuilder {
    builder
        .var("HTTP_HEADER_READ_TIMEOUT_SECS", "2")
        .var("HTTP_KEEP_ALIVE_TIMEOUT_SECS", "4")
        .var("FORM_BODY_IDLE_TIMEOUT_SECS", "2")
        .var("FORM_BODY_TIMEOUT_SECS", "3")
        .var("WEBHOOK_BODY_IDLE_TIMEOUT_SECS", "1")
        .var("WEBHOOK_BODY_TIMEOUT_SECS", "2")
        .var("UPLOAD_IDLE_TIMEOUT_SECS", "3")
        .var("UPLOAD_MIN_RATE_KIB_PER_SEC", "1")
        .var("UPLOAD_RATE_GRACE_SECS", "2")
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// What became of one slow connection.
#[derive(Debug)]
struct Closed {
    what: &'static str,
    /// From the moment its timeout started to the moment the server closed it.
    after: Duration,
    /// The first line of what the server answered, if anything.
    status: String,
}

/// Opens a connection, sends `head` at once, then `trickle` one byte every `every` until the
/// server closes the connection; measures from when the head was sent (or, with
/// `wait_for_answer`, from the end of the first answer, for a keep-alive connection).
async fn slow_connection(
    what: &'static str,
    addr: String,
    head: Vec<u8>,
    trickle: Vec<u8>,
    every: Duration,
) -> Closed {
    let socket = TcpStream::connect(addr.as_str()).await.unwrap();
    let (mut reader, mut writer) = socket.into_split();
    let start = Instant::now();
    if !head.is_empty() {
        writer.write_all(&head).await.unwrap();
    }
    let trickling = tokio::spawn(async move {
        for byte in trickle {
            tokio::time::sleep(every).await;
            if writer.write_all(&[byte]).await.is_err() {
                break;
            }
        }
        // Keep the write half open (a trickle that ran out just goes silent).
        std::future::pending::<()>().await;
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(NEVER, reader.read_to_end(&mut answer)).await;
    trickling.abort();
    assert!(
        read.is_ok(),
        "{what}: the connection was still open after {NEVER:?}"
    );
    Closed {
        what,
        after: start.elapsed(),
        status: first_line(&answer),
    }
}

/// A keep-alive connection: one complete request, its answer, then silence.
async fn idle_after_a_request(addr: String) -> Closed {
    let mut socket = TcpStream::connect(addr.as_str()).await.unwrap();
    let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let mut got = 0;
    // `/health` is small: the whole answer (head and `{"status":"ok"}`) arrives at once.
    while !String::from_utf8_lossy(&answer[..got]).contains("\"ok\"") {
        let n = socket.read(&mut answer[got..]).await.unwrap();
        assert!(
            n > 0,
            "the keep-alive connection closed right after its answer"
        );
        got += n;
    }
    let start = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(NEVER, socket.read_to_end(&mut rest)).await;
    assert!(
        read.is_ok(),
        "idle keep-alive: the connection was still open after {NEVER:?}"
    );
    Closed {
        what: "idle keep-alive",
        after: start.elapsed(),
        status: first_line(&answer[..got]),
    }
}

fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn assert_closed_within(closed: &Closed, timeout: Duration) {
    assert!(
        closed.after + EARLY >= timeout && closed.after <= timeout + SLACK,
        "{}: closed after {:?}, expected {timeout:?} (answer {:?})",
        closed.what,
        closed.after,
        closed.status
    );
}

fn post_head(addr: &str, path: &str, content_type: &str, length: usize, extra: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {length}\r\n{extra}\r\n"
    )
    .into_bytes()
}

/// Polls `/health` every 100 ms on a keep-alive connection of `client` until `stop`;
/// every answer's latency.
async fn watch_health(
    client: &reqwest::Client,
    url: &str,
    stop: tokio_util::sync::CancellationToken,
) -> Vec<Duration> {
    let mut times = Vec::new();
    while !stop.is_cancelled() {
        let start = Instant::now();
        let resp = client.get(url).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.bytes().await.unwrap();
        times.push(start.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    times
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_connections_are_closed_on_time_while_health_answers() {
    let app = short_timeouts(TestApp::builder(Backend::Sqlite))
        .spawn()
        .await;
    let a = addr(&app);
    let token = flashstudio::api::tokens::create(app.state.db.pool(), "tests", None)
        .await
        .unwrap()
        .1;
    let stop = tokio_util::sync::CancellationToken::new();
    // The prober's connection is open before the slow ones (as a load balancer's would be).
    let prober = reqwest::Client::new();
    let health_url = app.url("/health");
    assert_eq!(
        prober.get(&health_url).send().await.unwrap().status(),
        StatusCode::OK
    );
    let health = {
        let stop = stop.clone();
        watch_health(&prober, &health_url, stop)
    };

    let mut slow = tokio::task::JoinSet::new();
    let mut expect = Vec::new();
    for _ in 0..20 {
        slow.spawn(slow_connection(
            "silent",
            a.clone(),
            vec![],
            vec![],
            Duration::ZERO,
        ));
    }
    expect.push(("silent", HEADER_READ));
    for _ in 0..5 {
        // A header line one byte every 500 ms: never idle long, never finished.
        slow.spawn(slow_connection(
            "trickled head",
            a.clone(),
            format!("GET /health HTTP/1.1\r\nHost: {a}\r\n").into_bytes(),
            b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
            Duration::from_millis(500),
        ));
    }
    expect.push(("trickled head", HEADER_READ));
    for _ in 0..5 {
        // An anonymous contact form declaring 1 MiB and sending nothing.
        slow.spawn(slow_connection(
            "withheld form body",
            a.clone(),
            post_head(
                &a,
                "/contact",
                "application/x-www-form-urlencoded",
                1024 * 1024,
                "",
            ),
            vec![],
            Duration::ZERO,
        ));
    }
    expect.push(("withheld form body", FORM_IDLE));
    for _ in 0..5 {
        // The same form, a byte every 500 ms: never idle, but past the total.
        slow.spawn(slow_connection(
            "trickled form body",
            a.clone(),
            post_head(
                &a,
                "/contact",
                "application/x-www-form-urlencoded",
                1024 * 1024,
                "",
            ),
            vec![b'a'; 100],
            Duration::from_millis(500),
        ));
    }
    expect.push(("trickled form body", FORM_TOTAL));
    for _ in 0..3 {
        slow.spawn(slow_connection(
            "trickled webhook body",
            a.clone(),
            post_head(
                &a,
                "/webhooks/stripe",
                "application/json",
                200 * 1024,
                "Stripe-Signature: t=1,v1=00\r\n",
            ),
            vec![b'{'; 100],
            Duration::from_millis(400),
        ));
    }
    expect.push(("trickled webhook body", WEBHOOK_TOTAL));
    for _ in 0..3 {
        slow.spawn(idle_after_a_request(a.clone()));
    }
    expect.push(("idle keep-alive", KEEP_ALIVE));

    let all_closed = async {
        let mut closed = Vec::new();
        while let Some(c) = slow.join_next().await {
            closed.push(c.unwrap());
        }
        stop.cancel();
        closed
    };
    // Meanwhile, clients that are slow but steady must not be cut off.
    let steady = async { tokio::join!(steady_upload(&a, &token), regular_client(&a)) };
    let (closed, health_times, (upload, answers)) = tokio::join!(all_closed, health, steady);
    assert_eq!(upload, "HTTP/1.1 200 OK", "the steady upload");
    assert!(
        answers.iter().all(|a| a == "HTTP/1.1 200 OK"),
        "the regular keep-alive client: {answers:?}"
    );

    for (what, timeout) in &expect {
        let of_kind: Vec<&Closed> = closed.iter().filter(|c| c.what == *what).collect();
        assert!(!of_kind.is_empty(), "{what}");
        for c in &of_kind {
            assert_closed_within(c, *timeout);
        }
        let latest = of_kind.iter().map(|c| c.after).max().unwrap_or_default();
        eprintln!(
            "{what}: {} connections closed after at most {latest:?} (timeout {timeout:?}), answer {:?}",
            of_kind.len(),
            of_kind[0].status
        );
    }
    for c in closed
        .iter()
        .filter(|c| c.what.contains("form body") || c.what.contains("webhook"))
    {
        assert_eq!(c.status, "HTTP/1.1 408 Request Timeout", "{}", c.what);
    }
    // Alone, answers take a few milliseconds (the slowest of each of ten runs on a shared
    // two-core machine: 5 to 36 ms, the 95th percentile at most 28 ms). Among the suite's
    // other tests on the same two cores the whole process stalled now and then (a single
    // 155 ms answer; twice a 95th percentile of 52 ms, with ffmpeg encoding beside it), so
    // `scripts/test` runs these tests after the rest, one at a time. The bound is on the 95th
    // percentile, and a stall that long must stay exceptional: what slow clients would cause
    // (connections or tasks exhausted) slows every answer, or stops them.
    let mut sorted = health_times.clone();
    sorted.sort();
    let p95 = sorted[sorted.len() * 95 / 100];
    let slowest = sorted.last().copied().unwrap_or_default();
    eprintln!(
        "/health: {} answers, 95th percentile {p95:?}, slowest {slowest:?}, while the slow \
         connections were open: {health_times:?}",
        health_times.len()
    );
    assert!(p95 < Duration::from_millis(50), "/health: {health_times:?}");
    assert!(
        slowest < Duration::from_millis(500),
        "/health: {health_times:?}"
    );
    // The app still serves normally.
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csrf_token_in_a_header_or_the_query_is_judged_before_the_body() {
    // Default body timeouts (10 s idle): an answer within a second can only come from a
    // check made before the body.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let a = addr(&app);
    let cases = [
        post_head(
            &a,
            "/contact",
            "application/x-www-form-urlencoded",
            1024 * 1024,
            "X-CSRF-Token: forged\r\n",
        ),
        post_head(
            &a,
            "/contact?csrf_token=forged",
            "text/plain",
            1024 * 1024,
            "",
        ),
        post_head(&a, "/contact", "application/json", 1024 * 1024, ""),
    ];
    for head in cases {
        let mut socket = TcpStream::connect(a.as_str()).await.unwrap();
        socket.write_all(&head).await.unwrap();
        let mut answer = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(1), socket.read(&mut answer))
            .await
            .unwrap_or_else(|_| panic!("no answer within 1 s to {}", first_line(&head)))
            .unwrap();
        assert_eq!(
            first_line(&answer[..n]),
            "HTTP/1.1 403 Forbidden",
            "{}",
            String::from_utf8_lossy(&head)
        );
        // The unread body is not waited for either: the connection closes.
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(1), socket.read_to_end(&mut rest))
            .await
            .expect("the connection closes after the refusal")
            .ok();
    }

    // A genuine request with the token in the header still reads its body.
    app.create_user("jane@example.com", "correct horse battery", Role::Customer)
        .await;
    app.login("jane@example.com", "correct horse battery").await;
    let token = app.csrf().await;
    let resp = app
        .client
        .post(app.url("/logout"))
        .header("x-csrf-token", token)
        .form(&[("padding", "x".repeat(64 * 1024))])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

/// A multipart upload of a `size`-byte MP4 to `POST /api/upload`, its head sent at once and
/// the rest `slice` bytes at a time every `every`.
fn upload_parts(addr: &str, token: &str, size: usize) -> (Vec<u8>, Vec<u8>) {
    let mut body =
        b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.mp4\"\r\n\
        Content-Type: video/mp4\r\n\r\n"
            .to_vec();
    let mut video = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
    video.resize(size, 7);
    body.extend_from_slice(&video);
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    let head = format!(
        "POST /api/upload HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    (head.into_bytes(), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickling_uploads_cannot_hold_the_upload_slots() {
    let app = short_timeouts(TestApp::builder(Backend::Sqlite))
        .var("UPLOAD_MAX_CONCURRENT", "8")
        .spawn()
        .await;
    let a = addr(&app);
    let token = flashstudio::api::tokens::create(app.state.db.pool(), "tests", None)
        .await
        .unwrap()
        .1;

    // Eight uploads of 8 KiB, each sending 25 bytes every 250 ms (100 bytes/s): never idle
    // for the 3 s idle limit, far below the 1 KiB/s minimum rate.
    let size = 8 * 1024;
    let mut trickles = tokio::task::JoinSet::new();
    let started = Instant::now();
    for _ in 0..8 {
        let (head, body) = upload_parts(&a, &token, size);
        let a = a.clone();
        trickles.spawn(async move {
            let socket = TcpStream::connect(a.as_str()).await.unwrap();
            let (mut reader, mut writer) = socket.into_split();
            writer.write_all(&head).await.unwrap();
            let start = Instant::now();
            let trickling = tokio::spawn(async move {
                for chunk in body.chunks(25) {
                    if writer.write_all(chunk).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                std::future::pending::<()>().await;
            });
            let mut answer = Vec::new();
            let read = tokio::time::timeout(NEVER, reader.read_to_end(&mut answer)).await;
            trickling.abort();
            assert!(
                read.is_ok(),
                "a trickling upload was still open after {NEVER:?}"
            );
            (start.elapsed(), first_line(&answer))
        });
    }

    // While they hold all eight slots, another upload is turned away...
    let upload = || async {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"a plain text file".to_vec()).file_name("notes.txt"),
        );
        app.client
            .post(app.url("/api/upload"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap()
            .status()
    };
    // (once the server has admitted all eight: on a loaded machine their heads may take a
    // moment to be read, and a probe sent before then would take a slot from one of them)
    let slots = std::sync::Arc::clone(&app.state.upload_slots);
    crate::support::eventually("eight trickling uploads admitted", UPLOAD_GRACE, || {
        let slots = std::sync::Arc::clone(&slots);
        async move { (slots.available_permits() == 0).then_some(()) }
    })
    .await;
    assert_eq!(upload().await, StatusCode::SERVICE_UNAVAILABLE);

    // ... but not for long: each is dropped once it falls below the minimum rate, after the
    // grace period and at the latest by grace + size / rate.
    let bound = UPLOAD_GRACE + Duration::from_secs_f64((size + 200) as f64 / UPLOAD_MIN_RATE);
    let accepted = loop {
        let status = upload().await;
        if status == StatusCode::OK {
            break started.elapsed();
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            started.elapsed() < NEVER,
            "every upload slot was still held after {NEVER:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!("a normal upload was accepted {accepted:?} after eight trickling uploads began");
    assert!(accepted <= bound + SLACK, "accepted after {accepted:?}");
    while let Some(t) = trickles.join_next().await {
        let (after, status) = t.unwrap();
        eprintln!("a trickling upload was closed after {after:?}: {status:?}");
        assert!(after <= bound + SLACK, "closed after {after:?}");
        assert!(after + EARLY >= UPLOAD_GRACE, "closed after {after:?}");
        assert_eq!(status, "HTTP/1.1 408 Request Timeout");
    }
}

/// An upload at 20 KiB/s for 6 s: longer than the head, keep-alive, idle and grace limits, and
/// well above the minimum rate. The first line of its answer.
async fn steady_upload(a: &str, token: &str) -> String {
    let (head, body) = upload_parts(a, token, 120 * 1024);
    let mut socket = TcpStream::connect(a).await.unwrap();
    socket.write_all(&head).await.unwrap();
    for chunk in body.chunks(4 * 1024) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        socket.write_all(chunk).await.unwrap();
    }
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    first_line(&answer[..n])
}

/// A keep-alive client asking every 1.5 s (under the 4 s keep-alive) on one connection for
/// 6 s. The first line of every answer.
async fn regular_client(a: &str) -> Vec<String> {
    let mut socket = TcpStream::connect(a).await.unwrap();
    let mut answers = Vec::new();
    for _ in 0..5 {
        let request = format!("GET /health HTTP/1.1\r\nHost: {a}\r\n\r\n");
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 4096];
        let mut got = 0;
        while !String::from_utf8_lossy(&answer[..got]).contains("\"ok\"") {
            let n = socket.read(&mut answer[got..]).await.unwrap();
            assert!(
                n > 0,
                "the connection closed after {} answers",
                answers.len()
            );
            got += n;
        }
        answers.push(first_line(&answer[..got]));
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    answers
}
