//! The company contact's home (issue 19, point 4): the company's current contracts with
//! this month's absences, the rate and what is left unjustified, the ended ones below, and
//! the billing statements addressed to the company. Same reading as
//! `GET /api/v1/companies/{id}/overview`.

use axum::http::StatusCode;
use minijinja::{Value, context};

use super::{PageResult, show};
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::company_overview::{CompanyContract, overview};
use crate::domain::contract_kind::ContractKind;
use crate::domain::text::date_fr;
use crate::error::AppError;
use crate::format;
use crate::i18n::Lang;
use crate::web::Viewer;

fn rate(r: Option<f64>, lang: Lang) -> Option<String> {
    r.map(|r| {
        let p = format!("{:.1}\u{a0}%", r * 100.0);
        if lang == Lang::Fr {
            p.replace('.', ",")
        } else {
            p
        }
    })
}

fn contract_view(c: &CompanyContract, lang: Lang) -> Value {
    let kind = ContractKind::of_stored(&c.kind);
    let learner = match lang {
        Lang::Fr => kind.learner_capitalized().to_owned(),
        Lang::En => {
            let word = kind.learner_en();
            let mut chars = word.chars();
            chars
                .next()
                .map(|f| f.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    };
    context! {
        contract_id => c.contract_id,
        student_id => c.student_id,
        name => format!("{} {}", c.student_first_name, c.student_last_name.to_uppercase()),
        learner,
        tutor => c.tutor_name.clone(),
        programme => c.programme.clone(),
        year => c.academic_year.clone(),
        dates => format!("{} – {}", date_fr(c.start_date), date_fr(c.last_day)),
        terminated => c.termination_date.map(date_fr),
        month_absences => format::hours_of(c.month_absence_hours),
        rate => rate(c.attendance_rate, lang),
        unjustified => c.unjustified,
        unjustified_text => lang.count(c.unjustified, "co_unjustified"),
    }
}

pub(super) async fn page(ctx: &ApiContext, viewer: &Viewer, caller: &Caller) -> PageResult {
    let lang = viewer.lang;
    let company = caller.company_id.ok_or(AppError::Forbidden)?;
    let o = overview(ctx, caller, company).await?;
    let month = match lang {
        Lang::Fr => format!("{} – {}", date_fr(o.month_from), date_fr(o.month_to)),
        Lang::En => format!("{} – {}", o.month_from, o.month_to),
    };
    show(
        ctx,
        viewer,
        StatusCode::OK,
        "pages/company.html",
        context! {
            company => o.legal_name.clone(),
            siret => o.siret.clone(),
            month,
            current => o.current.iter().map(|c| contract_view(c, lang)).collect::<Vec<_>>(),
            ended => o.ended.iter().map(|c| contract_view(c, lang)).collect::<Vec<_>>(),
            statements => o.statements.iter().map(|s| context! {
                year => s.academic_year.clone(),
                url => s.pdf_url.clone(),
            }).collect::<Vec<_>>(),
        },
    )
    .await
}
