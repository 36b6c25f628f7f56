//! Every setting of the service, from flags or environment variables, checked at start.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::Args;

pub const DEFAULT_DATABASE_URL: &str = "sqlite:assidu.db";

/// Where the data lives; shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// `sqlite:FILE` (created if missing) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Connections kept in the pool.
    #[arg(
        long,
        env = "ASSIDU_DB_MAX_CONNECTIONS",
        default_value_t = 10,
        global = true
    )]
    pub db_max_connections: u32,
}

/// Settings of the HTTP service.
#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Address and port to listen on.
    #[arg(long, env = "ASSIDU_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Load the demo school year (idempotent; demo accounts use the password `demo-password`).
    #[arg(long, env = "ASSIDU_DEMO")]
    pub demo: bool,

    /// Public base URL of the service, used in links sent by mail and printed on certificates.
    #[arg(long, env = "ASSIDU_PUBLIC_URL")]
    pub public_url: Option<String>,

    #[command(flatten)]
    pub auth: AuthSettings,

    #[command(flatten)]
    pub attendance: AttendanceSettings,
}

#[derive(Debug, Clone, Args)]
pub struct AuthSettings {
    /// Lifetime of a login token (`12h`, `30m`, `7d`…).
    #[arg(long, env = "ASSIDU_TOKEN_TTL", default_value = "12h", value_parser = humantime::parse_duration)]
    pub token_ttl: Duration,

    /// Failed logins allowed per account or per client address before answers are slowed
    /// down (429 with Retry-After).
    #[arg(long, env = "ASSIDU_LOGIN_FREE_FAILURES", default_value_t = 5)]
    pub login_free_failures: u32,

    /// Behind a reverse proxy: take the client address from the last `X-Forwarded-For` entry
    /// (the one the proxy added) instead of the TCP peer.
    #[arg(long, env = "ASSIDU_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            token_ttl: Duration::from_secs(12 * 3600),
            login_free_failures: 5,
            trust_forwarded_for: false,
        }
    }
}

/// Rules of the roll call that a school may tune.
#[derive(Debug, Clone, Args)]
pub struct AttendanceSettings {
    /// Days after a session during which its teacher may still change the marks; after
    /// that only an admin may, giving a reason.
    #[arg(long, env = "ASSIDU_TEACHER_EDIT_DAYS", default_value_t = 7)]
    pub teacher_edit_days: u32,

    /// A sheet signed more than this many hours after its session ends is flagged for audit.
    #[arg(long, env = "ASSIDU_LATE_SIGNATURE_HOURS", default_value_t = 48)]
    pub late_signature_hours: u32,

    /// Start the service's clock at this instant (RFC 3339, e.g. `2025-09-01T08:40:00+02:00`)
    /// and let it run from there: for demonstrations and tests, never in production.
    #[arg(long, env = "ASSIDU_PRETEND_NOW", value_parser = parse_instant)]
    pub pretend_now: Option<DateTime<Utc>>,
}

impl Default for AttendanceSettings {
    fn default() -> Self {
        AttendanceSettings {
            teacher_edit_days: 7,
            late_signature_hours: 48,
            pretend_now: None,
        }
    }
}

fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("instant RFC 3339 attendu (2025-09-01T08:40:00+02:00) : {e}"))
}

impl ServeSettings {
    /// The base of absolute links, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
        }
    }
}
