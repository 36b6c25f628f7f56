//! The contract's « Livret de suivi » page (issue 19 point 3): the contract's header, the
//! form to add an entry (the school's side and the tutor), and the entries, newest first.
//! A company contact and the student read it. Same rules as the API
//! ([`crate::follow_ups`]).

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use minijinja::{Value, context};
use serde::Deserialize;

use crate::app::ApiContext;
use crate::domain::follow_up::{Access, FollowUpKind};
use crate::domain::text::date_fr;
use crate::error::AppError;
use crate::follow_ups::{self, FollowUpInput};
use crate::i18n::Lang;
use crate::web::pages::{PageResult, show};
use crate::web::{CsrfForm, Viewer};

pub fn router() -> Router<ApiContext> {
    Router::new().route("/contracts/{id}/livret", get(page).post(add))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EntryForm {
    kind: String,
    date: String,
    participants: String,
    topic: String,
    report: String,
}

fn contract_id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

async fn page(State(ctx): State<ApiContext>, viewer: Viewer, Path(id): Path<String>) -> PageResult {
    let saved = viewer.here.contains("saved=1");
    render(&ctx, &viewer, &id, EntryForm::default(), Vec::new(), saved).await
}

async fn add(
    State(ctx): State<ApiContext>,
    Path(id): Path<String>,
    form: CsrfForm<EntryForm>,
) -> PageResult {
    let CsrfForm { viewer, form } = form;
    let caller = viewer.require()?.clone();
    let contract = contract_id(&id)?;
    let input = FollowUpInput {
        kind: form.kind.clone(),
        date: form.date.clone(),
        participants: form.participants.clone(),
        topic: form.topic.clone(),
        report: form.report.clone(),
    };
    match follow_ups::record(
        &ctx.db,
        &caller,
        contract,
        &input,
        ctx.clock.now(),
        ctx.clock.today(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{contract}/livret?saved=1")).into_response()),
        Err(AppError::Validation(problems)) => {
            let errors = problems.into_iter().map(|p| (p.field, p.message)).collect();
            render(&ctx, &viewer, &id, form, errors, false).await
        }
        Err(e) => Err(e.into()),
    }
}

fn kind_label(kind: FollowUpKind, lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => kind.label_fr(),
        Lang::En => kind.label_en(),
    }
}

async fn render(
    ctx: &ApiContext,
    viewer: &Viewer,
    id: &str,
    form: EntryForm,
    errors: Vec<(String, String)>,
    saved: bool,
) -> PageResult {
    let caller = viewer.require()?;
    let lang = viewer.lang;
    let livret = follow_ups::open(&ctx.db, caller, contract_id(id)?).await?;
    let c = &livret.contract;
    let entries: Vec<Value> = follow_ups::entries(&ctx.db, c.id)
        .await?
        .into_iter()
        .map(|e| {
            let kind = FollowUpKind::parse(&e.kind).map(|k| kind_label(k, lang));
            context! {
                id => e.id,
                date => date_fr(e.date),
                kind,
                participants => e.participants,
                topic => e.topic,
                report => e.report,
                by => e.recorded_by_name,
                at => crate::format::paris_minute(e.recorded_at),
            }
        })
        .collect();
    let error_of: HashMap<String, String> = errors.iter().cloned().collect();
    let kinds: Vec<Value> = FollowUpKind::ALL
        .into_iter()
        .map(|k| {
            context! {
                value => k.as_str(),
                label => kind_label(k, lang),
                selected => form.kind == k.as_str(),
            }
        })
        .collect();
    let dates = format!(
        "{} – {}{}",
        date_fr(c.start_date),
        date_fr(c.end_date),
        c.termination_date
            .map(|t| format!(" ({} {})", lang.text("fu_terminated"), date_fr(t)))
            .unwrap_or_default()
    );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    show(
        ctx,
        viewer,
        status,
        "pages/follow_ups.html",
        context! {
            id => c.id,
            student => c.student.clone(),
            learner => {
                let kind = crate::domain::contract_kind::ContractKind::of_stored(&c.kind);
                match lang {
                    Lang::Fr => kind.learner_capitalized(),
                    Lang::En => kind.learner_en(),
                }
            },
            company => c.company.clone(),
            tutor => c.tutor.clone(),
            programme => c.programme.clone(),
            dates,
            office => caller.role == crate::domain::roles::Role::Admin,
            can_record => livret.access == Access::Record,
            entries,
            kinds,
            form => context! {
                date => if form.date.is_empty() { ctx.clock.today().to_string() } else { form.date.clone() },
                participants => form.participants.clone(),
                topic => form.topic.clone(),
                report => form.report.clone(),
            },
            errors => crate::web::ser(&error_of),
            problem_count => errors.len(),
            saved,
            max => context! {
                participants => crate::domain::follow_up::PARTICIPANTS_MAX,
                topic => crate::domain::follow_up::TOPIC_MAX,
                report => crate::domain::follow_up::REPORT_MAX,
            },
        },
    )
    .await
}
