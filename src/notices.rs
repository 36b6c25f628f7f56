//! Absence notices: a roll call that changes a student's absences schedules their day; once
//! the grace delay is over, the worker compares the day's marks with what earlier notices
//! said and queues one notice (and a correction, if a told absence changed) to the tutor, the
//! school office and the student.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::app::ApiContext;
use crate::db::notices::DayMark;
use crate::db::{self, Tx};
use crate::domain::absence::{self, Mark};
use crate::domain::attendance::{Status, half_day_en, half_day_fr};
use crate::format;
use crate::i18n::Lang;
use crate::mail::outbox::{self, NewMail};

pub use crate::db::notices::{Person, schedule_statement};

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
    let Some((student, tutor, school)) = db::notices::contacts(tx, student_id, day).await? else {
        return Ok(None);
    };
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

fn mark(status: &str, minutes_missed: i64, excused_minutes: i64) -> Mark {
    Mark {
        status: Status::parse(status).unwrap_or(Status::Absent),
        minutes_missed,
        excused_minutes,
    }
}

/// Hours in the reader's language: « 3 h 30 » / « 3h30 » (kept under this name for its
/// callers).
pub use crate::format::hours_in as hours_text;

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
        "date": format::date(day),
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
        if !db::notices::any_due(&ctx.db, now).await? {
            break;
        }
        let mut tx = ctx.db.begin_write().await?;
        let Some((student_id, day, due_at)) = db::notices::next_due(&mut tx, now).await? else {
            break;
        };
        notify_day(ctx, &mut tx, student_id, day, due_at, now).await?;
        db::notices::delete_due(&mut tx, student_id, day, due_at).await?;
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
    let (marks, told) = db::notices::day_marks(tx, student_id, day).await?;
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
                "day": format::date(day),
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
    db::notices::remember(tx, session_id, student_id, m, now).await
}
