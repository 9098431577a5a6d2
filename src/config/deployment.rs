//! What kind of deployment this is and where it lives: `FLASHSTUDIO_ENV`, the listen address
//! `FLASHSTUDIO_ADDR`, the data directory, the public `BASE_URL`, and the development
//! conveniences production refuses (`BOOTSTRAP_ADMIN`, `DEMO_CONTENT`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use url::Url;

use super::parse::{non_empty, parse_bool};
use super::{ConfigError, err};

/// Which kind of deployment this process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Laptop defaults: SQLite, mail to files, readable logs, bootstrap admin.
    Development,
    /// Strict: real adapters, secrets required, secure cookies, JSON logs.
    Production,
}

/// The deployment's kind and addresses. Read first: every other area's defaults and
/// refusals depend on whether this is production.
pub(super) struct Site {
    pub(super) environment: Environment,
    pub(super) addr: SocketAddr,
    pub(super) data_dir: PathBuf,
    pub(super) base_url: Url,
    /// `BASE_URL` was unset, so it follows the listen address (see `Settings::set_addr`).
    pub(super) base_url_derived: bool,
}

impl Site {
    pub(super) fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let environment = parse_environment(vars)?;
        let production = environment == Environment::Production;
        let addr: SocketAddr = non_empty(vars, "FLASHSTUDIO_ADDR")
            .unwrap_or("127.0.0.1:8080")
            .parse()
            .map_err(|_| err("FLASHSTUDIO_ADDR must be IP:PORT, for example 0.0.0.0:8080."))?;
        let data_dir = data_dir(vars);
        let base_url = base_url(vars, addr, production)?;
        Ok(Self {
            environment,
            addr,
            data_dir,
            base_url,
            base_url_derived: non_empty(vars, "BASE_URL").is_none(),
        })
    }
}

/// `BASE_URL`, or `http://<addr>` in development; https in production.
fn base_url(
    vars: &HashMap<String, String>,
    addr: SocketAddr,
    production: bool,
) -> Result<Url, ConfigError> {
    let base_url = match non_empty(vars, "BASE_URL") {
        Some(raw) => parse_base_url(raw)?,
        None if production => {
            return Err(err(
                "BASE_URL is required in production (the public https address, used in emails and links).",
            ));
        }
        None => parse_base_url(&format!("http://{addr}"))?,
    };
    if production && base_url.scheme() != "https" {
        return Err(err("BASE_URL must start with https:// in production."));
    }
    let local = matches!(
        base_url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]")
    ) || base_url
        .host_str()
        .is_some_and(|h| h.ends_with(".localhost") || h.ends_with(".test"));
    // A public https address in development mode almost always means a forgotten
    // FLASHSTUDIO_ENV: the site would run with development adapters and defaults.
    if !production && base_url.scheme() == "https" && !local {
        return Err(err(
            "FLASHSTUDIO_ENV is unset (development) but BASE_URL is a public https address; \
             set FLASHSTUDIO_ENV=production.",
        ));
    }
    Ok(base_url)
}

/// `FLASHSTUDIO_ENV`: `development` (the default) or `production`, or their short forms.
pub(super) fn parse_environment(
    vars: &HashMap<String, String>,
) -> Result<Environment, ConfigError> {
    match non_empty(vars, "FLASHSTUDIO_ENV").unwrap_or("development") {
        "development" | "dev" => Ok(Environment::Development),
        "production" | "prod" => Ok(Environment::Production),
        other => Err(err(format!(
            "FLASHSTUDIO_ENV must be \"development\" or \"production\", not {other:?}."
        ))),
    }
}

/// `FLASHSTUDIO_DATA_DIR`, `./data` by default.
pub(super) fn data_dir(vars: &HashMap<String, String>) -> PathBuf {
    PathBuf::from(non_empty(vars, "FLASHSTUDIO_DATA_DIR").unwrap_or("./data"))
}

/// An absolute http(s) URL of the site's root: links are built by appending paths to it.
pub(super) fn parse_base_url(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw)
        .map_err(|_| err("BASE_URL must be an absolute URL such as https://studio.example.com."))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(err(
            "BASE_URL must be an http:// or https:// URL with a host.",
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(err(
            "BASE_URL must be the site's root, without a path, query or fragment.",
        ));
    }
    Ok(url)
}

/// Development shortcuts, on by default in development and refused in production.
pub(super) struct DevConveniences {
    pub(super) bootstrap_admin: bool,
    pub(super) demo_content: bool,
}

impl DevConveniences {
    pub(super) fn from_map(
        vars: &HashMap<String, String>,
        production: bool,
    ) -> Result<Self, ConfigError> {
        let bootstrap_admin = parse_bool(vars, "BOOTSTRAP_ADMIN", !production)?;
        if production && bootstrap_admin {
            return Err(err(
                "BOOTSTRAP_ADMIN cannot be used in production; create admins with `flashstudio create-admin`.",
            ));
        }
        let demo_content = parse_bool(vars, "DEMO_CONTENT", !production)?;
        if production && demo_content {
            return Err(err(
                "DEMO_CONTENT cannot be used in production; it would publish the demo catalog.",
            ));
        }
        Ok(Self {
            bootstrap_admin,
            demo_content,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::vars;
    use crate::config::Settings;

    #[test]
    fn production_without_base_url_names_it() {
        let e = Settings::from_map(&vars(&[("FLASHSTUDIO_ENV", "production")])).unwrap_err();
        assert!(e.0.starts_with("BASE_URL"), "{e}");
    }

    #[test]
    fn a_forgotten_production_flag_is_caught() {
        let e =
            Settings::from_map(&vars(&[("BASE_URL", "https://studio.example.com")])).unwrap_err();
        assert!(e.0.contains("FLASHSTUDIO_ENV=production"), "{e}");
        assert!(Settings::from_map(&vars(&[("BASE_URL", "https://studio.test")])).is_ok());
    }
}
