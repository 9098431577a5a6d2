//! A steady stream of customers through the cluster's nginx while replicas restart: each
//! client, from its own address and with its own cookies, adds a print to its cart, looks at
//! the cart, checks out and pays on the dev gateway every third item, and sends a contact
//! message every fifth round — back to back, so requests are always in flight. Every answer
//! is tallied; afterwards the database must show each accepted POST applied exactly once.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flashstudio::catalog::{pricing, store as catalog_store};
use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;

use crate::cluster::Cluster;

/// The print every client buys (its stock is raised so it never sells out).
const PRODUCT: &str = "marina-bay-blue-hour";
/// Items per order.
const ITEMS_PER_ORDER: i64 = 3;
/// A contact message every this many rounds.
const CONTACT_EVERY: usize = 5;

/// The tally of the whole stream.
#[derive(Debug, Default)]
pub struct Tally {
    pub requests: usize,
    pub posts: usize,
    pub by_status: BTreeMap<u16, usize>,
    /// 5xx answers and broken connections, as "METHOD path: what".
    pub failures: Vec<String>,
}

/// What one client did that the database must show.
#[derive(Debug, Default, Clone)]
pub struct Client {
    email: String,
    adds: i64,
    checkouts: i64,
    contact_prefix: String,
    contacts_accepted: i64,
    contacts_limited: i64,
    /// A request failed: whether its POST was applied is unknown.
    broken: bool,
}

/// The running stream.
pub struct PostStream {
    stop: CancellationToken,
    tally: Arc<Mutex<Tally>>,
    tasks: tokio::task::JoinSet<Client>,
}

/// What the database showed for the stream's accepted POSTs.
#[derive(Debug)]
pub struct Applied {
    pub clients: usize,
    pub adds: i64,
    pub orders: i64,
    pub contacts: i64,
    pub contacts_limited: i64,
}

impl PostStream {
    /// Starts `clients` clients; the first uses `127.0.3.(first + 1)`, the next the
    /// following address, and so on.
    pub async fn start(cluster: &Cluster, clients: usize, first: u8) -> Self {
        sqlx::query("update products set stock = 1000000 where slug = $1")
            .bind(PRODUCT)
            .execute(cluster.db.pool())
            .await
            .unwrap();
        let id: String = sqlx::query_scalar("select id from products where slug = $1")
            .bind(PRODUCT)
            .fetch_one(cluster.db.pool())
            .await
            .unwrap();
        let offered = catalog_store::offered_for(cluster.db.pool(), &id)
            .await
            .unwrap();
        let selection = pricing::select(&offered, &[], true).unwrap();
        let mut add_form = vec![
            ("product".to_owned(), id),
            ("quantity".to_owned(), "1".to_owned()),
        ];
        add_form.extend(
            selection
                .values
                .iter()
                .map(|v| ("options".to_owned(), v.id.to_string())),
        );
        let stop = CancellationToken::new();
        let tally = Arc::new(Mutex::new(Tally::default()));
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..clients {
            let ip = Ipv4Addr::new(127, 0, 3, first.wrapping_add(u8::try_from(n).unwrap()) + 1);
            let http = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                // A new connection per request (see `Cluster::browser`).
                .pool_max_idle_per_host(0)
                .local_address(IpAddr::V4(ip))
                .build()
                .unwrap();
            let client = Client {
                email: format!("stream-{ip}@example.com"),
                contact_prefix: format!("stream {ip} #"),
                ..Client::default()
            };
            let run = Run {
                http,
                base: cluster.base.clone(),
                tally: Arc::clone(&tally),
                add_form: add_form.clone(),
                csrf: String::new(),
            };
            tasks.spawn(run.go(client, stop.clone()));
        }
        Self { stop, tally, tasks }
    }

    /// The tally so far.
    pub fn failures(&self) -> usize {
        self.tally.lock().unwrap().failures.len()
    }

    /// Stops the clients (each finishes its round and pays for what is left in its cart).
    pub async fn stop(mut self) -> (Tally, Vec<Client>) {
        self.stop.cancel();
        let mut clients = Vec::new();
        while let Some(done) = self.tasks.join_next().await {
            clients.push(done.expect("a stream client"));
        }
        let tally = std::mem::take(&mut *self.tally.lock().unwrap());
        (tally, clients)
    }
}

/// Checks that every accepted POST of `clients` took effect once: each accepted add is one
/// unit in a paid order of the client's, each accepted checkout one paid order, each accepted
/// contact message one stored message.
pub async fn assert_applied_once(cluster: &Cluster, clients: &[Client]) -> Applied {
    let mut applied = Applied {
        clients: clients.len(),
        adds: 0,
        orders: 0,
        contacts: 0,
        contacts_limited: 0,
    };
    for c in clients {
        assert!(!c.broken, "{}: a request failed", c.email);
        let (orders, paid, units): (i64, i64, i64) = sqlx::query_as(
            "select count(distinct o.id), \
             count(distinct case when o.status = 'paid' then o.id end), \
             cast(coalesce(sum(l.quantity), 0) as bigint) \
             from orders o join order_lines l on l.order_id = o.id where o.email = $1",
        )
        .bind(&c.email)
        .fetch_one(cluster.db.pool())
        .await
        .unwrap();
        assert_eq!(
            (orders, paid, units),
            (c.checkouts, c.checkouts, c.adds),
            "{}: accepted checkouts {} (each paid) holding accepted adds {}",
            c.email,
            c.checkouts,
            c.adds
        );
        let (messages, distinct): (i64, i64) = sqlx::query_as(
            "select count(*), count(distinct message) from contact_messages \
             where message like $1",
        )
        .bind(format!("{}%", c.contact_prefix))
        .fetch_one(cluster.db.pool())
        .await
        .unwrap();
        assert_eq!(
            (messages, distinct),
            (c.contacts_accepted, c.contacts_accepted),
            "{}: accepted contact messages stored once each",
            c.email
        );
        applied.adds += c.adds;
        applied.orders += c.checkouts;
        applied.contacts += c.contacts_accepted;
        applied.contacts_limited += c.contacts_limited;
    }
    applied
}

/// One client's connection to the cluster.
struct Run {
    http: reqwest::Client,
    base: String,
    tally: Arc<Mutex<Tally>>,
    add_form: Vec<(String, String)>,
    csrf: String,
}

/// An answer: status, `Location`, body.
type Answer = (StatusCode, String, String);

impl Run {
    async fn go(mut self, mut me: Client, stop: CancellationToken) -> Client {
        let mut round = 0usize;
        let mut in_cart = 0;
        let result: Result<(), ()> = async {
            let (_, _, home) = self.get("/").await?;
            self.csrf = crate::support::csrf_from_html(&home);
            while !stop.is_cancelled() {
                round += 1;
                let form = self.add_form.clone();
                let (status, ..) = self.post("/cart/add", &form).await?;
                assert_eq!(status, StatusCode::SEE_OTHER, "{}: add to cart", me.email);
                me.adds += 1;
                in_cart += 1;
                let (status, ..) = self.get("/cart").await?;
                assert_eq!(status, StatusCode::OK);
                if in_cart == ITEMS_PER_ORDER {
                    self.checkout(&mut me).await?;
                    in_cart = 0;
                }
                if round.is_multiple_of(CONTACT_EVERY) {
                    let message = format!("{}{round}", me.contact_prefix);
                    let fields = [
                        ("kind", "general"),
                        ("name", "Stream Client"),
                        ("email", me.email.as_str()),
                        ("message", message.as_str()),
                    ]
                    .map(|(k, v)| (k.to_owned(), v.to_owned()));
                    let (status, ..) = self.post("/contact", &fields).await?;
                    match status {
                        StatusCode::OK => me.contacts_accepted += 1,
                        StatusCode::TOO_MANY_REQUESTS => me.contacts_limited += 1,
                        other => panic!("{}: contact form answered {other}", me.email),
                    }
                }
            }
            if in_cart > 0 {
                self.checkout(&mut me).await?;
            }
            Ok(())
        }
        .await;
        me.broken = result.is_err();
        me
    }

    /// Checks out the cart and pays on the dev gateway.
    async fn checkout(&self, me: &mut Client) -> Result<(), ()> {
        let details: Vec<(String, String)> = crate::orders::details(&me.email)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let (status, gateway, _) = self.post("/checkout", &details).await?;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}: checkout", me.email);
        assert!(gateway.starts_with("/dev-gateway/"), "{gateway}");
        let (status, ..) = self.get(&gateway).await?;
        assert_eq!(status, StatusCode::OK);
        let pay = [("action".to_owned(), "pay".to_owned())];
        let (status, back, _) = self.post(&gateway, &pay).await?;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}: pay", me.email);
        me.checkouts += 1;
        let (status, _, page) = self.get(&back).await?;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Payment received"), "{}: {page}", me.email);
        Ok(())
    }

    async fn get(&self, path: &str) -> Result<Answer, ()> {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send("GET", path, request).await
    }

    async fn post(&self, path: &str, fields: &[(String, String)]) -> Result<Answer, ()> {
        let mut all = fields.to_vec();
        all.push(("csrf_token".to_owned(), self.csrf.clone()));
        let request = self.http.post(format!("{}{path}", self.base)).form(&all);
        self.send("POST", path, request).await
    }

    /// Sends, tallies, and turns a 5xx or a broken connection into `Err` (recorded).
    async fn send(
        &self,
        method: &str,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Answer, ()> {
        let outcome = async {
            let resp = request.send().await?;
            let status = resp.status();
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            Ok::<_, reqwest::Error>((status, location, resp.text().await?))
        }
        .await;
        let mut tally = self.tally.lock().unwrap();
        tally.requests += 1;
        if method == "POST" {
            tally.posts += 1;
        }
        match outcome {
            Ok((status, location, body)) => {
                *tally.by_status.entry(status.as_u16()).or_default() += 1;
                if status.is_server_error() {
                    tally.failures.push(format!("{method} {path}: {status}"));
                    return Err(());
                }
                Ok((status, location, body))
            }
            Err(e) => {
                let mut what = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    what = format!("{what}: {s}");
                    source = s.source();
                }
                tally.failures.push(format!("{method} {path}: {what}"));
                Err(())
            }
        }
    }
}
