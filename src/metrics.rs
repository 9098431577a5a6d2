//! Prometheus metrics: one registry, built once, shared by the HTTP layer and the worker.

#![warn(missing_docs)]

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

/// The payment steps counted by [`Metrics::payment`].
const PAYMENT_EVENTS: &[&str] = &[
    "checkout_created",
    "checkout_failed",
    "captured",
    "failed",
    "checkout_expired",
    "refund_succeeded",
    "refund_pending",
    "refund_failed",
    "refund_unreachable",
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    event: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

/// The reasons counted by [`Metrics::slow_client_closed`].
const SLOW_CLIENT_REASONS: &[&str] = &["header_read", "keep_alive", "body_idle", "body_slow"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

impl OutcomeLabels {
    fn of(outcome: &str) -> Self {
        Self {
            outcome: outcome.to_owned(),
        }
    }
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.5 ms .. ~16 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// Every metric the app exports.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<RequestLabels, Counter>,
    http_duration: HistogramFamily<RouteLabels>,
    jobs_finished: Family<JobLabels, Counter>,
    job_duration: HistogramFamily<JobLabels>,
    job_queue: Family<StatusLabels, Gauge>,
    emails: Family<OutcomeLabels, Counter>,
    uploads: Family<OutcomeLabels, Counter>,
    webhooks: Family<JobLabels, Counter>,
    payments: Family<EventLabels, Counter>,
    upload_bytes: Counter,
    slow_clients: Family<ReasonLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("flashstudio");
        let http_requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route pattern and status",
            http_requests.clone(),
        );
        let http_duration: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and route pattern",
            http_duration.clone(),
        );
        let jobs_finished = Family::<JobLabels, Counter>::default();
        registry.register(
            "jobs_finished",
            "Job runs by kind and outcome (done, retry, dead)",
            jobs_finished.clone(),
        );
        let job_duration: HistogramFamily<JobLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "job_duration_seconds",
            "Job run time by kind and outcome",
            job_duration.clone(),
        );
        let job_queue = Family::<StatusLabels, Gauge>::default();
        registry.register(
            "job_queue_depth",
            "Jobs in the queue by status, read at scrape time",
            job_queue.clone(),
        );
        let emails = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "emails",
            "Email delivery attempts by outcome (sent, failed)",
            emails.clone(),
        );
        let uploads = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "uploads",
            "File uploads by outcome (stored, rejected, aborted, failed)",
            uploads.clone(),
        );
        let webhooks = Family::<JobLabels, Counter>::default();
        registry.register(
            "webhook_events",
            "Payment gateway events by type and outcome (applied, ignored, deferred, error, duplicate)",
            webhooks.clone(),
        );
        let payments = Family::<EventLabels, Counter>::default();
        registry.register(
            "payments",
            "Payment steps by event (checkout_created, checkout_failed, captured, failed, \
             checkout_expired, refund_succeeded, refund_pending, refund_failed, \
             refund_unreachable)",
            payments.clone(),
        );
        let upload_bytes = Counter::default();
        registry.register(
            "upload_bytes",
            "Bytes of uploads committed to storage",
            upload_bytes.clone(),
        );
        let slow_clients = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "slow_clients_closed",
            "Connections closed and request bodies dropped for being too slow, by reason \
             (header_read, keep_alive, body_idle, body_slow)",
            slow_clients.clone(),
        );
        for reason in SLOW_CLIENT_REASONS {
            drop(slow_clients.get_or_create(&ReasonLabels {
                reason: (*reason).to_owned(),
            }));
        }
        // Series that alerts divide by exist from the start, at zero: a rate over a missing
        // series is no data, not zero.
        for outcome in ["sent", "failed"] {
            drop(emails.get_or_create(&OutcomeLabels::of(outcome)));
        }
        for outcome in ["stored", "rejected", "aborted", "failed"] {
            drop(uploads.get_or_create(&OutcomeLabels::of(outcome)));
        }
        for event in PAYMENT_EVENTS {
            drop(payments.get_or_create(&EventLabels {
                event: (*event).to_owned(),
            }));
        }
        Self {
            registry,
            uploads,
            upload_bytes,
            slow_clients,
            http_requests,
            http_duration,
            jobs_finished,
            job_duration,
            job_queue,
            emails,
            webhooks,
            payments,
        }
    }

    /// Records one HTTP request.
    pub fn http_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.http_requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.http_duration
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Records one job run.
    pub fn job_finished(&self, kind: &str, outcome: &str, elapsed: Duration) {
        let labels = JobLabels {
            kind: kind.to_owned(),
            outcome: outcome.to_owned(),
        };
        self.jobs_finished.get_or_create(&labels).inc();
        self.job_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// Records one gateway event delivery. `kind` is one of the types the caller handles, or
    /// `other`: an attacker cannot grow the label set.
    pub fn webhook(&self, kind: &str, outcome: &str) {
        self.webhooks
            .get_or_create(&JobLabels {
                kind: kind.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Records one payment step (a fixed set of names chosen by the code, never by input).
    pub fn payment(&self, event: &'static str) {
        debug_assert!(
            PAYMENT_EVENTS.contains(&event),
            "unknown payment event {event}"
        );
        self.payments
            .get_or_create(&EventLabels {
                event: event.to_owned(),
            })
            .inc();
    }

    /// Records one email delivery attempt.
    pub fn email(&self, outcome: &str) {
        self.emails.get_or_create(&OutcomeLabels::of(outcome)).inc();
    }

    /// Records one upload's outcome (and its bytes when stored).
    pub fn upload(&self, outcome: &str, bytes: u64) {
        self.uploads
            .get_or_create(&OutcomeLabels::of(outcome))
            .inc();
        if outcome == "stored" {
            self.upload_bytes.inc_by(bytes);
        }
    }

    /// Records a connection closed, or a request body dropped, for being too slow.
    pub fn slow_client_closed(&self, reason: &str) {
        self.slow_clients
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// Sets the queue depth gauges (called just before encoding).
    pub fn set_job_queue(&self, counts: &[(String, i64)]) {
        for status in ["queued", "running", "dead"] {
            let n = counts
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            self.job_queue
                .get_or_create(&StatusLabels {
                    status: status.to_owned(),
                })
                .set(n);
        }
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
