//! Absence notices: a roll call that changes a student's absences schedules their day; once
//! the grace delay is over, the worker compares the day's marks with what earlier notices
//! said and queues one notice (and a correction, if a told absence changed) to the tutor, the
//! school office and the student.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::{Value, json};

use crate::app::ApiContext;
use crate::db::Tx;
use crate::domain::absence::{self, Mark};
use crate::domain::attendance::{Status, half_day_en, half_day_fr};
use crate::domain::hours::Minutes;
use crate::i18n::Lang;
use crate::mail::outbox::{self, NewMail};
use crate::{db_run, tx_run};

/// The statement that records, in the roll call's transaction, that these students' day
/// must be looked at again after the grace delay (a later change pushes it back). `values`
/// are `(student, day, due_at)` tuples of placeholders.
pub fn schedule_statement(values: &str) -> String {
    format!(
        "INSERT INTO absence_notice_due (student_id, day, due_at) VALUES {values} \
         ON CONFLICT (student_id, day) DO UPDATE SET due_at = excluded.due_at"
    )
}

/// Someone mail goes to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Person {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub lang: String,
}

impl Person {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    pub fn lang(&self) -> Lang {
        Lang::parse(&self.lang).unwrap_or_default()
    }
}

/// Who a mail about a student goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Tutor,
    Office,
    Student,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Tutor => "tutor",
            Audience::Office => "office",
            Audience::Student => "student",
        }
    }
}

/// One recipient: who they are to the student, address, language, name.
pub type Recipient = (&'static str, String, Lang, String);

/// Who hears about a student: the student, the tutor of the contract running on `day`, the
/// school office.
pub struct Contacts {
    pub student: Person,
    pub tutor: Option<Person>,
    pub office: Option<String>,
    pub school_name: String,
}

pub async fn contacts(
    tx: &mut Tx,
    student_id: i64,
    day: NaiveDate,
) -> Result<Option<Contacts>, sqlx::Error> {
    tx_run!(tx, |conn| {
        let student: Option<Person> =
            sqlx::query_as("SELECT first_name, last_name, email, lang FROM students WHERE id = $1")
                .bind(student_id)
                .fetch_optional(&mut *conn)
                .await?;
        let Some(student) = student else {
            return Ok(None);
        };
        // The tutor of the contract covering that day, and nobody else: another employer's
        // tutor has no business with this day (Article 5).
        let tutor: Option<Person> = sqlx::query_as(&format!(
            "SELECT t.first_name, t.last_name, t.email, t.lang FROM contracts c JOIN tutors t ON t.id = c.tutor_id \
             WHERE c.student_id = $1 AND {} ORDER BY c.start_date DESC LIMIT 1",
            crate::db::contracts::covers_day_sql("$2")
        ))
        .bind(student_id)
        .bind(day)
        .fetch_optional(&mut *conn)
        .await?;
        let school: Option<(String, String)> =
            sqlx::query_as("SELECT name, office_email FROM school WHERE id = 1")
                .fetch_optional(&mut *conn)
                .await?;
        let (school_name, office) = match school {
            Some((name, email)) => (name, Some(email)),
            None => (String::new(), None),
        };
        Ok(Some(Contacts {
            student,
            tutor,
            office,
            school_name,
        }))
    })
}

impl Contacts {
    /// The recipients among `audiences` that exist, in that order (the office always reads
    /// French).
    pub fn recipients(&self, audiences: &[Audience]) -> Vec<Recipient> {
        audiences
            .iter()
            .filter_map(|a| match a {
                Audience::Tutor => self
                    .tutor
                    .as_ref()
                    .map(|t| (a.as_str(), t.email.clone(), t.lang(), t.name())),
                Audience::Office => self
                    .office
                    .as_ref()
                    .map(|o| (a.as_str(), o.clone(), Lang::Fr, self.school_name.clone())),
                Audience::Student => Some((
                    a.as_str(),
                    self.student.email.clone(),
                    self.student.lang(),
                    self.student.name(),
                )),
            })
            .collect()
    }
}

#[derive(Debug, sqlx::FromRow)]
struct DayMark {
    session_id: i64,
    starts_at: NaiveTime,
    ends_at: NaiveTime,
    module_name: String,
    status: String,
    minutes_missed: i64,
    excused_minutes: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct Told {
    session_id: i64,
    status: String,
    minutes_missed: i64,
    excused_minutes: i64,
}

fn mark(status: &str, minutes_missed: i64, excused_minutes: i64) -> Mark {
    Mark {
        status: Status::parse(status).unwrap_or(Status::Absent),
        minutes_missed,
        excused_minutes,
    }
}

/// Hours in the reader's language: « 3 h 30 » / « 3h30 ».
pub fn hours_text(minutes: i64, lang: Lang) -> String {
    match lang {
        Lang::Fr => Minutes::from(minutes).fmt_fr(),
        Lang::En => format!("{}h{:02}", minutes / 60, minutes % 60),
    }
}

pub fn status_text(status: Status, lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => status.label_fr(),
        Lang::En => status.label_en(),
    }
}

/// One session line of a notice, in the reader's language.
fn line(day: NaiveDate, m: &DayMark, shown: Mark, lang: Lang) -> Value {
    let session_minutes = (m.ends_at - m.starts_at).num_minutes().max(0);
    let missed = absence::missed_minutes(shown, session_minutes);
    let excused = shown.excused(session_minutes);
    json!({
        "date": day.format("%d/%m/%Y").to_string(),
        "half_day": match lang { Lang::Fr => half_day_fr(m.starts_at), Lang::En => half_day_en(m.starts_at) },
        "module": m.module_name,
        "times": format!("{}–{}", m.starts_at.format("%H:%M"), m.ends_at.format("%H:%M")),
        "status": status_text(shown.status, lang),
        "missed": hours_text(missed, lang),
        "missed_minutes": missed,
        "justified": excused > 0 && excused == missed,
        "partly_justified": excused > 0 && excused < missed,
        "excused": hours_text(excused, lang),
    })
}

/// Handles the student-days whose grace delay is over; answers how many were handled.
pub async fn process_due(ctx: &ApiContext, limit: usize) -> anyhow::Result<usize> {
    let mut handled = 0;
    while handled < limit {
        let now = ctx.clock.now();
        // A read first: an idle worker must not take SQLite's write lock every second.
        let any: Option<i64> = db_run!(&ctx.db, |pool| sqlx::query_scalar(
            "SELECT student_id FROM absence_notice_due WHERE due_at <= $1 LIMIT 1"
        )
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        if any.is_none() {
            break;
        }
        let mut tx = ctx.db.begin_write().await?;
        let sql = format!(
            "SELECT student_id, day, due_at FROM absence_notice_due WHERE due_at <= $1 \
             ORDER BY due_at, student_id LIMIT 1{}",
            tx.skip_locked()
        );
        let due: Option<(i64, NaiveDate, DateTime<Utc>)> = tx_run!(&mut tx, |conn| {
            sqlx::query_as(&sql)
                .bind(now)
                .fetch_optional(&mut *conn)
                .await
        })?;
        let Some((student_id, day, due_at)) = due else {
            break;
        };
        notify_day(ctx, &mut tx, student_id, day, due_at, now).await?;
        tx_run!(&mut tx, |conn| sqlx::query(
            "DELETE FROM absence_notice_due WHERE student_id = $1 AND day = $2 AND due_at = $3"
        )
        .bind(student_id)
        .bind(day)
        .bind(due_at)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        handled += 1;
    }
    Ok(handled)
}

async fn notify_day(
    ctx: &ApiContext,
    tx: &mut Tx,
    student_id: i64,
    day: NaiveDate,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (marks, told): (Vec<DayMark>, Vec<Told>) = tx_run!(&mut *tx, |conn| {
        let marks = sqlx::query_as(
            "SELECT s.id AS session_id, s.starts_at, s.ends_at, m.name AS module_name, am.status, am.minutes_missed, am.excused_minutes \
             FROM attendance_marks am JOIN training_sessions s ON s.id = am.session_id \
             JOIN modules m ON m.id = s.module_id WHERE am.student_id = $1 AND s.day = $2 ORDER BY s.starts_at, s.id",
        )
        .bind(student_id)
        .bind(day)
        .fetch_all(&mut *conn)
        .await?;
        let told = sqlx::query_as(
            "SELECT n.session_id, n.status, n.minutes_missed, n.excused_minutes FROM absence_notified n \
             JOIN training_sessions s ON s.id = n.session_id WHERE n.student_id = $1 AND s.day = $2",
        )
        .bind(student_id)
        .bind(day)
        .fetch_all(&mut *conn)
        .await?;
        Ok::<_, sqlx::Error>((marks, told))
    })?;
    let current: Vec<(i64, Mark)> = marks
        .iter()
        .map(|m| {
            (
                m.session_id,
                mark(&m.status, m.minutes_missed, m.excused_minutes),
            )
        })
        .collect();
    let told: Vec<(i64, Mark)> = told
        .iter()
        .map(|t| {
            (
                t.session_id,
                mark(&t.status, t.minutes_missed, t.excused_minutes),
            )
        })
        .collect();
    let plan = absence::plan_notice(&current, &told);
    if plan.is_empty() {
        return Ok(());
    }
    let Some(contacts) = contacts(tx, student_id, day).await? else {
        return Ok(());
    };
    let base = &ctx.public_url;
    let by_session = |id: i64| marks.iter().find(|m| m.session_id == id);
    let new_ids: Vec<String> = plan.new.iter().map(i64::to_string).collect();
    // What a document may still justify: absences, and late arrivals or early leaves not
    // excused yet.
    let unexcused: Vec<String> = plan
        .new
        .iter()
        .filter(|id| {
            current.iter().any(|(s, m)| {
                s == *id
                    && (m.status == Status::Absent
                        || (m.status.counts_minutes() && m.excused_minutes < m.minutes_missed))
            })
        })
        .map(i64::to_string)
        .collect();
    let recipients = contacts.recipients(&[Audience::Tutor, Audience::Office, Audience::Student]);
    let domain = ctx.mail.from_address().email.domain().to_owned();
    let stamp = due_at.timestamp_micros();
    for (audience, email, lang, name) in &recipients {
        let common = |lines: Vec<Value>, total: i64| {
            json!({
                "audience": audience,
                "recipient_name": name,
                "student": {"name": contacts.student.name(), "first_name": contacts.student.first_name},
                "school": contacts.school_name,
                "day": day.format("%d/%m/%Y").to_string(),
                "lines": lines,
                "total": hours_text(total, *lang),
                "student_url": format!("{base}/students/{student_id}"),
                "justify_url": (!unexcused.is_empty()).then(|| format!("{base}/justifications/new?student={student_id}&sessions={}", unexcused.join(","))),
                "sessions": new_ids.join(","),
            })
        };
        let new_lines: Vec<Value> = plan
            .new
            .iter()
            .filter_map(|id| by_session(*id))
            .map(|m| {
                line(
                    day,
                    m,
                    mark(&m.status, m.minutes_missed, m.excused_minutes),
                    *lang,
                )
            })
            .collect();
        let corrected_lines: Vec<Value> = plan
            .corrections
            .iter()
            .filter_map(|c| by_session(c.session_id).map(|m| (c, m)))
            .map(|(c, m)| {
                let mut after = line(day, m, c.after, *lang);
                let before = line(day, m, c.before, *lang);
                after["before_status"] = before["status"].clone();
                after["before_missed"] = before["missed"].clone();
                after
            })
            .collect();
        let student_name = contacts.student.name();
        let when = day.format("%d/%m/%Y");
        for (kind, key, lines, reason) in [
            (
                "absence_notice",
                "absence",
                new_lines,
                format!("Absence de {student_name} le {when}"),
            ),
            (
                "absence_correction",
                "correction",
                corrected_lines,
                format!("Correction d'une absence de {student_name} le {when}"),
            ),
        ] {
            if lines.is_empty() {
                continue;
            }
            let total = lines
                .iter()
                .filter_map(|l| l["missed_minutes"].as_i64())
                .sum();
            let rendered = ctx.mail.render(kind, *lang, &common(lines, total))?;
            outbox::enqueue(
                tx,
                &domain,
                &NewMail {
                    kind,
                    dedup_key: format!("{key}:{student_id}:{day}:{stamp}:{audience}"),
                    recipient: email.clone(),
                    lang: *lang,
                    rendered,
                    reason: format!("{reason} ({})", audience_fr(audience)),
                    student_id: Some(student_id),
                },
                now,
            )
            .await?;
        }
    }
    // What the recipients now know.
    for &(session, m) in &current {
        let known = told.iter().any(|(s, _)| *s == session);
        if absence::is_reported(m.status) || known {
            remember(tx, session, student_id, m, now).await?;
        }
    }
    Ok(())
}

fn audience_fr(audience: &str) -> &'static str {
    match audience {
        "tutor" => "tuteur",
        "office" => "école",
        _ => "copie à l'alternant·e",
    }
}

/// Records what the recipients were told of a mark (also when a justification excuses it,
/// so that no correction follows the decision mail).
pub async fn remember(
    tx: &mut Tx,
    session_id: i64,
    student_id: i64,
    m: Mark,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    tx_run!(tx, |conn| sqlx::query(
        "INSERT INTO absence_notified (session_id, student_id, status, minutes_missed, excused_minutes, notified_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id, student_id) DO UPDATE SET \
         status = excluded.status, minutes_missed = excluded.minutes_missed, \
         excused_minutes = excluded.excused_minutes, notified_at = excluded.notified_at",
    )
    .bind(session_id)
    .bind(student_id)
    .bind(m.status.as_str())
    .bind(m.minutes_missed)
    .bind(m.excused_minutes)
    .bind(now)
    .execute(&mut *conn)
    .await.map(|r| r.rows_affected()))
    .map(|_| ())
}
