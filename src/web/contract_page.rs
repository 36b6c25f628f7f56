//! One contract on one page: the parties (Articles 1 and 5), the semesters' hours as bars,
//! the absences with their justification, the certificates, and the links to billing and
//! exports.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use minijinja::{Value, context};

use crate::app::ApiContext;
use crate::attendance::hours as summary;
use crate::domain::text::date_fr;
use crate::error::AppError;
use crate::format;
use crate::http::contracts::Contracts;
use crate::http::crud;
use crate::http::parties::{Companies, Students, Tutors};
use crate::http::programmes::Programmes;
use crate::i18n::Lang;
use crate::terminations::TerminationPreview;
use crate::web::Viewer;
use crate::web::absences::absence_lines;
use crate::web::console::admin_record;
use crate::web::pages::{PageResult, semester_rows, show};

pub fn router() -> Router<ApiContext> {
    Router::new().route("/console/contracts/{id}/overview", get(overview))
}

fn share(value: f64, largest: f64) -> u32 {
    if largest <= 0.0 {
        0
    } else {
        ((value / largest) * 100.0).round().clamp(0.0, 100.0) as u32
    }
}

async fn overview(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let (caller, id) = admin_record(&viewer, &id)?;
    let lang = viewer.lang;
    let contract = crud::fetch::<Contracts>(&ctx.db, id).await?;
    let student = crud::fetch::<Students>(&ctx.db, contract.student_id).await?;
    let company = crud::fetch::<Companies>(&ctx.db, contract.company_id).await?;
    let tutor = crud::fetch::<Tutors>(&ctx.db, contract.tutor_id).await?;
    let programme = crud::fetch::<Programmes>(&ctx.db, contract.programme_id).await?;
    let school = crate::http::school::load(&ctx.db).await?;
    let summary = summary::student_summary(&ctx, &caller, contract.student_id, Some(id)).await?;
    let bars: Vec<Value> = summary
        .semesters
        .iter()
        .zip(semester_rows(&summary.semesters, lang))
        .map(|(s, row)| {
            let largest = [
                s.planned_hours,
                s.scheduled_hours,
                s.attended_hours + s.absence_hours + s.excused_hours,
            ]
            .into_iter()
            .fold(0.0, f64::max);
            context! {
                row,
                planned => share(s.planned_hours, largest),
                scheduled => share(s.scheduled_hours, largest),
                attended => share(s.attended_hours, largest),
                absence => share(s.absence_hours + s.excused_hours, largest),
                unscheduled => (s.unscheduled_hours > 0.0).then(|| {
                    format::hours_of(s.unscheduled_hours)
                }),
            }
        })
        .collect();
    let last_day = contract.termination_date.unwrap_or(contract.end_date);
    let absences = absence_lines(
        &ctx,
        contract.student_id,
        &|day| contract.start_date <= day && day <= last_day,
        lang,
    )
    .await?;
    let certificates = crate::db::contracts::certificates_of(&ctx.db, id)
        .await
        .map_err(AppError::from)?;
    let certificates: Vec<Value> = certificates
        .into_iter()
        .map(|c| {
            context! {
                kind => lang.text(&c.kind),
                semester => c.semester,
                issued => date_fr(c.issued_at.date_naive()),
                superseded => c.superseded_at.is_some(),
                url => format!("/api/v1/certificates/{}.pdf", c.number),
                number => c.number,
            }
        })
        .collect();
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/console_contract.html",
        context! {
            id,
            kind => contract.kind.clone(),
            school => school.map(|s| context! { name => s.name, address => s.address, siret => s.siret, signatory => format!("{}, {}", s.signatory_name, s.signatory_title) }),
            company => context! { id => company.id, name => company.legal_name, siret => company.siret, address => company.address,
                representative => format!("{} {}", company.representative_name, company.representative_role).trim().to_owned() },
            student => context! { id => student.id, name => format!("{} {}", student.first_name, student.last_name), email => student.email,
                birth => date_fr(student.birth_date), birth_place => student.birth_place },
            tutor => context! { name => format!("{} {}", tutor.first_name, tutor.last_name), function => tutor.function, email => tutor.email },
            programme => context! { name => format!("{} {}", programme.department, programme.department_name), qualification => programme.qualification, rncp => programme.rncp },
            dates => context! { start => date_fr(contract.start_date), end => date_fr(contract.end_date),
                defence => contract.defence_date.map(date_fr), termination => contract.termination_date.map(date_fr),
                termination_reason => contract.termination_reason.clone() },
            place => contract.place.clone(),
            money => context! { s9 => format::euros(contract.price_s9_cents), s10 => format::euros(contract.price_s10_cents),
                opco => contract.opco_name.clone(), subrogation => contract.subrogation },
            group_id => contract.group_id,
            bars,
            absences,
            certificates,
        },
    )
    .await
}

/// The summary a termination shows before anything is saved or sent: who, when and why,
/// the final statement's amounts and where the notices will go, with Confirmer / Annuler.
/// The form repeats the inputs with `confirm=1`; cancelling goes back to the billing page.
pub(super) async fn confirm_termination(
    ctx: &ApiContext,
    viewer: &Viewer,
    p: &TerminationPreview,
) -> PageResult {
    let lang = viewer.lang;
    let what = match (p.withdrawal, lang) {
        (false, Lang::Fr) => "la rupture anticipée",
        (true, Lang::Fr) => "le désistement",
        (false, Lang::En) => "the early termination",
        (true, Lang::En) => "the withdrawal",
    };
    let opco = format!("{} <{}>", p.opco_name, p.opco_email);
    let dreets = format!("DREETS <{}>", p.dreets_email);
    let summary = match lang {
        Lang::Fr => format!(
            "Vous allez déclarer {what} du contrat de {} ({}) au {}.",
            p.student,
            p.company,
            date_fr(p.date)
        ),
        Lang::En => format!(
            "You are about to declare {what} of {}’s contract ({}) on {}.",
            p.student,
            p.company,
            date_fr(p.date)
        ),
    };
    let mails = match lang {
        Lang::Fr => format!(
            "Les mails partiront à {opco} et à la {dreets}, avec l’avis et le relevé final (réf. {}).",
            p.reference
        ),
        Lang::En => format!(
            "The mails will go to {opco} and to the {dreets}, with the notice and the final statement (ref. {}).",
            p.reference
        ),
    };
    let money = match lang {
        Lang::Fr => format!(
            "Relevé final : {} dus ({} par l’OPCO, {} par l’entreprise) ; la facturation s’arrête à cette date (article 7).",
            format::euros_with_sign(p.due_cents),
            format::euros_with_sign(p.opco_cents),
            format::euros_with_sign(p.company_cents)
        ),
        Lang::En => format!(
            "Final statement: {} due ({} by the OPCO, {} by the company); billing stops on that date (Article 7).",
            format::euros_with_sign(p.due_cents),
            format::euros_with_sign(p.opco_cents),
            format::euros_with_sign(p.company_cents)
        ),
    };
    let correction = p.corrects_date.map(|d| match lang {
        Lang::Fr => format!("Elle remplace la rupture déjà déclarée au {}.", date_fr(d)),
        Lang::En => format!("It replaces the termination declared on {}.", date_fr(d)),
    });
    show(
        ctx,
        viewer,
        StatusCode::OK,
        "pages/termination_confirm.html",
        context! {
            id => p.contract_id,
            withdrawal => p.withdrawal,
            summary, mails, money, correction,
            reason => p.reason.clone(),
            date => p.date.to_string(),
            student => p.student.clone(),
        },
    )
    .await
}
