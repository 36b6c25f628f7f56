//! Scheduled jobs: the office's daily digest, reminders of unsigned roll calls, and the
//! alerts on missed hours and dropouts. Each due time runs once across all instances (its
//! row in `job_runs` is inserted in the job's own transaction), and due times missed while
//! the service was down are caught up, a week back at most.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::certificates::{self, Existing, IssueOptions, Issuer, Selection};
use crate::db::contracts::{CONTRACT_FRAME_SELECT, ContractFrame, contract_sessions};
use crate::db::{Tx, job_failures};
use crate::domain::absence::{self, Mark};
use crate::domain::attendance::{Status, half_day_fr, paris_instant};
use crate::domain::certificate::CertificateKind;
use crate::domain::semester::Semester;
use crate::hours::summarize;
use crate::i18n::Lang;
use crate::mail::outbox::{self, NewMail};
use crate::notices::{self, Audience, hours_text, status_text};
use crate::{db_run, tx_run};

/// How far back missed due times are caught up.
const CATCH_UP: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    Digest,
    Reminder,
    Alert,
    Certificates,
}

impl Job {
    pub const ALL: [Job; 4] = [Job::Digest, Job::Reminder, Job::Alert, Job::Certificates];

    pub fn name(self) -> &'static str {
        match self {
            Job::Digest => "digest",
            Job::Reminder => "reminder",
            Job::Alert => "alert",
            Job::Certificates => "certificates",
        }
    }

    pub fn parse(s: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.name() == s)
    }

    fn schedule(self, ctx: &ApiContext) -> &cron::Schedule {
        match self {
            Job::Digest => &ctx.jobs.schedules.digest,
            Job::Reminder => &ctx.jobs.schedules.reminder,
            Job::Alert => &ctx.jobs.schedules.alert,
            Job::Certificates => &ctx.jobs.schedules.certificates,
        }
    }

    /// The next due time after `t`.
    pub fn next_after(self, ctx: &ApiContext, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule(ctx)
            .after(&t.with_timezone(&Paris))
            .next()
            .map(|d| d.with_timezone(&Utc))
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
    let lasts: Vec<(String, DateTime<Utc>)> = db_run!(&ctx.db, |pool| sqlx::query_as(
        "SELECT job, MAX(due_at) FROM job_runs GROUP BY job"
    )
    .fetch_all(pool)
    .await)?;
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
        db_run!(&ctx.db, |pool| {
            sqlx::query(
            "INSERT INTO job_runs (job, due_at, ran_at, outcome) VALUES ($1, $2, $2, 'début du planning') \
             ON CONFLICT DO NOTHING"
        )
        .bind(job.name())
        .bind(now)
        .execute(pool)
        .await.map(|r| r.rows_affected())
        })?;
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
    let claimed = tx_run!(&mut tx, |conn| sqlx::query(
        "INSERT INTO job_runs (job, due_at, ran_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
    )
    .bind(job.name())
    .bind(due)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?
        == 1;
    if !claimed {
        return Ok(false);
    }
    let outcome = match job {
        Job::Digest => digest(ctx, &mut tx, due, now).await?,
        Job::Reminder => reminders(ctx, &mut tx, due, now).await?,
        Job::Alert => alerts(ctx, &mut tx, due, now).await?,
        Job::Certificates => {
            // Issuing writes a batch at a time: the claim is committed first so that the
            // writers of roll calls are not held for the whole run. A run cut short is
            // finished by the next one (what was issued is skipped).
            tx.commit().await?;
            let outcome = issue_due_certificates(ctx, due).await?;
            tx = ctx.db.begin_write().await?;
            outcome
        }
    };
    tx_run!(&mut tx, |conn| sqlx::query(
        "UPDATE job_runs SET outcome = $3 WHERE job = $1 AND due_at = $2"
    )
    .bind(job.name())
    .bind(due)
    .bind(&outcome)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    tracing::info!(job = job.name(), %due, outcome, "scheduled job ran");
    Ok(true)
}

/// Issues both documents of every semester that has ended with its roll calls signed, and
/// tells the office which students are held by unsigned ones.
async fn issue_due_certificates(ctx: &ApiContext, due: DateTime<Utc>) -> anyhow::Result<String> {
    let issuer = Issuer::from(ctx);
    let options = IssueOptions {
        kinds: CertificateKind::ALL.to_vec(),
        existing: Existing::Skip,
        force_reason: None,
        issued_by: None,
    };
    let mut issued = 0;
    let mut blocked = Vec::new();
    let mut failed = Vec::new();
    for semester in [Semester::S9, Semester::S10] {
        let selection = Selection::Missing {
            semester,
            kinds: CertificateKind::ALL.len(),
            today: ctx.clock.today(),
        };
        let clock = ctx.clock.clone();
        let report =
            certificates::issue_many(&issuer, &selection, &options, || clock.now(), |_| {}).await?;
        issued += report.issued;
        for f in &report.failed {
            tracing::warn!(student = %f.student, semester = %f.semester, reason = %f.reason, "certificate not issued");
        }
        blocked.extend(report.blocked);
        failed.extend(report.failed);
    }
    let mut tx = ctx.db.begin_write().await?;
    let dedup = format!("certificates_blocked:{}", due.timestamp());
    certificates::queue_blocked_report(
        &issuer,
        &mut tx,
        &blocked,
        &failed,
        &dedup,
        ctx.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(format!(
        "{issued} document(s) émis, {} salarié·e(s) bloqué·e(s) par des appels non signés, {} en erreur",
        blocked.len(),
        failed.len()
    ))
}

fn paris_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Paris).date_naive()
}

fn fr_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn mail_domain(ctx: &ApiContext) -> String {
    ctx.mail.from_address().email.domain().to_owned()
}

async fn office(tx: &mut Tx) -> Result<Option<(String, String)>, sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query_as(
        "SELECT name, office_email FROM school WHERE id = 1"
    )
    .fetch_optional(&mut *conn)
    .await)
}

#[derive(Debug, sqlx::FromRow)]
struct AbsenceRow {
    student: String,
    module: String,
    starts_at: chrono::NaiveTime,
    ends_at: chrono::NaiveTime,
    status: String,
    minutes_missed: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct UnsignedRow {
    id: i64,
    day: NaiveDate,
    starts_at: chrono::NaiveTime,
    ends_at: chrono::NaiveTime,
    module: String,
    group_name: String,
    teacher_id: i64,
    teacher: String,
    teacher_email: String,
    teacher_lang: String,
}

const UNSIGNED_SELECT: &str = "SELECT s.id, s.day, s.starts_at, s.ends_at, m.name AS module, \
    g.name AS group_name, t.id AS teacher_id, t.first_name || ' ' || t.last_name AS teacher, \
    t.email AS teacher_email, t.lang AS teacher_lang FROM training_sessions s \
    JOIN modules m ON m.id = s.module_id JOIN student_groups g ON g.id = s.group_id \
    JOIN teachers t ON t.id = s.teacher_id WHERE s.signed_at IS NULL AND s.day >= $1 AND s.day <= $2";

/// Sessions ended before `before` and not signed, from `since` on.
async fn unsigned_sessions(
    tx: &mut Tx,
    since: NaiveDate,
    before: DateTime<Utc>,
    extra: &str,
) -> Result<Vec<UnsignedRow>, sqlx::Error> {
    let sql = format!("{UNSIGNED_SELECT}{extra} ORDER BY s.day, s.starts_at, s.id");
    let rows: Vec<UnsignedRow> = tx_run!(tx, |conn| sqlx::query_as(&sql)
        .bind(since)
        .bind(paris_day(before))
        .fetch_all(&mut *conn)
        .await)?;
    Ok(rows
        .into_iter()
        .filter(|r| paris_instant(r.day, r.ends_at) <= before)
        .collect())
}

/// The office's digest of the due day: its absences, roll calls still missing, justifications
/// waiting for a decision.
async fn digest(
    ctx: &ApiContext,
    tx: &mut Tx,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let day = paris_day(due);
    let Some((school, office_email)) = office(tx).await? else {
        return Ok("pas de profil d'école".to_owned());
    };
    let absences: Vec<AbsenceRow> = tx_run!(&mut *tx, |conn| {
        sqlx::query_as(
        "SELECT st.last_name || ' ' || st.first_name AS student, m.name AS module, s.starts_at, s.ends_at, \
         am.status, am.minutes_missed FROM attendance_marks am \
         JOIN training_sessions s ON s.id = am.session_id JOIN modules m ON m.id = s.module_id \
         JOIN students st ON st.id = am.student_id \
         WHERE s.day = $1 AND am.status <> 'present' ORDER BY st.last_name, st.first_name, s.starts_at"
    )
    .bind(day)
    .fetch_all(&mut *conn)
    .await
    })?;
    let missing = unsigned_sessions(
        tx,
        day - Duration::days(i64::from(ctx.attendance.teacher_edit_days) + 30),
        due,
        "",
    )
    .await?;
    let waiting: Vec<(i64, String, DateTime<Utc>)> = tx_run!(&mut *tx, |conn| {
        sqlx::query_as(
        "SELECT j.id, st.last_name || ' ' || st.first_name, j.submitted_at FROM justifications j \
         JOIN students st ON st.id = j.student_id WHERE j.status = 'pending' ORDER BY j.submitted_at"
    )
    .fetch_all(&mut *conn)
    .await
    })?;
    if absences.is_empty() && missing.is_empty() && waiting.is_empty() {
        return Ok("rien à signaler".to_owned());
    }
    let lang = Lang::Fr;
    let base = &ctx.public_url;
    let context = json!({
        "school": school,
        "day": fr_date(day),
        "absences": absences.iter().map(|a| {
            let m = Mark::new(Status::parse(&a.status).unwrap_or(Status::Absent), a.minutes_missed);
            let minutes = absence::missed_minutes(m, (a.ends_at - a.starts_at).num_minutes());
            json!({"student": a.student, "module": a.module, "half_day": half_day_fr(a.starts_at),
                   "times": format!("{}–{}", a.starts_at.format("%H:%M"), a.ends_at.format("%H:%M")),
                   "status": status_text(m.status, lang), "missed": hours_text(minutes, lang)})
        }).collect::<Vec<Value>>(),
        "missing": missing.iter().map(|s| json!({
            "date": fr_date(s.day), "times": format!("{}–{}", s.starts_at.format("%H:%M"), s.ends_at.format("%H:%M")),
            "module": s.module, "group": s.group_name, "teacher": s.teacher, "url": format!("{base}/sessions/{}", s.id)
        })).collect::<Vec<Value>>(),
        "waiting": waiting.iter().map(|(id, student, at)| json!({
            "student": student, "submitted": fr_date(paris_day(*at)), "url": format!("{base}/justifications/{id}")
        })).collect::<Vec<Value>>(),
        "audit_url": format!("{base}/audit"),
    });
    let rendered = ctx.mail.render("digest", lang, &context)?;
    outbox::enqueue(
        tx,
        &mail_domain(ctx),
        &NewMail {
            kind: "digest",
            dedup_key: format!("digest:{}", due.timestamp()),
            recipient: office_email,
            lang,
            rendered,
            reason: format!("Récapitulatif du {}", fr_date(day)),
            student_id: None,
        },
        now,
    )
    .await?;
    Ok(format!(
        "{} absence(s), {} appel(s) manquant(s), {} justificatif(s) en attente",
        absences.len(),
        missing.len(),
        waiting.len()
    ))
}

/// One reminder per teacher, listing their sessions ended more than `reminder_after` ago
/// without a signed roll call; each session is reminded once.
async fn reminders(
    ctx: &ApiContext,
    tx: &mut Tx,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let after = Duration::from_std(ctx.jobs.settings.reminder_after).unwrap_or(Duration::hours(2));
    let since = paris_day(due) - Duration::days(i64::from(ctx.attendance.teacher_edit_days));
    let sessions = unsigned_sessions(
        tx,
        since,
        due - after,
        " AND NOT EXISTS (SELECT 1 FROM roll_call_reminders r WHERE r.session_id = s.id)",
    )
    .await?;
    let mut by_teacher: BTreeMap<i64, Vec<&UnsignedRow>> = BTreeMap::new();
    for s in &sessions {
        by_teacher.entry(s.teacher_id).or_default().push(s);
    }
    let base = &ctx.public_url;
    for (teacher_id, list) in &by_teacher {
        let first = list[0];
        let lang = Lang::parse(&first.teacher_lang).unwrap_or_default();
        let context = json!({
            "teacher": first.teacher,
            "sessions": list.iter().map(|s| json!({
                "date": fr_date(s.day),
                "times": format!("{}–{}", s.starts_at.format("%H:%M"), s.ends_at.format("%H:%M")),
                "module": s.module, "group": s.group_name, "url": format!("{base}/sessions/{}", s.id),
            })).collect::<Vec<Value>>(),
            "edit_days": ctx.attendance.teacher_edit_days,
        });
        let rendered = ctx.mail.render("roll_call_reminder", lang, &context)?;
        outbox::enqueue(
            tx,
            &mail_domain(ctx),
            &NewMail {
                kind: "roll_call_reminder",
                dedup_key: format!("reminder:{teacher_id}:{}", due.timestamp()),
                recipient: first.teacher_email.clone(),
                lang,
                rendered,
                reason: format!(
                    "Rappel à {} : {} appel(s) non signé(s)",
                    first.teacher,
                    list.len()
                ),
                student_id: None,
            },
            now,
        )
        .await?;
        for s in list {
            tx_run!(&mut *tx, |conn| {
                sqlx::query(
                "INSERT INTO roll_call_reminders (session_id, reminded_at) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            )
            .bind(s.id)
            .bind(now)
            .execute(&mut *conn)
            .await.map(|r| r.rows_affected())
            })?;
        }
    }
    Ok(format!(
        "{} rappel(s) pour {} séance(s)",
        by_teacher.len(),
        sessions.len()
    ))
}

/// Records an alert; answers false when it was already sent.
async fn first_alert(
    tx: &mut Tx,
    contract: i64,
    alert: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(tx_run!(tx, |conn| {
        sqlx::query(
        "INSERT INTO absence_alerts (contract_id, alert, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
    )
    .bind(contract)
    .bind(alert)
    .bind(now)
    .execute(&mut *conn)
    .await.map(|r| r.rows_affected())
    })? == 1)
}

/// Warnings of missed hours crossing a threshold, and dropout alerts, for every contract
/// running on the due day.
async fn alerts(
    ctx: &ApiContext,
    tx: &mut Tx,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let day = paris_day(due);
    let contracts: Vec<ContractFrame> = db_run!(&ctx.db, |pool| {
        sqlx::query_as(&format!(
        "{CONTRACT_FRAME_SELECT} WHERE c.start_date <= $1 AND COALESCE(c.termination_date, c.end_date) >= $1 ORDER BY c.id"
    ))
    .bind(day)
    .fetch_all(pool)
    .await
    })?;
    let thresholds = &ctx.jobs.settings.absence_thresholds;
    let streak = usize::try_from(ctx.jobs.settings.dropout_half_days).unwrap_or(3);
    let (mut warnings, mut dropouts) = (0, 0);
    for c in &contracts {
        let sessions = contract_sessions(&ctx.db, c).await?;
        let past: Vec<_> = sessions.iter().filter(|s| s.day <= day).cloned().collect();
        for sem in summarize(c, &past, due) {
            let minutes = |h: f64| (h * 60.0).round() as i64;
            let missed = minutes(sem.absence_hours) + minutes(sem.excused_hours);
            let planned = minutes(sem.planned_hours);
            let crossed = absence::crossed_thresholds(missed, planned, thresholds);
            let mut fresh = Vec::new();
            for t in &crossed {
                if first_alert(tx, c.id, &format!("threshold:{}:{t}", sem.semester), now).await? {
                    fresh.push(*t);
                }
            }
            if let Some(&highest) = fresh.iter().max() {
                warnings += 1;
                let facts = json!({
                    "semester": sem.semester.to_string(),
                    "threshold": highest,
                    "missed_minutes": missed,
                    "planned_minutes": planned,
                    "absence_minutes": minutes(sem.absence_hours),
                    "excused_minutes": minutes(sem.excused_hours),
                    "percent": format!("{:.1}", missed as f64 * 100.0 / planned.max(1) as f64).replace('.', ","),
                });
                send_alert(
                    ctx,
                    tx,
                    c,
                    "threshold_warning",
                    &format!("{}:{highest}", sem.semester),
                    facts,
                    now,
                )
                .await?;
            }
        }
        // Half-days in order; a half-day counts as absent when every session of it is.
        let mut half_days: Vec<((NaiveDate, &str), bool)> = Vec::new();
        for s in &past {
            let key = (s.day, half_day_fr(s.starts_at));
            let absent = s.status.as_deref() == Some("absent");
            match half_days.last_mut() {
                Some((k, a)) if *k == key => *a = *a && absent,
                _ => half_days.push((key, absent)),
            }
        }
        let flags: Vec<bool> = half_days.iter().map(|(_, a)| *a).collect();
        for start in absence::dropout_streaks(&flags, streak) {
            let ((first_day, first_half), _) = half_days[start];
            // Old streaks (before the service ran, or long handled) are not news.
            if (day - first_day).num_days() > 30 {
                continue;
            }
            let key = format!("dropout:{first_day}:{first_half}");
            if first_alert(tx, c.id, &key, now).await? {
                dropouts += 1;
                let end = (start..half_days.len())
                    .take_while(|i| flags[*i])
                    .last()
                    .unwrap_or(start);
                let facts = json!({
                    "from": format!("{} ({first_half})", fr_date(first_day)),
                    "half_days": end + 1 - start,
                    "streak": streak,
                });
                send_alert(ctx, tx, c, "dropout_alert", &key, facts, now).await?;
            }
        }
    }
    Ok(format!(
        "{} contrat(s) : {warnings} alerte(s) de seuil, {dropouts} alerte(s) de décrochage",
        contracts.len()
    ))
}

/// An alert about a contract, to its tutor and to the school office.
async fn send_alert(
    ctx: &ApiContext,
    tx: &mut Tx,
    c: &ContractFrame,
    kind: &'static str,
    key: &str,
    facts: Value,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(contacts) = notices::contacts(tx, c.student_id, c.start_date).await? else {
        return Ok(());
    };
    let recipients = contacts.recipients(&[Audience::Tutor, Audience::Office]);
    for (audience, email, lang, name) in recipients {
        let mut context = facts.clone();
        context["audience"] = json!(audience);
        context["recipient_name"] = json!(name);
        context["student"] = json!({"name": contacts.student.name()});
        context["school"] = json!(contacts.school_name);
        context["academic_year"] = json!(c.academic_year);
        context["learner"] = json!(c.kind().learner());
        context["student_url"] = json!(format!("{}/students/{}", ctx.public_url, c.student_id));
        for field in [
            "missed_minutes",
            "planned_minutes",
            "absence_minutes",
            "excused_minutes",
        ] {
            if let Some(m) = facts[field].as_i64() {
                context[field.replace("_minutes", "")] = json!(hours_text(m, lang));
            }
        }
        let rendered = ctx.mail.render(kind, lang, &context)?;
        outbox::enqueue(
            tx,
            &mail_domain(ctx),
            &NewMail {
                kind,
                dedup_key: format!("{kind}:{}:{key}:{audience}", c.id),
                recipient: email,
                lang,
                rendered,
                reason: format!(
                    "{} — {} ({audience})",
                    match kind {
                        "dropout_alert" => "Alerte de décrochage",
                        _ => "Seuil d'absences franchi",
                    },
                    contacts.student.name()
                ),
                student_id: Some(c.student_id),
            },
            now,
        )
        .await?;
    }
    Ok(())
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
        let last: Option<(DateTime<Utc>, DateTime<Utc>, String)> = db_run!(&ctx.db, |pool| {
            sqlx::query_as(
            "SELECT due_at, ran_at, outcome FROM job_runs WHERE job = $1 ORDER BY due_at DESC LIMIT 1"
        )
        .bind(job.name())
        .fetch_optional(pool)
        .await
        })?;
        out.push(JobStatus {
            job,
            schedule: match job {
                Job::Digest => ctx.jobs.settings.digest_cron.clone(),
                Job::Reminder => ctx.jobs.settings.reminder_cron.clone(),
                Job::Alert => ctx.jobs.settings.alert_cron.clone(),
                Job::Certificates => ctx.jobs.settings.certificates_cron.clone(),
            },
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
