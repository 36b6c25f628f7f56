//! The finance pages (admin): a year's billing with its exports, one contract's statement
//! with its terminations, and the form that records a termination or a withdrawal.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use minijinja::{Value, context};
use serde::Deserialize;

use super::pages::{PageResult, show};
use super::{AdminViewer, CsrfForm, Viewer, ser};
use crate::app::ApiContext;
use crate::billing::{self, SemesterStatement, Statement};
use crate::certificates::Issuer;
use crate::domain::text::date_fr;
use crate::error::{AppError, FieldError};
use crate::format;
use crate::http::crud::Id;
use crate::i18n::Lang;
use crate::terminations::{self, TerminationInput};

/// « 4 500,00 € » that never wraps: a narrow no-break space between the thousands and a
/// no-break space before the sign ([`format::euros_with_sign`], as on the PDFs).
fn money(cents: i64) -> String {
    format::euros_with_sign(cents)
}

fn status_label(s: &SemesterStatement, lang: Lang) -> &'static str {
    match s.status {
        billing::StatementStatus::Provisional => lang.text("billing_provisional"),
        billing::StatementStatus::Final => lang.text("billing_final"),
        billing::StatementStatus::Cancelled => lang.text("billing_cancelled"),
    }
}

fn semester_view(s: &SemesterStatement, lang: Lang) -> Value {
    context! {
        semester => s.semester.as_str(),
        period => format!("{} – {}", date_fr(s.from), date_fr(s.to)),
        status => serde_json::to_value(s.status).ok().and_then(|v| v.as_str().map(str::to_owned)),
        status_label => status_label(s, lang),
        price => money(s.price_cents),
        hourly => format!("{}\u{a0}€/h", format::euros(s.hourly_value_cents)),
        planned => format::hours_of(s.planned_hours),
        scheduled => format::hours_of(s.scheduled_hours),
        attended => format::hours_of(s.attended_hours),
        absent => format::hours_of(s.absence_hours),
        excused => format::hours_of(s.excused_hours),
        before_agreement => format::hours_of(s.before_agreement_hours),
        unrecorded => format::hours_of(s.unrecorded_hours),
        due => money(s.due_cents),
        opco => money(s.opco_cents),
        company => money(s.company_cents),
        lines => s.lines.iter().map(|l| context! {
            payer => l.payer.as_str(),
            payer_label => match l.payer { crate::domain::billing::Payer::Opco => "OPCO", crate::domain::billing::Payer::Company => lang.text("company") },
            label => l.label.clone(),
            hours => format::hours_of(l.hours),
            amount => money(l.amount_cents),
            article => l.article.clone(),
            remainder => l.remainder,
        }).collect::<Vec<_>>(),
        notes => s.notes.clone(),
    }
}

fn statement_view(s: &Statement, lang: Lang) -> Value {
    context! {
        contract_id => s.contract_id,
        student_id => s.student_id,
        student => s.student_name(),
        company => s.company_name.clone(),
        company_siret => s.company_siret.clone(),
        opco => s.opco_name.clone(),
        main_payer => s.main_payer.as_str(),
        main_payer_reason => s.main_payer_reason.clone(),
        first_due => s.first_due_date.map(date_fr),
        termination => s.termination_date.map(date_fr),
        termination_reason => s.termination_reason.clone(),
        withdrawn => s.withdrawn,
        semesters => s.semesters.iter().map(|x| semester_view(x, lang)).collect::<Vec<_>>(),
        due => money(s.due_cents),
        opco_total => money(s.opco_cents),
        company_total => money(s.company_cents),
        rounding => s.rounding.clone(),
    }
}

#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<String>,
}

/// A year's billing: totals, the payers with their PDF, the CSV, and every contract.
pub async fn year_page(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let years: Vec<(i64, String)> = crate::db::years::all(&ctx.db)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|y| (y.id, y.name))
        .collect();
    let chosen = match q.year.as_deref().filter(|y| !y.is_empty()) {
        None => years.first().cloned(),
        Some(y) => Some(
            years
                .iter()
                .find(|(id, _)| id.to_string() == y)
                .cloned()
                .ok_or(AppError::NotFound)?,
        ),
    };
    let (statements, payers) = match &chosen {
        Some((id, _)) => {
            let statements = billing::year_statements(&ctx.db, *id, ctx.clock.now()).await?;
            let payers = billing::payers(*id, &statements);
            (statements, payers)
        }
        None => (Vec::new(), Vec::new()),
    };
    let sum = |g: fn(&Statement) -> i64| statements.iter().map(g).sum::<i64>();
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/billing.html",
        context! {
            years => years.iter().map(|(id, name)| context! { id, name => name.clone(), selected => chosen.as_ref().is_some_and(|c| c.0 == *id) }).collect::<Vec<_>>(),
            year => chosen.as_ref().map(|c| c.1.clone()),
            year_id => chosen.as_ref().map(|c| c.0),
            due => money(sum(|s| s.due_cents)),
            opco_total => money(sum(|s| s.opco_cents)),
            company_total => money(sum(|s| s.company_cents)),
            payers => payers.iter().map(|p| context! {
                payer => p.payer.as_str(), name => p.name.clone(), siret => p.siret.clone(),
                contracts => p.contracts, amount => money(p.amount_cents), pdf_url => p.pdf_url.clone(),
            }).collect::<Vec<_>>(),
            contracts => statements.iter().map(|s| context! {
                id => s.contract_id, student => s.student_name(), company => s.company_name.clone(),
                due => money(s.due_cents), opco => money(s.opco_cents), company_amount => money(s.company_cents),
                terminated => s.termination_date.map(date_fr),
                provisional => s.semesters.iter().any(|x| x.status == billing::StatementStatus::Provisional),
            }).collect::<Vec<_>>(),
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct RecordedQuery {
    recorded: Option<String>,
}

/// One contract's statement, its terminations and the termination form.
pub async fn contract_page(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    Id(id): Id,
    Query(q): Query<RecordedQuery>,
) -> PageResult {
    // Only a reference is echoed back, never arbitrary text.
    let recorded = q
        .recorded
        .filter(|r| r.len() < 40 && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    contract_page_with(&ctx, &viewer, id, recorded, Vec::new(), StatusCode::OK).await
}

async fn contract_page_with(
    ctx: &ApiContext,
    viewer: &Viewer,
    id: i64,
    recorded: Option<String>,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> PageResult {
    let lang = viewer.lang;
    let statement = billing::contract_statement(&ctx.db, id, ctx.clock.now()).await?;
    let records = crate::db::billing::terminations_of_contract(&ctx.db, id)
        .await
        .map_err(AppError::from)?;
    show(
        ctx,
        viewer,
        status,
        "pages/contract_billing.html",
        context! {
            s => statement_view(&statement, lang),
            recorded,
            errors => ser(errors),
            terminations => records.into_iter().map(|(tid, reference, date, reason, withdrawal)| context! {
                reference, date => date_fr(date), reason, withdrawal,
                opco_url => format!("/api/v1/terminations/{tid}/opco.pdf"),
                dreets_url => format!("/api/v1/terminations/{tid}/dreets.pdf"),
                statement_url => format!("/api/v1/terminations/{tid}/statement.pdf"),
            }).collect::<Vec<_>>(),
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct TerminationForm {
    date: String,
    reason: String,
    withdrawal: Option<String>,
    /// `1` once the office has read the summary: only then is anything saved or sent.
    confirm: Option<String>,
}

/// Records a termination from the contract's page.
pub async fn record_termination(
    State(ctx): State<ApiContext>,
    Id(id): Id,
    CsrfForm { viewer, form }: CsrfForm<TerminationForm, AdminViewer>,
) -> PageResult {
    let caller = viewer.caller.clone();
    let Ok(date) = form.date.parse() else {
        let errors = vec![FieldError::new("date", "date AAAA-MM-JJ attendue")];
        return contract_page_with(
            &ctx,
            &viewer,
            id,
            None,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let input = TerminationInput {
        date,
        reason: form.reason,
        withdrawal: form.withdrawal.is_some(),
    };
    // First the summary to confirm (nothing saved, nothing sent), then the record.
    let outcome = if form.confirm.as_deref() == Some("1") {
        terminations::record(
            &Issuer::from(&ctx),
            id,
            &input,
            Some(caller.id),
            ctx.clock.now(),
        )
        .await
        .map(|r| r.reference)
    } else {
        match terminations::preview(&ctx.db, id, &input, ctx.clock.now()).await {
            Ok(p) => return super::contract_page::confirm_termination(&ctx, &viewer, &p).await,
            Err(e) => Err(e),
        }
    };
    match outcome {
        Ok(reference) => Ok(axum::response::Redirect::to(&format!(
            "/contracts/{id}/billing?recorded={reference}"
        ))
        .into_response()),
        Err(AppError::Validation(errors)) => {
            contract_page_with(
                &ctx,
                &viewer,
                id,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict(message)) => {
            let errors = vec![FieldError::new("date", message)];
            contract_page_with(&ctx, &viewer, id, None, errors, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}
