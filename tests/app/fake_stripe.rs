//! A local HTTP server that answers like Stripe's API (shapes from Stripe's API reference) for
//! the endpoints the shop calls, records every request (path, form, `Idempotency-Key`) and can
//! be told to misbehave: delay a request past the client's timeout, or answer with an error.
//! Like Stripe, it answers a repeated idempotency key with the first answer.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use poem::http::StatusCode;
use poem::listener::TcpListener;
use poem::web::Data;
use poem::{EndpointExt as _, Request, Response, Route, Server, handler};
use serde_json::{Value, json};

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `POST`, `GET`.
    pub method: String,
    /// `/v1/checkout/sessions`.
    pub path: String,
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// Form fields (body) or query pairs.
    pub params: Vec<(String, String)>,
}

impl Recorded {
    /// The value of form field `name` (`line_items[0][quantity]`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What to do with the next request.
#[derive(Debug, Clone)]
pub enum Misbehave {
    /// Answer after this long (past the client's timeout, the client gives up and retries).
    Delay(Duration),
    /// Answer with this status and Stripe error body.
    Error(u16, &'static str, &'static str),
    /// Answer a refund normally but with this status (`pending`).
    RefundStatus(&'static str),
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    script: VecDeque<Misbehave>,
    answers: HashMap<String, (u16, Value)>,
    events: Vec<Value>,
    counter: u64,
    completed: Vec<String>,
}

/// The running fake.
#[derive(Clone)]
pub struct FakeStripe {
    /// `http://127.0.0.1:PORT/`.
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeStripe {
    /// Starts on a free port.
    pub async fn start() -> Self {
        let port = crate::support::free_port();
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Route::new().nest("/v1", handle.data(inner.clone()));
        let listener = TcpListener::bind(format!("127.0.0.1:{port}"));
        tokio::spawn(async move {
            let _ = Server::new(listener).run(app).await;
        });
        // Wait until it listens.
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self {
            base: format!("http://127.0.0.1:{port}/"),
            inner,
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Requests to `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// The next requests misbehave in this order.
    pub fn then(&self, m: Misbehave) {
        self.inner.lock().unwrap().script.push_back(m);
    }

    /// Marks a session completed: Stripe refuses to expire it.
    pub fn complete(&self, session: &str) {
        self.inner
            .lock()
            .unwrap()
            .completed
            .push(session.to_owned());
    }

    /// Publishes an event for `GET /v1/events` (newest first, like Stripe).
    pub fn publish(&self, event: Value) {
        self.inner.lock().unwrap().events.insert(0, event);
    }
}

fn parse_pairs(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn answer(status: u16, body: &Value) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .content_type("application/json")
        .header("request-id", "req_fake")
        .body(body.to_string())
}

#[handler]
async fn handle(req: &Request, body: String, Data(inner): Data<&Arc<Mutex<Inner>>>) -> Response {
    let path = format!("/v1{}", req.uri().path());
    let method = req.method().to_string();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let params = if method == "GET" {
        parse_pairs(req.uri().query().unwrap_or_default())
    } else {
        parse_pairs(&body)
    };
    let recorded = Recorded {
        method: method.clone(),
        path: path.clone(),
        idempotency_key: header("idempotency-key"),
        authorization: header("authorization"),
        params,
    };
    let misbehave = {
        let mut inner = inner.lock().unwrap();
        inner.requests.push(recorded.clone());
        inner.script.pop_front()
    };
    let mut refund_status = "succeeded";
    match misbehave {
        Some(Misbehave::RefundStatus(s)) => refund_status = s,
        Some(Misbehave::Delay(d)) => tokio::time::sleep(d).await,
        Some(Misbehave::Error(status, kind, message)) => {
            return answer(
                status,
                &json!({"error": {"type": kind, "message": message, "code": "fake_error"}}),
            );
        }
        None => {}
    }
    let mut inner = inner.lock().unwrap();
    if let Some(key) = &recorded.idempotency_key
        && let Some((status, body)) = inner.answers.get(&format!("{path}|{key}"))
    {
        return answer(*status, body);
    }
    inner.counter += 1;
    let n = inner.counter;
    let p = |name: &str| recorded.param(name).unwrap_or_default().to_owned();
    let (status, body) = match (method.as_str(), path.as_str()) {
        ("POST", "/v1/checkout/sessions")
            if p("expires_at").parse::<i64>().unwrap_or(0) < flashstudio::db::now() + 30 * 60 =>
        {
            // Stripe's rule: a session lives at least 30 minutes.
            (
                400,
                json!({"error": {"type": "invalid_request_error", "param": "expires_at",
                "message": "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation."}}),
            )
        }
        ("POST", "/v1/checkout/sessions") => {
            let mut total = 0_i64;
            let mut i = 0;
            while let Some(amount) =
                recorded.param(&format!("line_items[{i}][price_data][unit_amount]"))
            {
                let q: i64 = p(&format!("line_items[{i}][quantity]"))
                    .parse()
                    .unwrap_or(1);
                total += amount.parse::<i64>().unwrap_or(0) * q;
                i += 1;
            }
            let id = format!("cs_test_{n:04}");
            (
                200,
                json!({
                    "id": id,
                    "object": "checkout.session",
                    "url": format!("https://checkout.stripe.test/c/pay/{id}"),
                    "mode": "payment",
                    "status": "open",
                    "payment_status": "unpaid",
                    "amount_total": total,
                    "currency": p("line_items[0][price_data][currency]"),
                    "client_reference_id": p("client_reference_id"),
                    "customer_email": p("customer_email"),
                    "expires_at": p("expires_at").parse::<i64>().unwrap_or(0),
                    "metadata": {"order_id": p("metadata[order_id]"), "payment_id": p("metadata[payment_id]")},
                    "success_url": p("success_url"),
                    "cancel_url": p("cancel_url"),
                    "livemode": false,
                }),
            )
        }
        ("POST", expire)
            if expire.ends_with("/expire")
                && inner.completed.iter().any(|c| expire.contains(c.as_str())) =>
        {
            (
                400,
                json!({"error": {"type": "invalid_request_error",
                "message": "Only Checkout Sessions with a status in [\"open\"] can be expired."}}),
            )
        }
        ("POST", expire)
            if expire.starts_with("/v1/checkout/sessions/") && expire.ends_with("/expire") =>
        {
            let id = expire
                .trim_start_matches("/v1/checkout/sessions/")
                .trim_end_matches("/expire");
            (
                200,
                json!({"id": id, "object": "checkout.session", "status": "expired"}),
            )
        }
        ("POST", "/v1/refunds") => (
            200,
            json!({
                "id": format!("re_test_{n:04}"),
                "object": "refund",
                "amount": p("amount").parse::<i64>().unwrap_or(0),
                "currency": "sgd",
                "payment_intent": p("payment_intent"),
                "status": refund_status,
                "reason": p("reason"),
                "metadata": {"refund_id": p("metadata[refund_id]")},
            }),
        ),
        ("GET", "/v1/events") => (
            200,
            json!({
                "object": "list",
                "url": "/v1/events",
                "has_more": false,
                "data": inner.events,
            }),
        ),
        _ => (
            404,
            json!({"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}),
        ),
    };
    if let Some(key) = &recorded.idempotency_key {
        inner
            .answers
            .insert(format!("{path}|{key}"), (status, body.clone()));
    }
    answer(status, &body)
}
