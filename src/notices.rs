//! Absence notices: a roll call that changes a student's absences schedules their day; once
//! the grace delay is over, the worker compares the day's marks with what earlier notices
//! said and queues one notice (and a correction, if a told absence changed) to the tutor, the
//! school office and the student.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::acknowledgements;
use crate::app::ApiContext;
use crate::db::acknowledgements::NewNotice;
use crate::db::notices::DayMark;
use crate::db::{self, Tx};
use crate::domain::absence::{self, Mark};
use crate::domain::attendance::{Status, half_day_en, half_day_fr};
use crate::domain::contract_kind::ContractKind;
use crate::domain::text;
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

/// One recipient: who they are to the student, address, language, name (empty for an
/// organisation such as the school office, which the mails greet « Madame, Monsieur, »).
pub type Recipient = (&'static str, String, Lang, String);

/// Who hears about a student: the student, the tutor of the contract running on `day`, the
/// school office.
pub struct Contacts {
    pub student: Person,
    pub tutor: Option<Person>,
    /// The tutor's record: their mails carry signed links ([`crate::mail::links`]).
    pub tutor_id: Option<i64>,
    pub office: Option<String>,
    pub school_name: String,
    /// The kind of the contract running on the day (« alternant·e » or « apprenti·e »).
    pub kind: ContractKind,
}

pub async fn contacts(
    tx: &mut Tx,
    student_id: i64,
    day: NaiveDate,
) -> Result<Option<Contacts>, sqlx::Error> {
    let Some(db::notices::ContactRows {
        student,
        tutor,
        tutor_id,
        contract_kind,
        school,
    }) = db::notices::contacts(tx, student_id, day).await?
    else {
        return Ok(None);
    };
    let kind = contract_kind
        .as_deref()
        .map(ContractKind::of_stored)
        .unwrap_or_default();
    let (school_name, office) = match school {
        Some((name, email)) => (name, Some(email)),
        None => (String::new(), None),
    };
    Ok(Some(Contacts {
        student,
        tutor,
        tutor_id,
        office,
        school_name,
        kind,
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
                    .map(|o| (a.as_str(), o.clone(), Lang::Fr, String::new())),
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

/// Hours as every document writes them, in both languages: « 3 h 30 » ([`format::hours`]).
pub fn hours_text(minutes: i64, _lang: Lang) -> String {
    format::hours(minutes)
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
        "date": format::date(day),
        "half_day": match lang { Lang::Fr => half_day_fr(m.starts_at), Lang::En => half_day_en(m.starts_at) },
        "module": m.module_name,
        "times": format!("{}–{}", m.starts_at.format("%H:%M"), m.ends_at.format("%H:%M")),
        "kind": shown.status.as_str(),
        "status": status_text(shown.status, lang),
        "minutes": shown.status.counts_minutes().then_some(missed),
        // « 20 min » under an hour, else « 1 h 20 ».
        "duration": if missed < 60 { format!("{missed}\u{a0}min") } else { format::hours(missed) },
        "teacher": m.teacher_name.trim(),
        "note": m.note.trim(),
        "missed": hours_text(missed, lang),
        "missed_minutes": missed,
        "justified": excused > 0 && excused == missed,
        "partly_justified": excused > 0 && excused < missed,
        "excused": hours_text(excused, lang),
    })
}

/// What happened on a day, as a notice names it: absences (also excused ones), late
/// arrivals and early leaves, with the minutes of the last two.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Happened {
    pub absent: bool,
    pub late_minutes: Option<i64>,
    pub left_early_minutes: Option<i64>,
}

impl Happened {
    /// From the lines of a notice ([`line`]'s `kind` and `minutes`).
    fn of(lines: &[Value]) -> Happened {
        let mut h = Happened::default();
        for l in lines {
            let minutes = l["minutes"].as_i64().unwrap_or(0);
            match l["kind"].as_str() {
                Some("late") => *h.late_minutes.get_or_insert(0) += minutes,
                Some("left_early") => *h.left_early_minutes.get_or_insert(0) += minutes,
                _ => h.absent = true,
            }
        }
        h
    }

    /// The events' names in order: « absence », « retard », « départ anticipé ».
    fn names(self, lang: Lang) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.absent {
            names.push(lang.pick("absence", "absence"));
        }
        if self.late_minutes.is_some() {
            names.push(lang.pick("retard", "late arrival"));
        }
        if self.left_early_minutes.is_some() {
            names.push(lang.pick("départ anticipé", "early departure"));
        }
        names
    }

    /// « 20 min » when one late arrival or one early leave is all that happened.
    fn minutes(self) -> Option<i64> {
        match (self.absent, self.late_minutes, self.left_early_minutes) {
            (false, Some(m), None) | (false, None, Some(m)) => Some(m),
            _ => None,
        }
    }

    /// The fields the notice templates read: `what` (« Retard »), `what_of` (« Retard
    /// d’Emma BLANC »), `your_what` (« Votre retard »), `reported` (« a été signalé »),
    /// `minutes_note` (« (20 min) »), and the three facts.
    pub fn fields(self, student: &str, lang: Lang) -> Value {
        let names = self.names(lang);
        let joined = join(&names, lang);
        let what = capitalize(&joined);
        let plural = names.len() > 1;
        let feminine = self.absent && !plural;
        let (what_of, your_what, reported) = match lang {
            Lang::Fr => (
                format!("{what} {}", text::de(student)),
                {
                    let yours: Vec<String> = names.iter().map(|n| format!("votre {n}")).collect();
                    let yours: Vec<&str> = yours.iter().map(String::as_str).collect();
                    capitalize(&join(&yours, lang))
                },
                match (plural, feminine) {
                    (true, _) => "ont été signalés",
                    (false, true) => "a été signalée",
                    (false, false) => "a été signalé",
                },
            ),
            Lang::En => (
                format!("{what} of {student}"),
                format!("Your {joined}"),
                if plural {
                    "have been reported"
                } else {
                    "has been reported"
                },
            ),
        };
        json!({
            "what": what,
            "what_of": what_of,
            "your_what": your_what,
            "reported": reported,
            "minutes_note": self.minutes().map(|m| format!("({m}\u{a0}min)")).unwrap_or_default(),
            "absent": self.absent,
            "late_minutes": self.late_minutes,
            "left_early_minutes": self.left_early_minutes,
        })
    }
}

/// « a », « a et b », « a, b et c » (« and » in English).
fn join(names: &[&str], lang: Lang) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} {} {last}", rest.join(", "), lang.pick("et", "and")),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
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
    // The contract the tutor's notices are recorded under, to be acknowledged (issue 19).
    let ack_contract = acknowledgements::notice_contract(tx, student_id, day).await?;
    let domain = ctx.mail.from_address().email.domain().to_owned();
    let stamp = due_at.timestamp_micros();
    for (audience, email, lang, name) in &recipients {
        let student_path = format!("/students/{student_id}");
        let student_url =
            crate::mail::links::link_for(ctx, tx, audience, contacts.tutor_id, &student_path)
                .await?;
        let common = |lines: Vec<Value>, total: i64| {
            json!({
                "audience": audience,
                "recipient_name": name,
                "student": {"name": contacts.student.name(), "first_name": contacts.student.first_name},
                "school": contacts.school_name,
                "day": format::date(day),
                "lines": lines,
                "total": hours_text(total, *lang),
                "student_url": student_url,
                "justify_url": (!unexcused.is_empty()).then(|| format!("{base}/justifications/new?student={student_id}&sessions={}", unexcused.join(","))),
                "sessions": new_ids.join(","),
                "learner": match lang { Lang::Fr => contacts.kind.learner(), Lang::En => contacts.kind.learner_en() },
                "all_justified": lines.iter().all(|l| l["justified"].as_bool() == Some(true)),
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
        let when = format::date(day);
        for (kind, key, lines) in [
            ("absence_notice", "absence", new_lines),
            ("absence_correction", "correction", corrected_lines),
        ] {
            if lines.is_empty() {
                continue;
            }
            let total = lines
                .iter()
                .filter_map(|l| l["missed_minutes"].as_i64())
                .sum();
            let happened = Happened::of(&lines);
            let what_of = happened.fields(&student_name, Lang::Fr)["what_of"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let reason = match kind {
                "absence_notice" => format!("{what_of} le {when}"),
                _ => format!("Correction : {what_of} le {when}"),
            };
            let recorded = match (&ack_contract, *audience) {
                (Some(contract), "tutor") => {
                    let summary = acknowledgements::summary(&lines);
                    let notice = NewNotice {
                        student_id,
                        contract_id: contract.contract_id,
                        tutor_id: contract.tutor_id,
                        day,
                        kind: if kind == "absence_notice" {
                            "notice"
                        } else {
                            "correction"
                        },
                        summary: &summary,
                        minutes_missed: total,
                    };
                    Some(acknowledgements::record_notice(ctx, tx, contract, &notice, now).await?)
                }
                _ => None,
            };
            let mut context = common(lines, total);
            if let (Some(map), Value::Object(fields)) = (
                context.as_object_mut(),
                happened.fields(&student_name, *lang),
            ) {
                map.extend(fields);
            }
            if let (Some(map), Some((_, url))) = (context.as_object_mut(), &recorded) {
                map.insert("acknowledge_url".to_owned(), Value::from(url.clone()));
            }
            let rendered = ctx.mail.render(kind, *lang, &context)?;
            let mail_id = outbox::enqueue_id(
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
                &[],
                now,
            )
            .await?;
            if let Some((notice, _)) = recorded {
                acknowledgements::notice_mailed(tx, notice, mail_id).await?;
            }
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
        _ => "copie à l’alternant·e",
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
