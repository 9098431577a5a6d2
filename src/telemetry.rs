//! Logging: `tracing` to stderr, readable in development and JSON in production.

#![warn(missing_docs)]

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::LogFormat;

/// Installs the global subscriber with the filter from the settings (`RUST_LOG` or
/// `LOG_LEVEL`, validated there).
pub fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::NONE);
    // A second init (tests) is harmless, so its error is ignored.
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// Installs rustls' process-wide crypto provider. Crates disagree on which one to enable
/// (ring vs aws-lc-rs); without an explicit choice the first TLS client panics.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
