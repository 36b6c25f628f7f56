//! Justifications of absences (Article 4): a student or their tutor submits a reason and a
//! file for one or more absences; an admin accepts (the absences become `excused`) or
//! refuses; the student and the tutor are told by mail.

use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::access;
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::Db;
use crate::domain::absence::Mark;
use crate::domain::attendance::{Status, half_day_en, half_day_fr};
use crate::domain::reach::Reach;
use crate::domain::roles::Role;
use crate::domain::text;
use crate::error::{AppError, AppResult, FieldError};
use crate::http::crud::Id;
use crate::http::extract::{Admin, ApiJson, ApiQuery};
use crate::i18n::Lang;
use crate::mail::outbox::{self, NewMail};
use crate::notices::{self, Audience, hours_text};
use crate::{db_run, tx_run};

/// Upper bound of a request carrying a justification, whatever the file limit is set to.
pub const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// The file types accepted, recognised by their first bytes (the declared type is ignored).
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", "pdf"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some(("image/jpeg", "jpg"))
    } else {
        None
    }
}

/// What a submission carries, from the API's multipart body or the web form.
#[derive(Debug, Default)]
pub struct Submission {
    pub student_id: Option<i64>,
    pub session_ids: Vec<i64>,
    pub reason: String,
    pub file: Option<Vec<u8>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JustifiedAbsence {
    pub session_id: i64,
    pub day: NaiveDate,
    #[schema(value_type = String, example = "08:30:00")]
    pub starts_at: NaiveTime,
    #[schema(value_type = String, example = "12:00:00")]
    pub ends_at: NaiveTime,
    pub module: String,
    /// The mark now (`excused` once accepted).
    pub status: Option<String>,
    /// A late arrival's or an early leave's minutes missed, and those excused (all of them
    /// once accepted).
    pub minutes_missed: i64,
    pub excused_minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Justification {
    pub id: i64,
    pub student_id: i64,
    pub student_name: String,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    pub reason: String,
    pub file_name: String,
    pub file_type: String,
    pub file_size: i64,
    pub file_sha256: String,
    /// `pending`, `accepted` or `refused`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_comment: String,
    pub absences: Vec<JustifiedAbsence>,
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: i64,
    student_id: i64,
    student_name: String,
    submitted_by: String,
    submitted_at: DateTime<Utc>,
    reason: String,
    file_name: String,
    file_type: String,
    file_size: i64,
    file_sha256: String,
    status: String,
    decided_by: Option<String>,
    decided_at: Option<DateTime<Utc>>,
    decision_comment: String,
}

const SELECT: &str = "SELECT j.id, j.student_id, st.first_name || ' ' || st.last_name AS student_name, \
    u.display_name AS submitted_by, j.submitted_at, j.reason, j.file_name, j.file_type, j.file_size, \
    j.file_sha256, j.status, d.display_name AS decided_by, j.decided_at, j.decision_comment \
    FROM justifications j JOIN students st ON st.id = j.student_id JOIN users u ON u.id = j.submitted_by \
    LEFT JOIN users d ON d.id = j.decided_by";

#[derive(Debug, sqlx::FromRow)]
struct AbsenceRow {
    justification_id: i64,
    session_id: i64,
    day: NaiveDate,
    starts_at: NaiveTime,
    ends_at: NaiveTime,
    module: String,
    status: Option<String>,
    minutes_missed: i64,
    excused_minutes: i64,
}

/// The absences of these justifications, in one query.
async fn absences_of(
    db: &Db,
    ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, Vec<JustifiedAbsence>>> {
    let mut by_justification: std::collections::HashMap<i64, Vec<JustifiedAbsence>> =
        std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(by_justification);
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT ja.justification_id, s.id AS session_id, s.day, s.starts_at, s.ends_at, m.name AS module, am.status, \
         COALESCE(am.minutes_missed, 0) AS minutes_missed, COALESCE(am.excused_minutes, 0) AS excused_minutes \
         FROM justification_absences ja JOIN justifications j ON j.id = ja.justification_id \
         JOIN training_sessions s ON s.id = ja.session_id JOIN modules m ON m.id = s.module_id \
         LEFT JOIN attendance_marks am ON am.session_id = s.id AND am.student_id = j.student_id \
         WHERE ja.justification_id IN ({}) ORDER BY s.day, s.starts_at",
        placeholders.join(", ")
    );
    let rows: Vec<AbsenceRow> = db_run!(db, |pool| {
        let mut q = sqlx::query_as(&sql);
        for id in ids {
            q = q.bind(id);
        }
        q.fetch_all(pool).await
    })?;
    for a in rows {
        by_justification
            .entry(a.justification_id)
            .or_default()
            .push(JustifiedAbsence {
                session_id: a.session_id,
                day: a.day,
                starts_at: a.starts_at,
                ends_at: a.ends_at,
                module: a.module,
                status: a.status,
                minutes_missed: a.minutes_missed,
                excused_minutes: a.excused_minutes,
            });
    }
    Ok(by_justification)
}

/// Rows with their absences.
async fn complete(db: &Db, rows: Vec<Row>) -> AppResult<Vec<Justification>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut absences = absences_of(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| Justification {
            absences: absences.remove(&r.id).unwrap_or_default(),
            id: r.id,
            student_id: r.student_id,
            student_name: r.student_name,
            submitted_by: r.submitted_by,
            submitted_at: r.submitted_at,
            reason: r.reason,
            file_name: r.file_name,
            file_type: r.file_type,
            file_size: r.file_size,
            file_sha256: r.file_sha256,
            status: r.status,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            decision_comment: r.decision_comment,
        })
        .collect())
}

/// Whose justifications the caller may see: a tutor, those whose every absence falls on the
/// days of one of their contracts (the file may hold health data of another employer's
/// period otherwise).
async fn reach(db: &Db, caller: &Caller) -> AppResult<Reach> {
    match caller.role {
        Role::Teacher => Err(AppError::Forbidden),
        _ => access::reach(db, caller).await,
    }
}

fn visible(reach: &Reach, j: &Justification) -> bool {
    reach.covers_all(j.student_id, j.absences.iter().map(|a| a.day))
}

/// One justification, if the caller may see it (404 otherwise).
pub async fn load(ctx: &ApiContext, caller: &Caller, id: i64) -> AppResult<Justification> {
    let reach = reach(&ctx.db, caller).await?;
    let row: Option<Row> = db_run!(&ctx.db, |pool| sqlx::query_as(&format!(
        "{SELECT} WHERE j.id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    let row = row.ok_or(AppError::NotFound)?;
    if !reach.knows(row.student_id) {
        return Err(AppError::NotFound);
    }
    let mut one = complete(&ctx.db, vec![row]).await?;
    one.pop()
        .filter(|j| visible(&reach, j))
        .ok_or(AppError::NotFound)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `pending`, `accepted` or `refused`.
    pub status: Option<String>,
    pub student_id: Option<i64>,
}

pub async fn list(
    ctx: &ApiContext,
    caller: &Caller,
    q: &ListQuery,
) -> AppResult<Vec<Justification>> {
    if let Some(s) = &q.status
        && !["pending", "accepted", "refused"].contains(&s.as_str())
    {
        return Err(AppError::field(
            "status",
            "attendu pending, accepted ou refused",
        ));
    }
    let reach = reach(&ctx.db, caller).await?;
    let rows: Vec<Row> = db_run!(&ctx.db, |pool| sqlx::query_as(&format!(
        "{SELECT} WHERE ($1 = '' OR j.status = $1) AND ($2 = 0 OR j.student_id = $2) \
         ORDER BY j.submitted_at DESC, j.id DESC LIMIT 500"
    ))
    .bind(q.status.clone().unwrap_or_default())
    .bind(q.student_id.unwrap_or(0))
    .fetch_all(pool)
    .await)?;
    let rows = rows
        .into_iter()
        .filter(|r| reach.knows(r.student_id))
        .collect();
    let mut all = complete(&ctx.db, rows).await?;
    all.retain(|j| visible(&reach, j));
    Ok(all)
}

/// Checks and stores a submission; answers its id. Nothing is written when anything is wrong.
pub async fn submit(ctx: &ApiContext, caller: &Caller, s: Submission) -> AppResult<i64> {
    let student_id = match (caller.role, s.student_id) {
        (Role::Student, None) => caller.student_id.ok_or(AppError::Forbidden)?,
        (Role::Student | Role::Tutor | Role::Admin, Some(id)) => id,
        (Role::Tutor | Role::Admin, None) => {
            return Err(AppError::field("student_id", "champ obligatoire"));
        }
        (Role::Teacher, _) => return Err(AppError::Forbidden),
    };
    let reach = access::reach(&ctx.db, caller).await?;
    if !reach.knows(student_id) {
        // Someone else's student does not exist for this caller.
        return Err(AppError::NotFound);
    }
    let mut problems: Vec<FieldError> = Vec::new();
    let reason = match text::multiline_required(&s.reason, 1000) {
        Ok(reason) => reason,
        Err(e) => {
            problems.push(FieldError::new("reason", e));
            String::new()
        }
    };
    let mut sessions = s.session_ids.clone();
    sessions.sort_unstable();
    sessions.dedup();
    if sessions.is_empty() {
        problems.push(FieldError::new(
            "session_ids",
            "indiquez au moins une séance d'absence",
        ));
    } else if sessions.len() > 60 {
        problems.push(FieldError::new("session_ids", "60 séances au plus"));
    }
    for session in &sessions {
        let mark: Option<(String, i64, i64, NaiveDate)> = db_run!(&ctx.db, |pool| {
            sqlx::query_as(
            "SELECT m.status, m.minutes_missed, m.excused_minutes, s.day FROM attendance_marks m \
             JOIN training_sessions s ON s.id = m.session_id WHERE m.session_id = $1 AND m.student_id = $2"
        )
        .bind(session)
        .bind(student_id)
        .fetch_optional(pool)
        .await
        })?;
        // What a document may justify: an absence, or the minutes of a late arrival or an
        // early leave not excused yet; a tutor, only on the days of their own contract.
        let justifiable = mark
            .filter(|(_, _, _, day)| reach.covers(student_id, *day))
            .is_some_and(|(status, missed, excused, _)| {
                status == "absent"
                    || (matches!(status.as_str(), "late" | "left_early") && excused < missed)
            });
        if !justifiable {
            problems.push(FieldError::new(
                "session_ids",
                format!(
                    "la séance {session} n'a ni absence, ni retard, ni départ anticipé à justifier pour cette personne"
                ),
            ));
            continue;
        }
        let covered: Option<i64> = db_run!(&ctx.db, |pool| {
            sqlx::query_scalar(
            "SELECT j.id FROM justification_absences ja JOIN justifications j ON j.id = ja.justification_id \
             WHERE ja.session_id = $1 AND j.student_id = $2 AND j.status = 'pending'"
        )
        .bind(session)
        .bind(student_id)
        .fetch_optional(pool)
        .await
        })?;
        if let Some(other) = covered {
            problems.push(FieldError::new(
                "session_ids",
                format!("la séance {session} a déjà un justificatif en attente (n° {other})"),
            ));
        }
    }
    let max = ctx.attendance.justification_max_bytes;
    let file = match s.file {
        None => {
            problems.push(FieldError::new(
                "file",
                "joignez le justificatif (PDF, PNG ou JPEG)",
            ));
            None
        }
        Some(bytes) if bytes.is_empty() => {
            problems.push(FieldError::new("file", "le fichier est vide"));
            None
        }
        Some(bytes) => Some(bytes),
    };
    if let Some(bytes) = &file {
        if bytes.len() as u64 > max {
            return Err(AppError::TooLarge(format!(
                "file : {} octets, {} au plus",
                bytes.len(),
                max
            )));
        }
        if sniff(bytes).is_none() {
            return Err(AppError::UnsupportedType(
                "file : seuls les PDF, PNG et JPEG sont acceptés".to_owned(),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    let bytes = file.unwrap_or_default();
    let (file_type, ext) = sniff(&bytes).unwrap_or(("application/octet-stream", "bin"));
    // The stored name is ours: a client's file name never reaches a path or a header raw.
    let file_name = format!("justificatif.{ext}");
    let hash = hex::encode(Sha256::digest(&bytes));
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin_write().await?;
    let id: i64 = tx_run!(&mut tx, |conn| {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO justifications (student_id, submitted_by, submitted_at, reason, file_name, file_type, \
             file_size, file_sha256, file_data, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending') RETURNING id",
        )
        .bind(student_id)
        .bind(caller.id)
        .bind(now)
        .bind(&reason)
        .bind(&file_name)
        .bind(file_type)
        .bind(bytes.len() as i64)
        .bind(&hash)
        .bind(&bytes)
        .fetch_one(&mut *conn)
        .await?;
        for session in &sessions {
            sqlx::query(
                "INSERT INTO justification_absences (justification_id, session_id) VALUES ($1, $2)",
            )
            .bind(id)
            .bind(session)
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, sqlx::Error>(id)
    })?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `accept` or `refuse`.
    pub decision: String,
    #[serde(default)]
    pub comment: String,
}

/// The admin's decision: accepting turns the absences into `excused`; both tell the student
/// and the tutor. All in one transaction.
pub async fn decide(
    ctx: &ApiContext,
    caller: &Caller,
    id: i64,
    input: &DecisionInput,
) -> AppResult<Justification> {
    if caller.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let accepted = match input.decision.as_str() {
        "accept" => true,
        "refuse" => false,
        _ => return Err(AppError::field("decision", "attendu accept ou refuse")),
    };
    let comment = text::multiline_optional(&input.comment, 1000)
        .map_err(|e| AppError::field("comment", e))?;
    if !accepted && comment.is_empty() {
        return Err(AppError::field(
            "comment",
            "dites à l'alternant·e pourquoi le justificatif est refusé",
        ));
    }
    let current = load(ctx, caller, id).await?;
    if current.status != "pending" {
        return Err(AppError::Conflict(format!(
            "justificatif n° {id} déjà traité ({})",
            current.status
        )));
    }
    let now = ctx.clock.now();
    let mut tx = ctx.db.begin_write().await?;
    let updated = tx_run!(&mut tx, |conn| {
        sqlx::query(
        "UPDATE justifications SET status = $2, decided_by = $3, decided_at = $4, decision_comment = $5 \
         WHERE id = $1 AND status = 'pending'"
    )
    .bind(id)
    .bind(if accepted { "accepted" } else { "refused" })
    .bind(caller.id)
    .bind(now)
    .bind(&comment)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected())
    })?;
    if updated != 1 {
        return Err(AppError::Conflict(format!(
            "justificatif n° {id} déjà traité"
        )));
    }
    let student = current.student_id;
    if accepted {
        let reason = format!("justificatif n° {id} accepté");
        for a in &current.absences {
            // Accepting excuses what is still missed: a whole absence becomes `excused`, a
            // late arrival or an early leave keeps its status with all its minutes excused.
            let Some(status) = a.status.as_deref().and_then(Status::parse) else {
                continue;
            };
            let after = match status {
                Status::Absent => Mark::new(Status::Excused, 0),
                Status::Late | Status::LeftEarly if a.excused_minutes < a.minutes_missed => Mark {
                    status,
                    minutes_missed: a.minutes_missed,
                    excused_minutes: a.minutes_missed,
                },
                _ => continue,
            };
            tx_run!(&mut tx, |conn| {
                sqlx::query(
                    "INSERT INTO attendance_history (session_id, student_id, old_status, old_minutes_missed, \
                     old_excused_minutes, old_note, new_status, new_minutes_missed, new_excused_minutes, new_note, \
                     source, changed_by, changed_at, reason) \
                     SELECT session_id, student_id, status, minutes_missed, excused_minutes, note, $3, $4, $5, note, \
                     'admin', $6, $7, $8 FROM attendance_marks WHERE session_id = $1 AND student_id = $2",
                )
                .bind(a.session_id)
                .bind(student)
                .bind(after.status.as_str())
                .bind(after.minutes_missed)
                .bind(after.excused_minutes)
                .bind(caller.id)
                .bind(now)
                .bind(&reason)
                .execute(&mut *conn)
                .await?;
                sqlx::query(
                    "UPDATE attendance_marks SET status = $3, minutes_missed = $4, excused_minutes = $5, \
                     source = 'admin', recorded_by = $6, recorded_at = $7 WHERE session_id = $1 AND student_id = $2",
                )
                .bind(a.session_id)
                .bind(student)
                .bind(after.status.as_str())
                .bind(after.minutes_missed)
                .bind(after.excused_minutes)
                .bind(caller.id)
                .bind(now)
                .execute(&mut *conn)
                .await
                .map(|_| ())
            })?;
            // The decision mail tells it: no correction notice follows. Only absences that
            // were already notified are remembered; the others will be notified as excused.
            let told: Option<i64> = tx_run!(&mut tx, |conn| {
                sqlx::query_scalar(
                "SELECT session_id FROM absence_notified WHERE session_id = $1 AND student_id = $2"
            )
            .bind(a.session_id)
            .bind(student)
            .fetch_optional(&mut *conn)
            .await
            })?;
            if told.is_some() {
                notices::remember(&mut tx, a.session_id, student, after, now).await?;
            }
        }
    }
    queue_decision_mails(ctx, &mut tx, &current, accepted, &comment, now).await?;
    tx.commit().await?;
    load(ctx, caller, id).await
}

async fn queue_decision_mails(
    ctx: &ApiContext,
    tx: &mut crate::db::Tx,
    j: &Justification,
    accepted: bool,
    comment: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let first_day = j
        .absences
        .first()
        .map(|a| a.day)
        .unwrap_or_else(|| ctx.clock.today());
    let Some(contacts) = notices::contacts(tx, j.student_id, first_day).await? else {
        return Ok(());
    };
    let recipients = contacts.recipients(&[Audience::Student, Audience::Tutor]);
    let domain = ctx.mail.from_address().email.domain().to_owned();
    for (audience, email, lang, name) in recipients {
        let lines: Vec<serde_json::Value> = j
            .absences
            .iter()
            .map(|a| {
                // What was missed: the whole session, or a late arrival's or early leave's minutes.
                let minutes = match a.status.as_deref().and_then(Status::parse) {
                    Some(s) if s.counts_minutes() => a.minutes_missed,
                    _ => (a.ends_at - a.starts_at).num_minutes(),
                };
                json!({
                    "date": a.day.format("%d/%m/%Y").to_string(),
                    "half_day": match lang { Lang::Fr => half_day_fr(a.starts_at), Lang::En => half_day_en(a.starts_at) },
                    "times": format!("{}–{}", a.starts_at.format("%H:%M"), a.ends_at.format("%H:%M")),
                    "module": a.module,
                    "missed": hours_text(minutes, lang),
                })
            })
            .collect();
        let context = json!({
            "audience": audience,
            "recipient_name": name,
            "accepted": accepted,
            "student": {"name": contacts.student.name()},
            "school": contacts.school_name,
            "submitted": j.submitted_at.with_timezone(&chrono_tz::Europe::Paris).format("%d/%m/%Y").to_string(),
            "lines": lines,
            "reason": j.reason,
            "comment": comment,
            "student_url": format!("{}/students/{}", ctx.public_url, j.student_id),
        });
        let rendered = ctx.mail.render("justification_decision", lang, &context)?;
        outbox::enqueue(
            tx,
            &domain,
            &NewMail {
                kind: "justification_decision",
                dedup_key: format!("decision:{}:{audience}", j.id),
                recipient: email,
                lang,
                rendered,
                reason: format!(
                    "Justificatif n° {} {} ({})",
                    j.id,
                    if accepted { "accepté" } else { "refusé" },
                    contacts.student.name()
                ),
                student_id: Some(j.student_id),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// Reads a multipart body into a submission and the form's CSRF token, if any; a file over
/// `max` bytes stops the reading.
pub async fn read_multipart(
    mut form: Multipart,
    max: u64,
) -> AppResult<(Submission, Option<String>)> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(format!("file : {max} octets au plus"))
        } else {
            AppError::BadRequest(format!("corps multipart/form-data illisible : {e}"))
        }
    };
    let mut s = Submission::default();
    let mut csrf = None;
    let mut problems = Vec::new();
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() as u64 > max {
                        return Err(AppError::TooLarge(format!("file : {max} octets au plus")));
                    }
                }
                s.file = Some(bytes);
            }
            "reason" => s.reason = field.text().await.map_err(bad)?,
            "student_id" => {
                let text = field.text().await.map_err(bad)?;
                match text.trim().parse() {
                    Ok(id) => s.student_id = Some(id),
                    Err(_) => problems.push(FieldError::new("student_id", "nombre entier attendu")),
                }
            }
            "session_ids" | "session_id" => {
                let text = field.text().await.map_err(bad)?;
                for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    match part.parse() {
                        Ok(id) => s.session_ids.push(id),
                        Err(_) => problems.push(FieldError::new(
                            "session_ids",
                            format!("« {part} » n'est pas un numéro de séance"),
                        )),
                    }
                }
            }
            "csrf" => csrf = Some(field.text().await.map_err(bad)?),
            other => problems.push(FieldError::new(other, "champ inconnu")),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Validation(problems));
    }
    Ok((s, csrf))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    pub id: i64,
    pub justification: Justification,
}

/// The form, as documented: `multipart/form-data`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SubmissionForm {
    /// Required for a tutor or an admin; a student submits for themselves.
    student_id: Option<i64>,
    /// Absent sessions justified, comma-separated or repeated.
    session_ids: String,
    reason: String,
    /// PDF, PNG or JPEG, 5 MB at most by default (`ASSIDU_JUSTIFICATION_MAX_BYTES`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Submits a justification of one or more absences with its file.
///
/// Rôle : student (les siennes), tutor (ses alternant·es), admin.
#[utoipa::path(post, path = "/justifications", tag = "justifications",
    request_body(content = SubmissionForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Submitted), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
        (status = 415, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_justification(
    caller: Caller,
    State(ctx): State<ApiContext>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<(axum::http::StatusCode, Json<Submitted>)> {
    if caller.role == Role::Teacher {
        return Err(AppError::Forbidden);
    }
    let form =
        form.map_err(|e| AppError::BadRequest(format!("corps multipart/form-data attendu : {e}")))?;
    let (submission, _) = read_multipart(form, ctx.attendance.justification_max_bytes).await?;
    let id = submit(&ctx, &caller, submission).await?;
    let justification = load(&ctx, &caller, id).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(Submitted { id, justification }),
    ))
}

/// Justifications the caller may see, newest first.
///
/// Rôle : admin (toutes), student (les siennes), tutor (ses alternant·es).
#[utoipa::path(get, path = "/justifications", tag = "justifications", params(ListQuery),
    responses((status = 200, body = Vec<Justification>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_justifications(
    caller: Caller,
    State(ctx): State<ApiContext>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<Vec<Justification>>> {
    Ok(Json(list(&ctx, &caller, &q).await?))
}

/// One justification; 404 for someone else's.
///
/// Rôle : admin, student (les siennes), tutor (ses alternant·es).
#[utoipa::path(get, path = "/justifications/{id}", tag = "justifications",
    params(("id" = i64, Path)),
    responses((status = 200, body = Justification), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_justification(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<Justification>> {
    Ok(Json(load(&ctx, &caller, id).await?))
}

/// The justification's file, as stored (downloaded, never shown inline).
///
/// Rôle : admin, student (les siennes), tutor (ses alternant·es).
#[utoipa::path(get, path = "/justifications/{id}/file", tag = "justifications",
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_file(
    caller: Caller,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Response> {
    let j = load(&ctx, &caller, id).await?;
    let bytes: Vec<u8> = db_run!(&ctx.db, |pool| sqlx::query_scalar(
        "SELECT file_data FROM justifications WHERE id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await)?;
    let ext = sniff(&bytes).map_or("bin", |(_, e)| e);
    let mut response = Response::new(Body::from(bytes));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&j.file_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"justificatif-{id}.{ext}\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(response)
}

/// Accepts (the absences become `excused`) or refuses (a comment is required) a pending
/// justification; the student and the tutor are told by mail.
///
/// Rôle : admin.
#[utoipa::path(post, path = "/justifications/{id}/decision", tag = "justifications",
    params(("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = Justification), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn post_decision(
    // Before the body: another role hears "forbidden", not what the body lacks.
    Admin(caller): Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
    ApiJson(input): ApiJson<DecisionInput>,
) -> AppResult<Json<Justification>> {
    Ok(Json(decide(&ctx, &caller, id, &input).await?))
}
