//! The office's home: what to do today (absences of the day, justifications waiting, roll
//! calls missing, certificates blocked), each item with a link to act, then the register's
//! totals and the audit's counts.

use axum::http::StatusCode;
use minijinja::{Value, context};

use super::{PageResult, show};
use crate::app::ApiContext;
use crate::attendance::audit::{self, AuditQuery};
use crate::auth::Caller;
use crate::dashboard::today::{self, TodayWork};
use crate::domain::text::date_fr;
use crate::error::AppError;
use crate::format;
use crate::i18n::Lang;
use crate::web::Viewer;
use crate::web::dashboard::counted as count;

fn times(a: chrono::NaiveTime, b: chrono::NaiveTime) -> String {
    format!("{}–{}", a.format("%H:%M"), b.format("%H:%M"))
}

/// The day's work as the template lists it.
fn today_view(w: &TodayWork, lang: Lang) -> Value {
    let absences: Vec<Value> = w
        .absences
        .iter()
        .map(|a| {
            let mut status = lang.text(&format!("status_{}", a.status)).to_owned();
            if a.status != "absent" && a.minutes_missed > 0 {
                status.push_str(&format!(" ({}\u{a0}min)", a.minutes_missed));
            }
            context! {
                student => a.student.clone(), student_url => format!("/students/{}", a.student_id),
                status, kind => a.status.clone(), justified => a.justified,
                session => format!("{}, {} {}, {} — {}", a.module, lang.text("group").to_lowercase(), a.group, times(a.starts_at, a.ends_at), a.teacher),
                session_url => format!("/sessions/{}", a.session_id),
            }
        })
        .collect();
    let justifications: Vec<Value> = w
        .justifications
        .iter()
        .map(|j| {
            context! {
                student => j.student.clone(), student_url => format!("/students/{}", j.student_id),
                submitted => format::paris_minute(j.submitted_at), reason => j.reason.clone(),
                url => format!("/justifications/{}", j.id),
            }
        })
        .collect();
    let missing: Vec<Value> = w
        .missing_roll_calls
        .iter()
        .map(|p| {
            let s = &p.session;
            context! {
                session => format!("{}, {}, {} {}", s.module_name, s.teacher_name, lang.text("group").to_lowercase(), s.group_name),
                when => format!("{} {}", date_fr(s.day), times(s.starts_at, s.ends_at)),
                marked => p.marked, roster => p.roster,
                url => format!("/sessions/{}", s.id),
            }
        })
        .collect();
    let blocked: Vec<Value> = w
        .blocked_certificates
        .iter()
        .map(|b| {
            context! {
                student => b.student.clone(), group => b.group.clone(), semester => b.semester.as_str(),
                reason => b.reason.clone(),
                contract_url => format!("/console/contracts/{}/overview", b.contract_id),
                sheets_url => b.since.map(|since| format!("/audit?from={since}&to={}#pending", w.day)),
                fix_url => b.field.as_deref().map(|f| if f.starts_with("school") {
                    "/console/school".to_owned()
                } else {
                    format!("/console/contracts/{}", b.contract_id)
                }),
                student_url => format!("/students/{}", b.student_id),
            }
        })
        .collect();
    let (absences_n, justifications_n, missing_n, blocked_n) = (
        w.absences.len(),
        w.justifications_total,
        w.missing_roll_calls_total,
        w.blocked_certificates.len(),
    );
    let summary = match lang {
        Lang::Fr => [
            count(lang, absences_n, "absence ou retard", "absences ou retards"),
            count(
                lang,
                justifications_n,
                "justificatif à examiner",
                "justificatifs à examiner",
            ),
            count(lang, missing_n, "appel manquant", "appels manquants"),
            count(
                lang,
                blocked_n,
                "attestation bloquée",
                "attestations bloquées",
            ),
        ],
        Lang::En => [
            count(
                lang,
                absences_n,
                "absence or late arrival",
                "absences or late arrivals",
            ),
            count(
                lang,
                justifications_n,
                "justification to review",
                "justifications to review",
            ),
            count(lang, missing_n, "missing roll call", "missing roll calls"),
            count(
                lang,
                blocked_n,
                "blocked certificate",
                "blocked certificates",
            ),
        ],
    };
    context! {
        day => date_fr(w.day),
        summary => summary.to_vec(),
        absences, justifications, missing, blocked,
        justifications_total => justifications_n,
        missing_total => missing_n,
        nothing => absences_n + justifications_n + missing_n + blocked_n == 0,
    }
}

pub(super) async fn page(ctx: &ApiContext, viewer: &Viewer, _caller: &Caller) -> PageResult {
    let lang = viewer.lang;
    let work = today::today(ctx).await?;
    let report = audit::report(
        ctx,
        &AuditQuery {
            from: None,
            to: None,
        },
    )
    .await?;
    let (weeks, no_contact) =
        crate::follow_ups::without_contact(&ctx.db, ctx.clock.today()).await?;
    let no_contact = context! {
        weeks => lang.count(weeks, "fu_weeks"),
        items => no_contact.iter().take(today::LIST_LIMIT).map(|c| context! {
            student => c.student.clone(), company => c.company.clone(),
            student_url => format!("/students/{}", c.student_id),
            url => format!("/contracts/{}/livret", c.contract_id),
            last => c.last_contact.map(date_fr),
        }).collect::<Vec<_>>(),
    };
    // Recorded sessions the timetable's sync could not touch (issue 20): the office decides.
    let timetable_flags = crate::timetable::flags(ctx, false).await?.len();
    let counts = crate::db::attendance_audit::totals(&ctx.db)
        .await
        .map_err(AppError::from)?;
    show(
        ctx,
        viewer,
        StatusCode::OK,
        "pages/admin.html",
        context! {
            today => today_view(&work, lang),
            no_contact,
            timetable_flags,
            timetable_flags_text => lang.count(i64::try_from(timetable_flags).unwrap_or(i64::MAX), "ttf_home_count"),
            totals => match lang {
                Lang::Fr => [
                    count(lang, usize::try_from(counts.0).unwrap_or(0), "contrat", "contrats"),
                    count(lang, usize::try_from(counts.1).unwrap_or(0), "séance", "séances"),
                    count(lang, usize::try_from(counts.2).unwrap_or(0), "présence enregistrée", "présences enregistrées"),
                ],
                Lang::En => [
                    count(lang, usize::try_from(counts.0).unwrap_or(0), "contract", "contracts"),
                    count(lang, usize::try_from(counts.1).unwrap_or(0), "session", "sessions"),
                    count(lang, usize::try_from(counts.2).unwrap_or(0), "recorded mark", "recorded marks"),
                ],
            }.to_vec(),
            pending => report.pending.len(), flags => report.flags.len(),
            from => date_fr(report.from), to => date_fr(report.to),
        },
    )
    .await
}
