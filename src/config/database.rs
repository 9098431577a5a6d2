//! Which database to use and how: `DATABASE_URL` (a SQLite file in development, PostgreSQL
//! required in production), the pool size, automatic migrations, and the narrower view the
//! `migrate` subcommand reads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::deployment::{Environment, data_dir, parse_environment};
use super::parse::{non_empty, parse_bool, parse_num};
use super::{ConfigError, Secret, err};

/// The database a process uses, and the data directory a SQLite file lives in.
#[derive(Debug)]
pub struct DatabaseTarget {
    /// `FLASHSTUDIO_ENV` is production.
    pub production: bool,
    /// `FLASHSTUDIO_DATA_DIR`.
    pub data_dir: PathBuf,
    /// `DATABASE_URL` (or the SQLite default in development).
    pub url: Secret<String>,
}

impl DatabaseTarget {
    /// Only what `flashstudio migrate` needs: a migration job carries the database URL and
    /// none of the app's other secrets.
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let production = parse_environment(vars)? == Environment::Production;
        let data_dir = data_dir(vars);
        let url = url(vars, &data_dir, production)?;
        Ok(Self {
            production,
            data_dir,
            url: Secret::new(url),
        })
    }
}

/// `DATABASE_URL`, or `sqlite://<data dir>/flashstudio.db` in development.
pub(super) fn url(
    vars: &HashMap<String, String>,
    data_dir: &Path,
    production: bool,
) -> Result<String, ConfigError> {
    let database_url = match non_empty(vars, "DATABASE_URL") {
        Some(url) => url.to_owned(),
        None if production => {
            return Err(err(
                "DATABASE_URL is required in production (postgres://user:password@host/db).",
            ));
        }
        None => format!("sqlite://{}", data_dir.join("flashstudio.db").display()),
    };
    if !(database_url.starts_with("sqlite:")
        || database_url.starts_with("postgres://")
        || database_url.starts_with("postgresql://"))
    {
        return Err(err(
            "DATABASE_URL must start with sqlite:, postgres:// or postgresql://.",
        ));
    }
    if production && database_url.starts_with("sqlite:") {
        return Err(err(
            "DATABASE_URL points at SQLite, the development database; production needs PostgreSQL.",
        ));
    }
    Ok(database_url)
}

/// The default pool on PostgreSQL: the server runs the queries, so more connections let more
/// of them wait on it at once.
const POSTGRES_CONNECTIONS: u32 = 10;

/// The default pool on SQLite. Its queries run inside this process, one writer at a time
/// and readers in parallel up to the cores; each connection keeps its own copy of the schema,
/// its statements and a page cache, so connections beyond what two cores can use cost memory
/// and serve nothing more (`docs/performance.md`, "Memory at a hundred times the data").
const SQLITE_CONNECTIONS: u32 = 4;

/// The connection pool and migrations.
pub(super) struct Pool {
    pub(super) max_connections: u32,
    /// On by default in development only: production runs `flashstudio migrate` as a step of
    /// its own, which needs no secret but the database URL.
    pub(super) auto_migrate: bool,
}

impl Pool {
    /// `sqlite`: the database is the embedded one, whose default pool is smaller (see
    /// [`SQLITE_CONNECTIONS`]).
    pub(super) fn from_map(
        vars: &HashMap<String, String>,
        production: bool,
        sqlite: bool,
    ) -> Result<Self, ConfigError> {
        let default = if sqlite {
            SQLITE_CONNECTIONS
        } else {
            POSTGRES_CONNECTIONS
        };
        Ok(Self {
            max_connections: parse_num(vars, "DATABASE_MAX_CONNECTIONS", default)?,
            auto_migrate: parse_bool(vars, "AUTO_MIGRATE", !production)?,
        })
    }
}
