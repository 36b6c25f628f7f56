//! Database access: one code path for SQLite and PostgreSQL.
//!
//! Queries are written once with `$1` placeholders (both engines accept them) and run on
//! whichever pool the URL chose: the [`db_run!`](crate::db_run) and
//! [`tx_run!`](crate::tx_run) macros expand the same code once per engine, so each
//! expansion is checked by the compiler against the concrete driver. `sqlx::Any` is avoided
//! on purpose: it has no chrono types.

pub mod acknowledgements;
pub mod attendance_audit;
pub mod audit_bundle;
pub mod auth_sessions;
pub mod billing;
pub mod calendars;
pub mod certificates;
pub mod company_contracts;
pub mod contracts;
pub mod dashboard;
pub mod dialect;
pub mod feed_tokens;
pub mod follow_ups;
pub mod job_failures;
pub mod jobs;
pub mod justifications;
pub mod login_links;
pub mod login_throttle;
pub mod marks;
pub mod notices;
pub mod outbox;
pub mod parties;
pub mod payroll;
pub mod programmes;
pub mod records;
pub mod school;
pub mod sessions;
pub mod sheets;
pub mod signing_keys;
pub mod terminations;
pub mod timetable;
pub mod users;
pub mod values;
pub mod years;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

pub use values::Value;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A connection pool on one of the two supported engines.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// SQLite has one writer at a time. Writers of this process queue on an async lock instead
/// of SQLite's busy handler, whose sleeps (up to 100 ms each) made the slowest roll calls
/// of a busy morning wait for seconds; other processes (the CLI) still meet the busy timeout.
/// The writer has a connection of its own (`writes`): taking one from the readers' pool, it
/// queued behind every waiting read while holding the lock, and under 200 connections of
/// reads roll calls fell to 34 per second.
#[derive(Clone, Debug)]
pub struct SqliteDb {
    pub pool: SqlitePool,
    writes: SqlitePool,
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Inside [`OneTransaction`]: a write transaction is a savepoint of the open one.
    nested: bool,
}

/// An open transaction on either engine; on SQLite it holds this process's writer lock.
pub enum Tx {
    Sqlite(
        Transaction<'static, Sqlite>,
        tokio::sync::OwnedMutexGuard<()>,
    ),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$pool` bound to the concrete pool (`&SqlitePool` or `&PgPool`).
#[macro_export]
macro_rules! db_run {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($crate::db::SqliteDb { pool: $pool, .. }) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the transaction's connection (`&mut SqliteConnection`
/// or `&mut PgConnection`).
#[macro_export]
macro_rules! tx_run {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t, _) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

/// Runs SQLite's migrations with foreign keys off, as SQLite's own procedure for rebuilding
/// a table requires (migration 0014 rebuilds `users`); the pragma is a no-op inside the
/// transaction each migration runs in, so it is set on the connection before. Then every
/// foreign key is checked, and switched back on.
async fn migrate_sqlite(pool: &sqlx::SqlitePool) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = pool.acquire().await?;
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await?;
    // `run_direct` on the connection itself: `run` with a `&mut` connection makes every
    // caller's future fail to be `Send` (sqlx's `Acquire` is not general enough).
    let migrated = SQLITE_MIGRATIONS.run_direct(&mut *conn).await;
    let broken: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await?;
    if migrated.is_err() || !broken.is_empty() {
        // A connection left in an unknown state is not given back to the pool.
        let _ = conn.detach().close().await;
    }
    migrated?;
    if !broken.is_empty() {
        anyhow::bail!("migration left rows pointing at nothing: {broken:?}");
    }
    Ok(())
}

impl Db {
    /// Connects by URL scheme: `sqlite:` (file created if missing) or `postgres:`.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Checkpoints run in the background worker (`Db::checkpoint`), not inside a
                // roll call's commit; this only bounds the log if the worker stops.
                .pragma("wal_autocheckpoint", "20000");
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options.clone())
                .await?;
            let writes = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await?;
            Ok(Db::Sqlite(SqliteDb {
                pool,
                writes,
                writer: Arc::new(tokio::sync::Mutex::new(())),
                nested: false,
            }))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            anyhow::bail!(
                "URL de base de données non reconnue « {url} » : attendu sqlite:FICHIER ou postgres://…"
            )
        }
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Applies pending migrations. On PostgreSQL sqlx takes an advisory lock, so several
    /// instances starting together migrate once.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(db) => migrate_sqlite(&db.pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// A transaction that will write: on SQLite it takes this process's writer lock, then
    /// the database's (`BEGIN IMMEDIATE`), so that writers queue instead of failing when a
    /// reader upgrades.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(db) if db.nested => {
                let guard = db.writer.clone().lock_owned().await;
                Tx::Sqlite(db.writes.begin().await?, guard)
            }
            Db::Sqlite(db) => {
                // The lock first, then a connection: a writer waiting here holds none.
                let guard = db.writer.clone().lock_owned().await;
                Tx::Sqlite(db.writes.begin_with("BEGIN IMMEDIATE").await?, guard)
            }
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Copies SQLite's write-ahead log into the database without waiting for readers or
    /// writers (`PASSIVE`); nothing to do on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite(db) => sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&db.pool)
                .await
                .map(|_| ()),
            Db::Postgres(_) => Ok(()),
        }
    }

    /// A cheap round trip, for readiness probes.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        db_run!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|_| ()))
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(db) => {
                db.writes.close().await;
                db.pool.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// A handle on the database whose every statement runs in one transaction, opened on
/// [`Db::one_transaction`]: the functions that take a `&Db` run unchanged through
/// [`OneTransaction::db`] (its transactions become savepoints), and nothing they wrote is
/// seen by anyone or kept until [`OneTransaction::commit`]. For loads that must leave
/// nothing half done (the demo).
///
/// It is a pool of a single connection that keeps the transaction open between the
/// statements; the connection is never replaced (a lost one fails every later statement
/// instead of writing outside the transaction), and dropping the handle without commit
/// rolls everything back when the connection closes.
pub struct OneTransaction {
    pub db: Db,
}

impl Db {
    /// Opens a [`OneTransaction`] on the same database (on SQLite it takes the write lock
    /// at once and waits up to two minutes for it).
    pub async fn one_transaction(&self) -> Result<OneTransaction, sqlx::Error> {
        use sqlx::Connection;
        Ok(match self {
            Db::Sqlite(db) => {
                let options = (*db.pool.connect_options())
                    .clone()
                    .busy_timeout(Duration::from_secs(120));
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .acquire_timeout(Duration::from_secs(130))
                    .after_connect(connect_once())
                    .connect_with(options)
                    .await?;
                let mut conn = pool.acquire().await?;
                // The transaction stays open on the connection when it goes back to the
                // pool: the guard that would roll it back is forgotten on purpose.
                std::mem::forget(conn.begin_with("BEGIN IMMEDIATE").await?);
                drop(conn);
                OneTransaction {
                    db: Db::Sqlite(SqliteDb {
                        pool: pool.clone(),
                        writes: pool,
                        writer: Arc::new(tokio::sync::Mutex::new(())),
                        nested: true,
                    }),
                }
            }
            Db::Postgres(pool) => {
                let options = (*pool.connect_options()).clone();
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .acquire_timeout(Duration::from_secs(130))
                    .after_connect(connect_once())
                    .connect_with(options)
                    .await?;
                let mut conn = pool.acquire().await?;
                std::mem::forget(conn.begin().await?);
                drop(conn);
                OneTransaction {
                    db: Db::Postgres(pool),
                }
            }
        })
    }
}

type ConnectCheck<'c> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'c>>;

/// The `after_connect` of a [`OneTransaction`]'s pool: its first connection only.
fn connect_once<C: Send + 'static>()
-> impl for<'c> Fn(&'c mut C, sqlx::pool::PoolConnectionMetadata) -> ConnectCheck<'c>
+ Send
+ Sync
+ 'static {
    let connected = Arc::new(std::sync::atomic::AtomicBool::new(false));
    move |_, _| {
        let again = connected.swap(true, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move {
            if again {
                Err(sqlx::Error::Protocol(
                    "the connection of a transaction was lost".into(),
                ))
            } else {
                Ok(())
            }
        })
    }
}

impl OneTransaction {
    /// Keeps everything written through [`OneTransaction::db`].
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let result = db_run!(&self.db, |pool| sqlx::query("COMMIT")
            .execute(pool)
            .await
            .map(|_| ()));
        self.db.close().await;
        result
    }

    /// Drops everything written through [`OneTransaction::db`].
    pub async fn rollback(self) {
        let _ = db_run!(&self.db, |pool| sqlx::query("ROLLBACK")
            .execute(pool)
            .await
            .map(|_| ()));
        self.db.close().await;
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t, _) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}

impl Tx {
    /// See [`dialect::Dialect::skip_locked`].
    pub fn skip_locked(&self) -> &'static str {
        self.dialect().skip_locked()
    }
}

impl Db {
    /// See [`dialect::Dialect::skip_locked`].
    pub fn skip_locked(&self) -> &'static str {
        self.dialect().skip_locked()
    }
}
