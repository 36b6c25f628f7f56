//! Absence notices acknowledged (issue 19, point 2; Article 4 of the convention: an absence
//! is reported to the company). Each notice mailed to a tutor is recorded with the mail
//! ([`record_notice`], in the notice's transaction); the tutor concerned or a contact of the
//! contract's company acknowledges it once, from the page, the API or the mail's signed link;
//! the first acknowledgement stands. The office's digest lists those left waiting
//! ([`crate::domain::acknowledgement`]) and the audit bundle carries them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::access;
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::acknowledgements::{self as rows, NewNotice, NoticeContract, NoticeRow};
use crate::db::{self, Tx};
use crate::domain::mail_link::{self, LinkRefusal};
use crate::domain::roles::Role;
use crate::error::{AppError, AppResult};
use crate::format;

/// Who acknowledged a notice.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AcknowledgedBy {
    /// The account's id.
    pub id: i64,
    pub name: String,
    /// `tutor` or `company`.
    pub role: String,
}

/// An absence notice sent to a tutor, and its acknowledgement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AbsenceNotice {
    pub id: i64,
    pub student_id: i64,
    pub contract_id: i64,
    /// The day of the absences.
    pub day: NaiveDate,
    /// `notice` (new absences) or `correction` (a told absence changed).
    pub kind: String,
    /// What the mail said, one session after another: « Absence 08:30–12:00 Réseaux
    /// (3 h 30) ».
    pub sessions: String,
    /// Hours missed that day, as the mail wrote them (« 3 h 30 »).
    pub hours: String,
    pub minutes_missed: i64,
    pub tutor_id: i64,
    pub tutor_name: String,
    pub company_name: String,
    pub sent_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<AcknowledgedBy>,
}

impl From<NoticeRow> for AbsenceNotice {
    fn from(r: NoticeRow) -> Self {
        let acknowledged_by = r.acknowledged_by.map(|id| AcknowledgedBy {
            id,
            name: r.acknowledged_by_name.clone().unwrap_or_default(),
            role: r.acknowledged_by_role.clone().unwrap_or_default(),
        });
        AbsenceNotice {
            id: r.id,
            student_id: r.student_id,
            contract_id: r.contract_id,
            day: r.day,
            kind: r.kind,
            sessions: r.summary,
            hours: format::hours(r.minutes_missed),
            minutes_missed: r.minutes_missed,
            tutor_id: r.tutor_id,
            tutor_name: r.tutor_name,
            company_name: r.company_name,
            sent_at: r.sent_at,
            acknowledged_at: r.acknowledged_at,
            acknowledged_by,
        }
    }
}

impl AbsenceNotice {
    /// « Pris connaissance par Jean Dupont le 04/11/2026 à 09:12 » (Paris time).
    pub fn acknowledgement_fr(&self) -> Option<String> {
        let at = self.acknowledged_at?;
        let who = self
            .acknowledged_by
            .as_ref()
            .map(|b| b.name.clone())
            .unwrap_or_default();
        Some(format!(
            "Pris connaissance par {who} le {}",
            format::paris_at(at)
        ))
    }

    /// The same in English.
    pub fn acknowledgement_en(&self) -> Option<String> {
        let at = self.acknowledged_at?;
        let who = self
            .acknowledged_by
            .as_ref()
            .map(|b| b.name.clone())
            .unwrap_or_default();
        Some(format!(
            "Acknowledged by {who} on {}",
            at.with_timezone(&chrono_tz::Europe::Paris)
                .format("%d/%m/%Y at %H:%M")
        ))
    }
}

/// The page a notice's mail links to (the signed link is bound to this path).
pub fn acknowledge_path(id: i64) -> String {
    format!("/absence-notices/{id}/acknowledge")
}

/// The contract (and tutor) a notice of `student`'s `day` goes out under.
pub async fn notice_contract(
    tx: &mut Tx,
    student_id: i64,
    day: NaiveDate,
) -> Result<Option<NoticeContract>, sqlx::Error> {
    rows::notice_contract(tx, student_id, day).await
}

/// « Absence 08:30–12:00 Réseaux (3 h 30) ; Retard 13:30–17:00 … »: a notice's lines
/// ([`crate::notices`]) in one line.
pub fn summary(lines: &[Value]) -> String {
    lines
        .iter()
        .map(|l| {
            format!(
                "{} {} {} ({})",
                l["status"].as_str().unwrap_or_default(),
                l["times"].as_str().unwrap_or_default(),
                l["module"].as_str().unwrap_or_default(),
                l["missed"].as_str().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(" ; ")
}

/// Records a notice about to be mailed to the tutor and answers its id and the link the
/// mail carries: signed for the tutor's account when they have one, else the plain page
/// behind login.
pub async fn record_notice(
    ctx: &ApiContext,
    tx: &mut Tx,
    contract: &NoticeContract,
    notice: &NewNotice<'_>,
    now: DateTime<Utc>,
) -> Result<(i64, String), sqlx::Error> {
    let id = rows::insert(tx, notice, now).await?;
    let path = acknowledge_path(id);
    let url = match contract.tutor_user_id {
        Some(user) => ctx.mail_link(user, &path),
        None => format!("{}{path}", ctx.public_url),
    };
    Ok((id, url))
}

/// Ties the record to its mail (or drops it when the mail was queued already).
pub async fn notice_mailed(
    tx: &mut Tx,
    id: i64,
    outbox_id: Option<i64>,
) -> Result<(), sqlx::Error> {
    rows::set_outbox(tx, id, outbox_id).await
}

/// A student's notices the caller may see: every one for the office and the student, those
/// of the days of their contracts for a tutor or a company contact; a student out of reach
/// does not exist (404).
pub async fn list(
    ctx: &ApiContext,
    caller: &Caller,
    student_id: i64,
) -> AppResult<Vec<AbsenceNotice>> {
    let reach = access::reach(&ctx.db, caller).await?;
    if !reach.knows(student_id) {
        return Err(AppError::NotFound);
    }
    let all = rows::of_student(&ctx.db, student_id).await?;
    Ok(all
        .into_iter()
        .filter(|n| reach.covers(student_id, n.day) && concerns(caller, n))
        .map(AbsenceNotice::from)
        .collect())
}

/// A tutor reads the notices sent to them; a company contact those of their company's
/// contracts (reach already keeps the days).
fn concerns(caller: &Caller, n: &NoticeRow) -> bool {
    match caller.role {
        Role::Tutor => caller.tutor_id == Some(n.tutor_id),
        Role::Company => caller.company_id == Some(n.company_id),
        _ => true,
    }
}

/// Who may acknowledge: the notice's tutor and a contact of the contract's company. Others
/// of those roles do not see it (404); the office, teachers and students may not (403).
fn may_acknowledge(
    role: Role,
    tutor_id: Option<i64>,
    company_id: Option<i64>,
    n: &NoticeRow,
) -> AppResult<()> {
    match role {
        Role::Tutor if tutor_id == Some(n.tutor_id) => Ok(()),
        Role::Company if company_id == Some(n.company_id) => Ok(()),
        Role::Tutor | Role::Company => Err(AppError::NotFound),
        Role::Admin | Role::Teacher | Role::Student => Err(AppError::Forbidden),
    }
}

/// Records the caller's acknowledgement; answers whether this call recorded it (`false`:
/// it was acknowledged before, and that first acknowledgement is unchanged) and the notice.
pub async fn acknowledge(
    ctx: &ApiContext,
    caller: &Caller,
    id: i64,
) -> AppResult<(bool, AbsenceNotice)> {
    if matches!(caller.role, Role::Admin | Role::Teacher | Role::Student) {
        return Err(AppError::Forbidden);
    }
    let notice = rows::one(&ctx.db, id).await?.ok_or(AppError::NotFound)?;
    may_acknowledge(caller.role, caller.tutor_id, caller.company_id, &notice)?;
    record(ctx, caller.id, id).await
}

async fn record(ctx: &ApiContext, user_id: i64, id: i64) -> AppResult<(bool, AbsenceNotice)> {
    let mut tx = ctx.db.begin_write().await?;
    let recorded = rows::acknowledge(&mut tx, id, user_id, ctx.clock.now()).await?;
    tx.commit().await?;
    let notice = rows::one(&ctx.db, id).await?.ok_or(AppError::NotFound)?;
    Ok((recorded, notice.into()))
}

/// Why a mail's acknowledgement link does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    Tampered,
    Expired,
    /// The account is deactivated, or not the notice's tutor or company any more.
    Refused,
}

/// The account a mail's link speaks for and the notice, when the link is good for this
/// notice's page and the account may acknowledge it.
pub async fn by_link(
    ctx: &ApiContext,
    id: i64,
    token: &str,
) -> AppResult<Result<(i64, AbsenceNotice), LinkProblem>> {
    let user = match mail_link::verify(
        &ctx.mail_link_secret,
        token,
        &acknowledge_path(id),
        ctx.clock.now(),
    ) {
        Ok(user) => user,
        Err(LinkRefusal::Tampered) => return Ok(Err(LinkProblem::Tampered)),
        Err(LinkRefusal::Expired) => return Ok(Err(LinkProblem::Expired)),
    };
    let Some(account) = rows::active_account(&ctx.db, user).await? else {
        return Ok(Err(LinkProblem::Refused));
    };
    let Some(notice) = rows::one(&ctx.db, id).await? else {
        return Ok(Err(LinkProblem::Refused));
    };
    let Ok(role) = account.role.parse::<Role>() else {
        return Ok(Err(LinkProblem::Refused));
    };
    if may_acknowledge(role, account.tutor_id, account.company_id, &notice).is_err() {
        return Ok(Err(LinkProblem::Refused));
    }
    Ok(Ok((account.id, notice.into())))
}

/// Acknowledges through a mail's link (the page's POST: a GET acknowledges nothing, so that
/// mail scanners opening links change nothing).
pub async fn acknowledge_by_link(
    ctx: &ApiContext,
    id: i64,
    token: &str,
) -> AppResult<Result<(bool, AbsenceNotice), LinkProblem>> {
    match by_link(ctx, id, token).await? {
        Ok((user, _)) => Ok(Ok(record(ctx, user, id).await?)),
        Err(problem) => Ok(Err(problem)),
    }
}

/// The notice for a signed-in caller's page (404 when they could not acknowledge it).
pub async fn for_page(ctx: &ApiContext, caller: &Caller, id: i64) -> AppResult<AbsenceNotice> {
    let notice = rows::one(&ctx.db, id).await?.ok_or(AppError::NotFound)?;
    may_acknowledge(caller.role, caller.tutor_id, caller.company_id, &notice)
        .map_err(|_| AppError::NotFound)?;
    Ok(notice.into())
}

/// A contract's notices with their acknowledgement, for the audit bundle.
pub async fn of_contract(ctx: &ApiContext, contract_id: i64) -> AppResult<Vec<AbsenceNotice>> {
    Ok(db::acknowledgements::of_contract(&ctx.db, contract_id)
        .await?
        .into_iter()
        .map(AbsenceNotice::from)
        .collect())
}

/// The notices still unacknowledged [`OVERDUE_AFTER`](crate::domain::acknowledgement::OVERDUE_AFTER)
/// working days after they were sent, for the office's digest of `today`; each tutor is
/// reminded once (the reminder is recorded in the digest's claimed transaction, and the
/// outbox's dedup key would refuse a second one anyway).
pub async fn overdue_and_remind(
    ctx: &ApiContext,
    tx: &mut Tx,
    today: NaiveDate,
    now: DateTime<Utc>,
    mail_domain: &str,
) -> anyhow::Result<Vec<Value>> {
    use crate::domain::acknowledgement::is_overdue;
    use crate::i18n::Lang;
    use crate::mail::MailKind;
    use crate::mail::outbox::{self, NewMail};
    use serde_json::json;

    let open = rows::open(tx).await?;
    let school = db::jobs::office(tx)
        .await?
        .map(|(name, _)| name)
        .unwrap_or_default();
    let mut listed = Vec::new();
    for n in open {
        let sent = format::paris_day(n.sent_at);
        if sent >= today {
            continue;
        }
        let holidays = rows::holidays(tx, n.calendar_id, sent, today).await?;
        if !is_overdue(sent, today, |d| holidays.contains(&d)) {
            continue;
        }
        let mut reminded = n.reminded_at.is_some();
        if !reminded && rows::mark_reminded(tx, n.id, now).await? {
            let lang = Lang::parse(&n.tutor_lang).unwrap_or_default();
            let path = acknowledge_path(n.id);
            let url = match n.tutor_user_id {
                Some(user) => ctx.mail_link(user, &path),
                None => format!("{}{path}", ctx.public_url),
            };
            let context = json!({
                "recipient_name": n.tutor_name,
                "student": n.student_name,
                "day": format::date(n.day),
                "sent": format::date(sent),
                "sessions": n.summary,
                "hours": format::hours(n.minutes_missed),
                "acknowledge_url": url,
                "school": school,
            });
            let kind = MailKind::AbsenceAckReminder.as_str();
            let rendered = ctx.mail.render(kind, lang, &context)?;
            let mail = outbox::enqueue_id(
                tx,
                mail_domain,
                &NewMail {
                    kind,
                    dedup_key: format!("absence_ack_reminder:{}", n.id),
                    recipient: n.tutor_email.clone(),
                    lang,
                    rendered,
                    reason: format!(
                        "Rappel : avis d’absence de {} du {} sans prise de connaissance (tuteur)",
                        n.student_name,
                        format::date(n.day)
                    ),
                    student_id: Some(n.student_id),
                },
                &[],
                now,
            )
            .await?;
            if let Some(mail) = mail {
                rows::set_reminder_outbox(tx, n.id, mail).await?;
            }
            reminded = true;
        }
        listed.push(json!({
            "id": n.id,
            "student": n.student_name,
            "tutor": n.tutor_name,
            "company": n.company_name,
            "day": format::date(n.day),
            "sent": format::date(sent),
            "reminded": reminded,
        }));
    }
    Ok(listed)
}
