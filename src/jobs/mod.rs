//! Scheduled jobs: the office's daily digest, reminders of unsigned roll calls, the alerts on
//! missed hours and dropouts, the issuing of certificates, the payroll statement and the
//! timetable sync; one file per job behind [`ScheduledJob`], and here the scheduler. Each
//! due time runs once across all instances (its row in `job_runs` is inserted in the job's
//! own transaction), and due times missed while the service was down are caught up, a week
//! back at most.

mod alert;
mod certificates;
mod digest;
mod reminder;
mod statement;
mod timetable;

use std::future::Future;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::db::jobs::UnsignedRow;
use crate::db::{self, Db, Tx, job_failures};
use crate::domain::attendance::paris_instant;
use crate::format;

pub use alert::Alert;
pub use certificates::Certificates;
pub use digest::Digest;
pub use reminder::Reminder;
pub use statement::Statement;
pub use timetable::Timetable;

/// How far back missed due times are caught up.
const CATCH_UP: i64 = 7;

/// One scheduled job: its name, its schedule, and its work for one due time.
pub trait ScheduledJob {
    /// Its name in `job_runs`, `job_failures` and the API.
    const NAME: &'static str;

    /// Its cron expression as configured, and parsed.
    fn schedule<'a>(&self, ctx: &'a ApiContext) -> (&'a str, &'a cron::Schedule);

    /// Does the work of the due time held by `claim`, writing in the claim's transaction;
    /// answers the outcome shown in the jobs' list.
    fn run(
        &self,
        ctx: &ApiContext,
        claim: &mut Claim<'_>,
    ) -> impl Future<Output = anyhow::Result<String>> + Send;
}

/// The jobs by name, as the API and the failures' table know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    Digest,
    Reminder,
    Alert,
    Certificates,
    Statement,
    Timetable,
}

impl Job {
    pub const ALL: [Job; 6] = [
        Job::Digest,
        Job::Reminder,
        Job::Alert,
        Job::Certificates,
        Job::Statement,
        Job::Timetable,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::Digest => Digest::NAME,
            Job::Reminder => Reminder::NAME,
            Job::Alert => Alert::NAME,
            Job::Certificates => Certificates::NAME,
            Job::Statement => Statement::NAME,
            Job::Timetable => Timetable::NAME,
        }
    }

    pub fn parse(s: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.name() == s)
    }

    fn schedule(self, ctx: &ApiContext) -> (&str, &cron::Schedule) {
        match self {
            Job::Digest => Digest.schedule(ctx),
            Job::Reminder => Reminder.schedule(ctx),
            Job::Alert => Alert.schedule(ctx),
            Job::Certificates => Certificates.schedule(ctx),
            Job::Statement => Statement.schedule(ctx),
            Job::Timetable => Timetable.schedule(ctx),
        }
    }

    async fn run(self, ctx: &ApiContext, claim: &mut Claim<'_>) -> anyhow::Result<String> {
        match self {
            Job::Digest => Digest.run(ctx, claim).await,
            Job::Reminder => Reminder.run(ctx, claim).await,
            Job::Alert => Alert.run(ctx, claim).await,
            Job::Certificates => Certificates.run(ctx, claim).await,
            Job::Statement => Statement.run(ctx, claim).await,
            Job::Timetable => Timetable.run(ctx, claim).await,
        }
    }

    /// The next due time after `t`.
    pub fn next_after(self, ctx: &ApiContext, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule(ctx)
            .1
            .after(&t.with_timezone(&Paris))
            .next()
            .map(|d| d.with_timezone(&Utc))
    }
}

/// A due time claimed by this instance, and the transaction that claimed it: the job's
/// writes commit with the claim, so a crash leaves neither.
pub struct Claim<'a> {
    db: &'a Db,
    /// The due time being run.
    pub due: DateTime<Utc>,
    /// When the run started.
    pub now: DateTime<Utc>,
    tx: Option<Tx>,
}

impl Claim<'_> {
    /// The claim's transaction; a fresh one after [`Claim::commit_early`].
    pub async fn tx(&mut self) -> Result<&mut Tx, sqlx::Error> {
        if self.tx.is_none() {
            self.tx = Some(self.db.begin_write().await?);
        }
        Ok(self.tx.as_mut().expect("just opened"))
    }

    /// Commits the claim before the work, for a job that writes in transactions of its own
    /// (batches), so that other writers are not held for the whole run. A run cut short is
    /// then finished by the next one.
    pub async fn commit_early(&mut self) -> Result<(), sqlx::Error> {
        match self.tx.take() {
            Some(tx) => tx.commit().await,
            None => Ok(()),
        }
    }

    async fn commit(mut self) -> Result<(), sqlx::Error> {
        self.commit_early().await
    }
}

/// Runs every job whose due time has come; answers the runs done by this instance. A job
/// that fails records its error and waits (doubling back-off) while the others run on; its
/// due time stays unclaimed, so it is run when the wait is over.
pub async fn tick(ctx: &ApiContext) -> anyhow::Result<usize> {
    let now = ctx.clock.now();
    let failures = job_failures::all(&ctx.db).await?;
    let waiting = |job: Job| {
        failures
            .iter()
            .any(|f| f.job == job.name() && f.retry_at > now)
    };
    let failing = |job: Job| failures.iter().any(|f| f.job == job.name());
    let mut ran = 0;
    // The first round after a start issues whatever is ready at once (a fresh installation
    // would otherwise wait for the next 07:00, and its ended semesters forever): a due time
    // of its own, so that it shows in the jobs' list; issuing is idempotent across instances.
    let started = &ctx.jobs.started;
    if ctx.jobs.settings.certificates_at_start
        && !started.load(std::sync::atomic::Ordering::Acquire)
        && !waiting(Job::Certificates)
    {
        match run_once(ctx, Job::Certificates, now).await {
            Ok(done) => {
                started.store(true, std::sync::atomic::Ordering::Release);
                ran += usize::from(done);
            }
            Err(e) => {
                record_failure(ctx, Job::Certificates, &e).await?;
            }
        }
    }
    // One read per round for the jobs: the worker comes by every second.
    let lasts = db::jobs::last_due_times(&ctx.db).await?;
    for job in Job::ALL {
        if waiting(job) {
            continue;
        }
        let last = lasts.iter().find(|(j, _)| j == job.name()).map(|(_, t)| *t);
        match run_due(ctx, job, last).await {
            Ok(done) => {
                ran += done;
                if failing(job) {
                    job_failures::clear(&ctx.db, job.name()).await?;
                    tracing::info!(job = job.name(), "scheduled job recovered");
                }
            }
            Err(e) => record_failure(ctx, job, &e).await?,
        }
    }
    Ok(ran)
}

/// Runs the due times of `job` since `last` (the last one claimed); answers how many ran here.
async fn run_due(ctx: &ApiContext, job: Job, last: Option<DateTime<Utc>>) -> anyhow::Result<usize> {
    let now = ctx.clock.now();
    let Some(last) = last else {
        // A new installation starts its schedule now: nothing to catch up.
        db::jobs::start_schedule(&ctx.db, job.name(), now).await?;
        return Ok(0);
    };
    let mut ran = 0;
    let mut from = last.max(now - Duration::days(CATCH_UP));
    while let Some(due) = job.next_after(ctx, from) {
        if due > now {
            break;
        }
        if run_once(ctx, job, due).await? {
            ran += 1;
        }
        from = due;
    }
    Ok(ran)
}

async fn record_failure(ctx: &ApiContext, job: Job, error: &anyhow::Error) -> anyhow::Result<()> {
    let message = format!("{error:#}");
    let failure = job_failures::record(
        &ctx.db,
        job.name(),
        &message,
        ctx.clock.now(),
        crate::domain::retry::back_off,
    )
    .await?;
    tracing::error!(
        job = job.name(),
        error = %message,
        failures = failure.failures,
        retry_at = %failure.retry_at,
        "scheduled job failed; the others run on"
    );
    Ok(())
}

/// Runs `job` for the due time `due` unless an instance already did; answers whether this
/// call ran it.
pub async fn run_once(ctx: &ApiContext, job: Job, due: DateTime<Utc>) -> anyhow::Result<bool> {
    let mut tx = ctx.db.begin_write().await?;
    let now = ctx.clock.now();
    if !db::jobs::claim(&mut tx, job.name(), due, now).await? {
        return Ok(false);
    }
    let mut claim = Claim {
        db: &ctx.db,
        due,
        now,
        tx: Some(tx),
    };
    let outcome = job.run(ctx, &mut claim).await?;
    db::jobs::set_outcome(claim.tx().await?, job.name(), due, &outcome).await?;
    claim.commit().await?;
    tracing::info!(job = job.name(), %due, outcome, "scheduled job ran");
    Ok(true)
}

/// The domain of the sender's address, for the mails' Message-IDs.
fn mail_domain(ctx: &ApiContext) -> String {
    ctx.mail.from_address().email.domain().to_owned()
}

/// Sessions ended before `before` and not signed, from `since` on; with `not_reminded`, only
/// those no reminder was sent for.
async fn unsigned_sessions(
    tx: &mut Tx,
    since: NaiveDate,
    before: DateTime<Utc>,
    not_reminded: bool,
) -> Result<Vec<UnsignedRow>, sqlx::Error> {
    let rows =
        db::jobs::unsigned_sessions(tx, since, format::paris_day(before), not_reminded).await?;
    Ok(rows
        .into_iter()
        .filter(|r| paris_instant(r.day, r.ends_at) <= before)
        .collect())
}

/// A job as the admin sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobStatus {
    pub job: Job,
    pub schedule: String,
    pub last_due_at: Option<DateTime<Utc>>,
    pub last_ran_at: Option<DateTime<Utc>>,
    pub last_outcome: Option<String>,
    pub next_due_at: Option<DateTime<Utc>>,
    /// Failures in a row of the last attempts (0 when the last one succeeded).
    pub failures: i64,
    pub last_error: Option<String>,
    /// When a failing job is tried again.
    pub retry_at: Option<DateTime<Utc>>,
}

pub async fn statuses(ctx: &ApiContext) -> Result<Vec<JobStatus>, sqlx::Error> {
    let mut out = Vec::new();
    let failures = job_failures::all(&ctx.db).await?;
    for job in Job::ALL {
        let failure = failures.iter().find(|f| f.job == job.name());
        let last = db::jobs::last_run(&ctx.db, job.name()).await?;
        out.push(JobStatus {
            job,
            schedule: job.schedule(ctx).0.to_owned(),
            last_due_at: last.as_ref().map(|l| l.0),
            last_ran_at: last.as_ref().map(|l| l.1),
            last_outcome: last.map(|l| l.2),
            next_due_at: job.next_after(ctx, ctx.clock.now()),
            failures: failure.map_or(0, |f| f.failures),
            last_error: failure.map(|f| f.last_error.clone()),
            retry_at: failure.map(|f| f.retry_at),
        });
    }
    Ok(out)
}
