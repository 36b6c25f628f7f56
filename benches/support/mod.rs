//! What the benches that run the service share: a fresh database (SQLite file or a new
//! PostgreSQL database), the service started in-process, logs, knobs and percentiles.
#![allow(dead_code)]

use std::time::Duration;

use assidu::app::{ApiContext, Application};
use assidu::config::{AttendanceSettings, AuthSettings, JobSettings, MailSettings};
use assidu::db::Db;
use assidu::mail::MailService;

pub fn init_logs() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

pub fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: a number is expected")),
        Err(_) => default,
    }
}

// ---- the database -----------------------------------------------------------------------

/// A fresh, empty database for one run, and what removes it.
pub struct BenchDatabase {
    pub url: String,
    /// The SQLite file's directory, deleted when dropped.
    pub dir: Option<tempfile::TempDir>,
    /// On PostgreSQL: the URL to reconnect to for the drop, and the database's name.
    pub postgres: Option<(String, String)>,
}

impl BenchDatabase {
    pub async fn create() -> BenchDatabase {
        match std::env::var("ASSIDU_BENCH_PG_URL") {
            Ok(admin_url) => {
                let name = format!(
                    "assidu_bench_{}",
                    &assidu::auth::random_secret()
                        .to_lowercase()
                        .replace(['-', '_'], "")[..12]
                );
                let admin = postgres_admin(&admin_url).await;
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&admin)
                    .await
                    .expect("CREATE DATABASE for the bench");
                admin.close().await;
                let (base, _) = admin_url
                    .rsplit_once('/')
                    .expect("ASSIDU_BENCH_PG_URL ends with /DATABASE");
                BenchDatabase {
                    url: format!("{base}/{name}"),
                    dir: None,
                    postgres: Some((admin_url, name)),
                }
            }
            Err(_) => {
                let dir = tempfile::tempdir().expect("temporary directory for SQLite");
                let url = format!("sqlite:{}", dir.path().join("bench.db").display());
                BenchDatabase {
                    url,
                    dir: Some(dir),
                    postgres: None,
                }
            }
        }
    }

    pub fn label(&self) -> String {
        match (&self.postgres, &self.dir) {
            (Some((_, name)), _) => format!("database {name}, dropped at the end"),
            (None, Some(dir)) => format!("file in {}", dir.path().display()),
            (None, None) => String::new(),
        }
    }

    pub async fn remove(self) {
        if let Some((admin_url, name)) = &self.postgres {
            let admin = postgres_admin(admin_url).await;
            sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&admin)
                .await
                .expect("DROP DATABASE of the bench");
            admin.close().await;
        }
        drop(self.dir);
    }
}

pub async fn postgres_admin(url: &str) -> sqlx::PgPool {
    match Db::connect(url, 1)
        .await
        .expect("PostgreSQL reachable at ASSIDU_BENCH_PG_URL")
    {
        Db::Postgres(pool) => pool,
        Db::Sqlite(_) => panic!("ASSIDU_BENCH_PG_URL must be a postgres:// URL"),
    }
}

pub async fn engine_version(db: &Db) -> String {
    match db {
        Db::Sqlite(sqlite) => {
            let v: String = sqlx::query_scalar("SELECT sqlite_version()")
                .fetch_one(&sqlite.pool)
                .await
                .expect("SQLite version");
            format!("SQLite {v}")
        }
        Db::Postgres(pool) => {
            let v: String = sqlx::query_scalar("SHOW server_version")
                .fetch_one(pool)
                .await
                .expect("PostgreSQL version");
            format!("PostgreSQL {v}")
        }
    }
}

pub async fn count_rows(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    assidu::db_run!(db, |pool| sqlx::query_scalar::<_, i64>(&sql)
        .fetch_one(pool)
        .await)
    .unwrap_or_else(|e| panic!("count rows of {table}: {e}"))
}

// ---- the service ------------------------------------------------------------------------

pub struct Server {
    pub base: String,
    pub db: Db,
    pub ctx: ApiContext,
    pub stop: tokio::sync::oneshot::Sender<()>,
    pub serving: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// The service in this process, as `assidu serve` runs it (background worker included), its
/// clock at `now`, mail written as `.eml` files to a temporary folder.
pub async fn start_server(url: &str, pool: u32, now: &str) -> Server {
    let db = Db::connect(url, pool)
        .await
        .expect("connect to the bench database");
    db.migrate().await.expect("migrations");
    let now = chrono::DateTime::parse_from_rfc3339(now)
        .expect("now is RFC 3339")
        .to_utc();
    let attendance = AttendanceSettings {
        pretend_now: Some(now),
        ..AttendanceSettings::default()
    };
    // Mail as the default set-up sends it: `.eml` files, here in a temporary folder.
    let mail_dir = std::env::temp_dir().join(format!("assidu-bench-mail-{}", std::process::id()));
    let mail = MailService::new(MailSettings {
        mail_dir,
        ..MailSettings::default()
    })
    .expect("mail settings");
    let ctx = ApiContext::new(
        db.clone(),
        AuthSettings::default(),
        attendance,
        mail,
        JobSettings::default(),
        "http://assidu.bench",
    )
    .await
    .expect("application context");
    // The background worker runs as in `assidu serve`.
    assidu::worker::spawn(ctx.clone());
    let addr = "127.0.0.1:0".parse().expect("loopback address");
    let app = Application::bind(ctx.clone(), addr)
        .await
        .expect("bind the service");
    let addr = app.local_addr().expect("bound address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(app.serve_until(async move {
        let _ = stopped.await;
    }));
    Server {
        base: format!("http://{addr}"),
        db,
        ctx,
        stop,
        serving,
    }
}

impl Server {
    pub async fn stop(self) {
        let _ = self.stop.send(());
        match tokio::time::timeout(Duration::from_secs(10), self.serving).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => eprintln!("service stopped with an error: {e:#}"),
            Ok(Err(e)) => eprintln!("service task failed: {e}"),
            Err(_) => eprintln!("service still busy 10 s after the stop"),
        }
        self.db.close().await;
    }
}

pub fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank] as f64 / 1000.0
}

/// Runs a bench's body on a multi-threaded runtime with a fresh database, which is removed
/// even when the body panics. `cargo test --benches` runs bench binaries without `--bench`:
/// then nothing runs.
pub fn run_bench<F, Fut>(name: &str, body: F)
where
    F: FnOnce(String, String) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    if !std::env::args().any(|a| a == "--bench") {
        println!("{name}: skipped (run it with `cargo bench --bench {name}`)");
        return;
    }
    init_logs();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let database = BenchDatabase::create().await;
        let outcome = tokio::spawn(body(database.url.clone(), database.label())).await;
        database.remove().await;
        if let Err(e) = outcome {
            if e.is_panic() {
                std::panic::resume_unwind(e.into_panic());
            }
            panic!("bench task: {e}");
        }
    });
}

/// How a figure stands against its target, in the benches' reports.
pub fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}
