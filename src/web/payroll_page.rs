//! « Relevés mensuels des absences »: the page where the office, a company's contact or a
//! tutor picks a month and downloads its statement (PDF, CSV) through the API's routes,
//! which a logged-in browser reads with its session cookie. Access is the API's
//! ([`crate::payroll::scope_of`]).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use minijinja::context;
use serde::Deserialize;

use super::Viewer;
use super::pages::{PageResult, show};
use crate::app::ApiContext;
use crate::domain::payroll::Month;
use crate::error::AppError;
use crate::format;
use crate::http::crud::Id;
use crate::payroll;

#[derive(Deserialize)]
pub struct MonthForm {
    #[serde(default)]
    month: Option<String>,
}

pub async fn page(
    State(ctx): State<ApiContext>,
    viewer: Viewer,
    Id(id): Id,
    Query(form): Query<MonthForm>,
) -> PageResult {
    let caller = viewer.require()?.clone();
    payroll::scope_of(&ctx.db, &caller, id).await?;
    let (name, _) = crate::db::payroll::company(&ctx.db, id)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound)?;
    let now = ctx.clock.now();
    let (month, error) = match payroll::month_of(form.month.as_deref(), now) {
        Ok(m) => (m, None),
        Err(AppError::Validation(errors)) => (
            Month::of(format::paris_day(now)).previous(),
            errors.first().map(|e| e.message.clone()),
        ),
        Err(e) => return Err(e.into()),
    };
    let this = Month::of(format::paris_day(now));
    let mut recent = Vec::new();
    let mut m = this.previous();
    for _ in 0..12 {
        recent.push(context! {
            label => m.label_fr(),
            pdf => format!("/api/v1/companies/{id}/absences.pdf?month={}", m.key()),
            csv => format!("/api/v1/companies/{id}/absences.csv?month={}", m.key()),
        });
        m = m.previous();
    }
    show(
        &ctx,
        &viewer,
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "pages/payroll_statements.html",
        context! {
            company => name,
            company_id => id,
            month => month.key(),
            max_month => this.key(),
            month_label => month.label_fr(),
            error,
            pdf => format!("/api/v1/companies/{id}/absences.pdf?month={}", month.key()),
            csv => format!("/api/v1/companies/{id}/absences.csv?month={}", month.key()),
            recent,
        },
    )
    .await
}
