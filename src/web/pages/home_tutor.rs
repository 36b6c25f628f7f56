//! The tutor's home: the students they follow through a contract, those of contracts still
//! running first, those of ended contracts (last year's) in a section below.

use axum::http::StatusCode;
use minijinja::{Value, context};

use super::semester_rows;
use super::{PageResult, show};
use crate::app::ApiContext;
use crate::attendance::hours as summary;
use crate::auth::Caller;
use crate::error::AppError;
use crate::web::Viewer;

pub(super) async fn page(ctx: &ApiContext, viewer: &Viewer, caller: &Caller) -> PageResult {
    let lang = viewer.lang;
    let today = ctx.clock.today();
    let reach = crate::access::reach(&ctx.db, caller).await?;
    let contracts =
        crate::db::contracts::tutor_contract_dates(&ctx.db, caller.tutor_id.unwrap_or(-1))
            .await
            .map_err(AppError::from)?;
    let livrets = crate::db::follow_ups::tutor_contracts(&ctx.db, caller.tutor_id.unwrap_or(-1))
        .await
        .map_err(AppError::from)?;
    let mut current: Vec<(String, Value)> = Vec::new();
    let mut ended: Vec<(String, Value)> = Vec::new();
    for id in reach.students().unwrap_or_default() {
        let s = summary::student_summary(ctx, caller, id, None).await?;
        let lines =
            crate::web::absences::absence_lines(ctx, id, &|day| reach.covers(id, day), lang)
                .await?;
        let to_justify: Vec<i64> = lines
            .iter()
            .filter(|l| l.get_attr("justifiable").is_ok_and(|v| v.is_true()))
            .filter_map(|l| {
                l.get_attr("session_id")
                    .ok()
                    .and_then(|v| i64::try_from(v).ok())
            })
            .collect();
        let name = format!("{} {}", s.first_name, s.last_name);
        let running = contracts
            .iter()
            .any(|(student, dates)| *student == id && dates.last_day() >= today);
        let block = context! {
            id,
            name => name.clone(),
            year => s.academic_year.clone(),
            semesters => semester_rows(&s.semesters, lang),
            to_justify => to_justify.len(),
            livrets => livrets.iter().filter(|(_, s)| *s == id).map(|(c, _)| *c).collect::<Vec<_>>(),
            justify_sessions => to_justify.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
        };
        if running {
            current.push((name, block));
        } else {
            ended.push((name, block));
        }
    }
    current.sort_by(|a, b| a.0.cmp(&b.0));
    ended.sort_by(|a, b| a.0.cmp(&b.0));
    let agenda = crate::web::feeds::block(ctx, caller, lang).await?;
    // The monthly absences statement of the company (issue 19).
    let company = match (caller.company_id, caller.tutor_id) {
        (Some(company), _) => Some(company),
        (None, Some(tutor)) => Some(
            crate::db::parties::tutor_company(&ctx.db, tutor)
                .await
                .map_err(AppError::from)?,
        ),
        (None, None) => None,
    };
    show(
        ctx,
        viewer,
        StatusCode::OK,
        "pages/tutor.html",
        context! {
            students => current.into_iter().map(|(_, b)| b).collect::<Vec<_>>(),
            ended => ended.into_iter().map(|(_, b)| b).collect::<Vec<_>>(),
            agenda,
            statements_url => company.map(|c| format!("/companies/{c}/statements")),
        },
    )
    .await
}
