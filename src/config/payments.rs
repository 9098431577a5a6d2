//! Taking money and what follows: `PAYMENT_GATEWAY` (the dev gateway or Stripe, whose keys and
//! retry policy live here), how long an unpaid order holds its stock, how old a webhook may be,
//! and the download links a paid digital order receives.

use std::collections::HashMap;
use std::time::Duration;

use url::Url;

use super::parse::{at_least, non_empty, parse_bool, parse_num};
use super::{ConfigError, Secret, err, strength};

/// Which gateway takes payments.
#[derive(Debug, Clone)]
pub enum PaymentSettings {
    /// Development: the built-in test checkout (pay / decline / cancel), refused in production.
    Dev,
    /// Stripe Checkout.
    Stripe(StripeSettings),
}

/// How to reach Stripe.
#[derive(Debug, Clone)]
pub struct StripeSettings {
    /// `STRIPE_SECRET_KEY` (`sk_live_...` or `sk_test_...`, or a restricted `rk_...` key).
    pub secret_key: Secret<String>,
    /// `STRIPE_WEBHOOK_SECRET`: one or more (comma-separated, during a rotation) `whsec_...`.
    pub webhook_secrets: Vec<Secret<String>>,
    /// `STRIPE_API_BASE`: only for tests against a local fake Stripe.
    pub api_base: Option<Url>,
    /// Per-attempt timeout (`STRIPE_TIMEOUT_SECS`).
    pub timeout: Duration,
    /// Attempts per call, the first included (`STRIPE_MAX_ATTEMPTS`).
    pub max_attempts: u32,
    /// First backoff between attempts, doubled each time (`STRIPE_RETRY_BACKOFF_MS`).
    pub retry_backoff: Duration,
}

impl StripeSettings {
    /// True with a test-mode key (`sk_test_...`, `rk_test_...`): payments move no money.
    pub fn is_test_mode(&self) -> bool {
        TEST_KEY_PREFIXES
            .iter()
            .any(|p| self.secret_key.expose().starts_with(p))
    }
}

/// What one client or one email address may do at checkout: how often it may place orders
/// and how much stock its unpaid orders may hold (stock hoarding), and how long an order holds
/// stock before its checkout is opened at the gateway.
#[derive(Debug, Clone, Copy)]
pub struct CheckoutLimits {
    /// Orders placed per client address per hour (`CHECKOUT_LIMIT_PER_CLIENT`).
    pub per_client_per_hour: u32,
    /// Orders placed per email address per hour (`CHECKOUT_LIMIT_PER_EMAIL`).
    pub per_email_per_hour: u32,
    /// Units of one product that the unpaid orders of one client or email may hold
    /// (`UNPAID_UNITS_PER_PRODUCT`).
    pub unpaid_units_per_product: i64,
    /// The hold of an order whose checkout was not opened yet (`ORDER_HOLD_UNOPENED_MINUTES`).
    pub unopened_hold: Duration,
}

/// The gateway and the stock hold, read together because the gateway bounds the hold.
pub(super) struct Checkout {
    pub(super) payments: PaymentSettings,
    pub(super) order_hold: Duration,
    pub(super) limits: CheckoutLimits,
}

impl Checkout {
    pub(super) fn from_map(
        vars: &HashMap<String, String>,
        production: bool,
    ) -> Result<Self, ConfigError> {
        let payments = parse_payments(vars, production)?;
        let hold_minutes: u64 = parse_num(vars, "ORDER_HOLD_MINUTES", 30)?;
        let hold_min = if matches!(payments, PaymentSettings::Stripe(_)) {
            // Stripe refuses a Checkout Session that expires sooner than 30 minutes.
            30
        } else {
            1
        };
        if !(hold_min..=24 * 60).contains(&hold_minutes) {
            return Err(err(format!(
                "ORDER_HOLD_MINUTES must be between {hold_min} and 1440 (Stripe sessions last 30 minutes to 24 hours)."
            )));
        }
        let unopened_minutes: u64 = parse_num(vars, "ORDER_HOLD_UNOPENED_MINUTES", 5)?;
        if !(1..=hold_minutes).contains(&unopened_minutes) {
            return Err(err(format!(
                "ORDER_HOLD_UNOPENED_MINUTES must be between 1 and ORDER_HOLD_MINUTES ({hold_minutes})."
            )));
        }
        let limits = CheckoutLimits {
            per_client_per_hour: at_least(
                parse_num(vars, "CHECKOUT_LIMIT_PER_CLIENT", 20)?,
                1,
                "CHECKOUT_LIMIT_PER_CLIENT",
            )?,
            per_email_per_hour: at_least(
                parse_num(vars, "CHECKOUT_LIMIT_PER_EMAIL", 10)?,
                1,
                "CHECKOUT_LIMIT_PER_EMAIL",
            )?,
            unpaid_units_per_product: at_least(
                parse_num(vars, "UNPAID_UNITS_PER_PRODUCT", 5)?,
                1,
                "UNPAID_UNITS_PER_PRODUCT",
            )?,
            unopened_hold: Duration::from_secs(unopened_minutes * 60),
        };
        Ok(Self {
            payments,
            order_hold: Duration::from_secs(hold_minutes * 60),
            limits,
        })
    }
}

/// `PAYMENT_GATEWAY` (`dev` or `stripe`) and Stripe's variables.
fn parse_payments(
    vars: &HashMap<String, String>,
    production: bool,
) -> Result<PaymentSettings, ConfigError> {
    match non_empty(vars, "PAYMENT_GATEWAY") {
        None | Some("dev") if production => Err(err(
            "PAYMENT_GATEWAY must be \"stripe\" in production; the dev gateway takes no real money.",
        )),
        None | Some("dev") => Ok(PaymentSettings::Dev),
        Some("stripe") => Ok(PaymentSettings::Stripe(stripe(vars, production)?)),
        Some(other) => Err(err(format!(
            "PAYMENT_GATEWAY must be \"dev\" or \"stripe\", not {other:?}."
        ))),
    }
}

/// Prefixes of Stripe's test-mode API keys: they move no money.
const TEST_KEY_PREFIXES: [&str; 2] = ["sk_test_", "rk_test_"];

/// `STRIPE_*`: the keys, the API base (tests only) and the retry policy.
fn stripe(vars: &HashMap<String, String>, production: bool) -> Result<StripeSettings, ConfigError> {
    let secret_key = non_empty(vars, "STRIPE_SECRET_KEY")
        .ok_or_else(|| err("STRIPE_SECRET_KEY is required with PAYMENT_GATEWAY=stripe."))?;
    let Some(body) = ["sk_live_", "sk_test_", "rk_live_", "rk_test_"]
        .iter()
        .find_map(|p| secret_key.strip_prefix(p))
    else {
        return Err(err(
            "STRIPE_SECRET_KEY must be a Stripe secret key (sk_live_..., sk_test_... or a restricted rk_... key).",
        ));
    };
    // Staging runs in production mode against Stripe's test mode, so this takes a setting.
    let allow_test_keys = parse_bool(vars, "STRIPE_ALLOW_TEST_KEYS", false)?;
    if production {
        if TEST_KEY_PREFIXES.iter().any(|p| secret_key.starts_with(p)) && !allow_test_keys {
            return Err(err(
                "STRIPE_SECRET_KEY is a test-mode key (sk_test_... or rk_test_...), which takes no real money; use the live key from the Stripe dashboard (Developers, API keys), or set STRIPE_ALLOW_TEST_KEYS=true on a staging deployment.",
            ));
        }
        if strength::estimated_bits(body) < strength::MIN_SECRET_BITS {
            return Err(err(
                "STRIPE_SECRET_KEY is too short or too regular to be a real Stripe key; copy it whole from the Stripe dashboard (Developers, API keys).",
            ));
        }
    }
    let webhook_secrets = webhook_secrets(vars, production)?;
    let api_base = match non_empty(vars, "STRIPE_API_BASE") {
        None => None,
        Some(raw) => {
            let url =
                Url::parse(raw).map_err(|e| err(format!("STRIPE_API_BASE is not a URL: {e}")))?;
            if production && url.scheme() != "https" {
                return Err(err("STRIPE_API_BASE must use https in production."));
            }
            Some(url)
        }
    };
    Ok(StripeSettings {
        secret_key: Secret::new(secret_key.to_owned()),
        webhook_secrets,
        api_base,
        timeout: Duration::from_secs(at_least(
            parse_num(vars, "STRIPE_TIMEOUT_SECS", 10)?,
            1,
            "STRIPE_TIMEOUT_SECS",
        )?),
        max_attempts: at_least(
            parse_num(vars, "STRIPE_MAX_ATTEMPTS", 3)?,
            1,
            "STRIPE_MAX_ATTEMPTS",
        )?,
        retry_backoff: Duration::from_millis(parse_num(vars, "STRIPE_RETRY_BACKOFF_MS", 500)?),
    })
}

/// `STRIPE_WEBHOOK_SECRET`: during a rotation Stripe signs with both the old and the new
/// secret, so a comma-separated list is accepted. In production each must look like one Stripe
/// made (`whsec_` and enough random characters): anyone who can guess it can forge payments.
fn webhook_secrets(
    vars: &HashMap<String, String>,
    production: bool,
) -> Result<Vec<Secret<String>>, ConfigError> {
    let webhook_secrets: Vec<Secret<String>> = non_empty(vars, "STRIPE_WEBHOOK_SECRET")
        .ok_or_else(|| {
            err("STRIPE_WEBHOOK_SECRET is required with PAYMENT_GATEWAY=stripe (the endpoint's whsec_... secret).")
        })?
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Secret::new(s.to_owned()))
        .collect();
    if webhook_secrets
        .iter()
        .any(|s| !s.expose().starts_with("whsec_"))
    {
        return Err(err(
            "STRIPE_WEBHOOK_SECRET must be whsec_... (comma-separated during a rotation).",
        ));
    }
    let guessable = |s: &Secret<String>| {
        let body = s.expose().strip_prefix("whsec_").unwrap_or_default();
        strength::estimated_bits(body) < strength::MIN_SECRET_BITS
    };
    if production && webhook_secrets.iter().any(guessable) {
        return Err(err(
            "STRIPE_WEBHOOK_SECRET is too short or too regular to be a real signing secret; copy it whole from the Stripe dashboard (Developers, Webhooks, your endpoint, Signing secret).",
        ));
    }
    Ok(webhook_secrets)
}

/// What happens after a payment: how old a webhook signature may be, and how long and how
/// often the download links of a digital order work.
pub(super) struct AfterPayment {
    pub(super) webhook_tolerance: Duration,
    pub(super) download_link_ttl: Duration,
    pub(super) download_link_max_uses: i64,
}

impl AfterPayment {
    pub(super) fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Ok(Self {
            webhook_tolerance: Duration::from_secs(at_least(
                parse_num(vars, "WEBHOOK_TOLERANCE_SECS", 300)?,
                1,
                "WEBHOOK_TOLERANCE_SECS",
            )?),
            download_link_ttl: Duration::from_secs(
                at_least(
                    parse_num(vars, "DOWNLOAD_LINK_DAYS", 7)?,
                    1,
                    "DOWNLOAD_LINK_DAYS",
                )? * 86_400,
            ),
            download_link_max_uses: at_least(
                parse_num(vars, "DOWNLOAD_LINK_MAX_USES", 5)?,
                1,
                "DOWNLOAD_LINK_MAX_USES",
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::parse::vars;
    use super::*;
    use crate::config::Settings;

    #[test]
    fn payment_settings_are_checked() {
        let s = Settings::from_map(&HashMap::new()).unwrap();
        assert!(
            matches!(s.payments, PaymentSettings::Dev),
            "dev gateway by default"
        );
        let bad = |pairs: &[(&str, &str)]| Settings::from_map(&vars(pairs)).unwrap_err().0;
        assert!(bad(&[("PAYMENT_GATEWAY", "paypal")]).contains("\"dev\" or \"stripe\""));
        assert!(
            bad(&[
                ("PAYMENT_GATEWAY", "stripe"),
                ("STRIPE_SECRET_KEY", "pk_test_1")
            ])
            .contains("secret key")
        );
        assert!(
            bad(&[
                ("PAYMENT_GATEWAY", "stripe"),
                ("STRIPE_SECRET_KEY", "sk_test_1"),
                ("STRIPE_WEBHOOK_SECRET", "nope"),
            ])
            .contains("whsec_")
        );
        // Stripe sessions last at least 30 minutes.
        assert!(
            bad(&[
                ("PAYMENT_GATEWAY", "stripe"),
                ("STRIPE_SECRET_KEY", "sk_test_1"),
                ("STRIPE_WEBHOOK_SECRET", "whsec_1,whsec_2"),
                ("ORDER_HOLD_MINUTES", "5"),
            ])
            .contains("ORDER_HOLD_MINUTES")
        );
        let s = Settings::from_map(&vars(&[
            ("PAYMENT_GATEWAY", "stripe"),
            ("STRIPE_SECRET_KEY", "sk_test_1"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_1, whsec_2"),
        ]))
        .unwrap();
        let PaymentSettings::Stripe(stripe) = s.payments else {
            panic!("expected stripe")
        };
        assert_eq!(stripe.webhook_secrets.len(), 2, "rotation");
        assert!(format!("{stripe:?}").contains("redacted"));
        assert!(!format!("{stripe:?}").contains("sk_test_1"));
    }

    #[test]
    fn production_wants_live_keys_and_real_looking_secrets() {
        let live = "sk_live_51HxQk2Lw9Xv4Nt6Bp1Mc7Hd3Jf5Gs0AyRt8Ue2Wq4Zo6Ic";
        let test = "sk_test_51HxQk2Lw9Xv4Nt6Bp1Mc7Hd3Jf5Gs0AyRt8Ue2Wq4Zo6Ic";
        let webhook = "whsec_k3Jx9vYb0mH7kLr2ZsT1wPn4cVd8fGa6";
        let production = |pairs: &[(&str, &str)]| {
            let mut v = vars(&[
                ("PAYMENT_GATEWAY", "stripe"),
                ("STRIPE_SECRET_KEY", live),
                ("STRIPE_WEBHOOK_SECRET", webhook),
            ]);
            v.extend(vars(pairs));
            parse_payments(&v, true)
        };
        let refused = |pairs: &[(&str, &str)]| match production(pairs) {
            Ok(_) => panic!("{pairs:?} accepted"),
            Err(e) => e.0,
        };
        assert!(production(&[]).is_ok());
        assert!(refused(&[("STRIPE_SECRET_KEY", test)]).contains("STRIPE_ALLOW_TEST_KEYS=true"));
        assert!(
            refused(&[("STRIPE_SECRET_KEY", "rk_test_x")]).contains("STRIPE_ALLOW_TEST_KEYS=true")
        );
        let staging = production(&[
            ("STRIPE_SECRET_KEY", test),
            ("STRIPE_ALLOW_TEST_KEYS", "true"),
        ]);
        assert!(matches!(staging, Ok(PaymentSettings::Stripe(s)) if s.is_test_mode()));
        assert!(
            refused(&[("STRIPE_ALLOW_TEST_KEYS", "maybe")]).starts_with("STRIPE_ALLOW_TEST_KEYS")
        );
        for short in ["sk_live_x", "sk_live_abcdefghijklmnopqrstuvwx"] {
            assert!(
                refused(&[("STRIPE_SECRET_KEY", short)])
                    .starts_with("STRIPE_SECRET_KEY is too short")
            );
        }
        for secret in [
            "whsec_x",
            "whsec_placeholder",
            &format!("{webhook},whsec_1234567890123456789012345678"),
        ] {
            assert!(
                refused(&[("STRIPE_WEBHOOK_SECRET", secret)])
                    .starts_with("STRIPE_WEBHOOK_SECRET is too short"),
                "{secret}"
            );
        }
        // Development and tests talk to a fake Stripe with made-up values.
        let dev = parse_payments(
            &vars(&[
                ("PAYMENT_GATEWAY", "stripe"),
                ("STRIPE_SECRET_KEY", "sk_test_1"),
                ("STRIPE_WEBHOOK_SECRET", "whsec_1"),
            ]),
            false,
        );
        assert!(dev.is_ok());
    }
}
