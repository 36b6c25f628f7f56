//! Every setting of the service, from flags or environment variables, checked at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
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

    #[command(flatten)]
    pub mail: MailSettings,

    #[command(flatten)]
    pub jobs: JobSettings,

    #[command(flatten)]
    pub signing: SigningSettings,
}

/// The key the certificates are signed with (PAdES). Without a PKCS#12 file, a self-signed
/// certificate in the school's name is generated once and kept in the database.
#[derive(Clone, Default, Args)]
pub struct SigningSettings {
    /// PKCS#12 file (.p12, .pfx) holding the school's signing key (ECDSA P-256 or RSA) and
    /// its certificate, with the certificates of its issuers.
    #[arg(long, env = "ASSIDU_SIGNING_P12")]
    pub signing_p12: Option<PathBuf>,

    /// The PKCS#12 file's password.
    #[arg(long, env = "ASSIDU_SIGNING_P12_PASSWORD", hide_env_values = true)]
    pub signing_p12_password: Option<String>,
}

impl std::fmt::Debug for SigningSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningSettings")
            .field("signing_p12", &self.signing_p12)
            .field(
                "signing_p12_password",
                &self.signing_p12_password.as_ref().map(|_| "…"),
            )
            .finish()
    }
}

impl SigningSettings {
    /// Opens the PKCS#12 file, if one is set; an error names the variable to fix.
    pub fn load(&self) -> anyhow::Result<Option<crate::signing::Credentials>> {
        let Some(path) = &self.signing_p12 else {
            if self.signing_p12_password.is_some() {
                anyhow::bail!(
                    "ASSIDU_SIGNING_P12_PASSWORD is set but ASSIDU_SIGNING_P12 (the PKCS#12 \
                     file) is not"
                );
            }
            return Ok(None);
        };
        let bytes = std::fs::read(path).map_err(|e| {
            anyhow::anyhow!("ASSIDU_SIGNING_P12: cannot read {}: {e}", path.display())
        })?;
        let password = self.signing_p12_password.as_deref().unwrap_or_default();
        let credentials =
            crate::signing::Credentials::from_pkcs12(&bytes, password).map_err(|e| {
                anyhow::anyhow!(
                    "ASSIDU_SIGNING_P12 ({}) does not open with ASSIDU_SIGNING_P12_PASSWORD: {e:#}",
                    path.display()
                )
            })?;
        Ok(Some(credentials))
    }
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

    /// How long a signed link in a mail opens its page read-only (`7d`, `48h`…).
    #[arg(long, env = "ASSIDU_MAIL_LINK_TTL", default_value = "7d", value_parser = humantime::parse_duration)]
    pub mail_link_ttl: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            token_ttl: Duration::from_secs(12 * 3600),
            login_free_failures: 5,
            trust_forwarded_for: false,
            mail_link_ttl: Duration::from_secs(7 * 24 * 3600),
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

    /// Largest justification file accepted, in bytes (PDF, PNG or JPEG).
    #[arg(long, env = "ASSIDU_JUSTIFICATION_MAX_BYTES", default_value_t = 5 * 1024 * 1024)]
    pub justification_max_bytes: u64,

    /// How long an instance may answer logins and attendance summaries from memory. A write
    /// through the same instance clears it at once; another instance's write (several
    /// instances on PostgreSQL) shows after at most this long. `0s` turns the cache off.
    #[arg(long, env = "ASSIDU_READ_CACHE_TTL", default_value = "2s", value_parser = humantime::parse_duration)]
    pub read_cache_ttl: Duration,
}

impl Default for AttendanceSettings {
    fn default() -> Self {
        AttendanceSettings {
            teacher_edit_days: 7,
            late_signature_hours: 48,
            pretend_now: None,
            justification_max_bytes: 5 * 1024 * 1024,
            read_cache_ttl: Duration::from_secs(2),
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

/// Where mail goes and how the outbox worker retries.
#[derive(Debug, Clone, Args)]
pub struct MailSettings {
    /// SMTP server (`smtp://host:25`, `smtp://host:587?tls=required`, `smtps://user:pass@host`).
    /// Without it, every mail is written as an `.eml` file into `--mail-dir`.
    #[arg(long, env = "ASSIDU_SMTP_URL")]
    pub smtp_url: Option<String>,

    /// Sender of every mail.
    #[arg(
        long,
        env = "ASSIDU_MAIL_FROM",
        default_value = "assidu <assidu@localhost>"
    )]
    pub mail_from: String,

    /// Folder of `.eml` files when no SMTP server is configured (created if missing).
    #[arg(long, env = "ASSIDU_MAIL_DIR", default_value = "mail-out")]
    pub mail_dir: PathBuf,

    /// Folder whose files override the built-in mail templates (`mail/fr/absence_notice.txt`…).
    #[arg(long, env = "ASSIDU_TEMPLATES_DIR")]
    pub templates_dir: Option<PathBuf>,

    /// Grace delay before an absence notice leaves: a mark corrected meanwhile is not notified.
    #[arg(long, env = "ASSIDU_ABSENCE_NOTICE_DELAY", default_value = "15m", value_parser = humantime::parse_duration)]
    pub absence_notice_delay: Duration,

    /// Longest wait between two attempts of a failing mail (back-off doubles from 2 s).
    #[arg(long, env = "ASSIDU_MAIL_RETRY_MAX", default_value = "1m", value_parser = humantime::parse_duration)]
    pub mail_retry_max: Duration,

    /// Attempts before a mail is marked failed and shown to the admin.
    #[arg(long, env = "ASSIDU_MAIL_MAX_ATTEMPTS", default_value_t = 10)]
    pub mail_max_attempts: u32,

    /// How often the background worker looks for mail and notices to send.
    #[arg(long, env = "ASSIDU_WORKER_INTERVAL", default_value = "1s", value_parser = humantime::parse_duration)]
    pub worker_interval: Duration,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_url: None,
            mail_from: "assidu <assidu@localhost>".to_owned(),
            mail_dir: PathBuf::from("mail-out"),
            templates_dir: None,
            absence_notice_delay: Duration::from_secs(15 * 60),
            mail_retry_max: Duration::from_secs(60),
            mail_max_attempts: 10,
            worker_interval: Duration::from_secs(1),
        }
    }
}

/// The scheduled jobs: cron expressions with the seconds first (`cron` crate), read in
/// Europe/Paris time.
#[derive(Debug, Clone, Args)]
pub struct JobSettings {
    /// Daily digest to the school office: the day's absences, missing roll calls, waiting
    /// justifications.
    #[arg(long, env = "ASSIDU_DIGEST_CRON", default_value = "0 0 18 * * Mon-Fri")]
    pub digest_cron: String,

    /// Reminders to teachers whose session ended more than `--reminder-after` ago unsigned.
    #[arg(
        long,
        env = "ASSIDU_REMINDER_CRON",
        default_value = "0 */15 7-20 * * Mon-Sat"
    )]
    pub reminder_cron: String,

    #[arg(long, env = "ASSIDU_REMINDER_AFTER", default_value = "2h", value_parser = humantime::parse_duration)]
    pub reminder_after: Duration,

    /// Warnings of missed hours crossing a threshold, and dropout alerts.
    #[arg(long, env = "ASSIDU_ALERT_CRON", default_value = "0 30 18 * * *")]
    pub alert_cron: String,

    /// Percentages of a semester's planned hours whose crossing warns the tutor and the school.
    #[arg(
        long,
        env = "ASSIDU_ABSENCE_THRESHOLDS",
        default_value = "10,20",
        value_delimiter = ','
    )]
    pub absence_thresholds: Vec<u32>,

    /// Consecutive absent half-days that raise the dropout alert.
    #[arg(long, env = "ASSIDU_DROPOUT_HALF_DAYS", default_value_t = 3)]
    pub dropout_half_days: u32,

    /// Issues the S9/S10 certificates of semesters that have ended with every roll call
    /// signed, and tells the office which students are blocked by missing ones.
    #[arg(long, env = "ASSIDU_CERTIFICATES_CRON", default_value = "0 0 7 * * *")]
    pub certificates_cron: String,

    /// Also issue what is ready on the worker's first round after a start, not only at the
    /// next scheduled time: a fresh installation issues the semesters already ended.
    #[arg(long, env = "ASSIDU_CERTIFICATES_AT_START", default_value_t = true, action = clap::ArgAction::Set)]
    pub certificates_at_start: bool,

    /// The monthly absences statement for payroll (issue 19): runs daily and sends on the
    /// first working day of the month only (Monday–Friday, not a public holiday).
    #[arg(long, env = "ASSIDU_STATEMENT_CRON", default_value = "0 0 7 * * *")]
    pub statement_cron: String,

    /// Refreshes the timetable sources fetched from a URL (issue 20) and mails the office a
    /// summary when sessions changed, a recorded session was flagged, or a source failed.
    #[arg(
        long,
        env = "ASSIDU_TIMETABLE_CRON",
        default_value = "0 0 6,13 * * Mon-Fri"
    )]
    pub timetable_cron: String,

    /// How long a timetable URL may take to answer, the whole exchange.
    #[arg(long, env = "ASSIDU_TIMETABLE_FETCH_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub timetable_fetch_timeout: Duration,

    /// The largest timetable a URL or an upload may give, in bytes.
    #[arg(long, env = "ASSIDU_TIMETABLE_MAX_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub timetable_max_bytes: usize,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            digest_cron: "0 0 18 * * Mon-Fri".to_owned(),
            reminder_cron: "0 */15 7-20 * * Mon-Sat".to_owned(),
            reminder_after: Duration::from_secs(2 * 3600),
            alert_cron: "0 30 18 * * *".to_owned(),
            absence_thresholds: vec![10, 20],
            dropout_half_days: 3,
            certificates_cron: "0 0 7 * * *".to_owned(),
            certificates_at_start: true,
            statement_cron: "0 0 7 * * *".to_owned(),
            timetable_cron: "0 0 6,13 * * Mon-Fri".to_owned(),
            timetable_fetch_timeout: Duration::from_secs(30),
            timetable_max_bytes: 10 * 1024 * 1024,
        }
    }
}

/// The jobs' schedules, parsed.
#[derive(Debug, Clone)]
pub struct Schedules {
    pub digest: cron::Schedule,
    pub reminder: cron::Schedule,
    pub alert: cron::Schedule,
    pub certificates: cron::Schedule,
    pub statement: cron::Schedule,
    pub timetable: cron::Schedule,
}

impl JobSettings {
    /// Parses the cron expressions; an error names the variable and shows the expected form.
    pub fn schedules(&self) -> anyhow::Result<Schedules> {
        fn parse(var: &str, expr: &str) -> anyhow::Result<cron::Schedule> {
            cron::Schedule::from_str(expr).map_err(|e| {
                anyhow::anyhow!(
                    "{var} : expression cron invalide « {expr} » ({e}) ; attendu six champs, \
                     seconde minute heure jour mois jour-de-semaine, par ex. « 0 0 18 * * Mon-Fri »"
                )
            })
        }
        if let Some(bad) = self
            .absence_thresholds
            .iter()
            .find(|t| **t == 0 || **t > 100)
        {
            anyhow::bail!("ASSIDU_ABSENCE_THRESHOLDS : seuil {bad} % hors de 1..100");
        }
        if self.dropout_half_days == 0 {
            anyhow::bail!("ASSIDU_DROPOUT_HALF_DAYS : au moins 1");
        }
        Ok(Schedules {
            digest: parse("ASSIDU_DIGEST_CRON", &self.digest_cron)?,
            reminder: parse("ASSIDU_REMINDER_CRON", &self.reminder_cron)?,
            alert: parse("ASSIDU_ALERT_CRON", &self.alert_cron)?,
            certificates: parse("ASSIDU_CERTIFICATES_CRON", &self.certificates_cron)?,
            statement: parse("ASSIDU_STATEMENT_CRON", &self.statement_cron)?,
            timetable: parse("ASSIDU_TIMETABLE_CRON", &self.timetable_cron)?,
        })
    }
}
