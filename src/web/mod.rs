//! Server-rendered pages (templates under `templates/`, compiled into the binary).

use std::sync::LazyLock;

use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use chrono::NaiveDate;
use minijinja::{Environment, context};
use serde::Serialize;

use crate::app::ApiContext;
use crate::db_run;
use crate::domain::text::date_fr;
use crate::error::{AppError, AppResult};

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        (
            "pages/layout.html",
            include_str!("../../templates/pages/layout.html"),
        ),
        (
            "pages/home.html",
            include_str!("../../templates/pages/home.html"),
        ),
    ] {
        // The templates are compiled in and covered by tests: a broken one fails the build's tests.
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "template rejected");
        }
    }
    env
});

pub fn render(name: &str, ctx: minijinja::Value) -> AppResult<Html<String>> {
    let template = TEMPLATES
        .get_template(name)
        .map_err(|e| AppError::Internal(e.into()))?;
    template
        .render(ctx)
        .map(Html)
        .map_err(|e| AppError::Internal(e.into()))
}

pub fn router() -> Router<ApiContext> {
    Router::new().route("/", get(home))
}

#[derive(Serialize)]
struct YearLine {
    name: String,
    starts_on: String,
    ends_on: String,
}

#[derive(Serialize, sqlx::FromRow)]
struct DemoAccount {
    email: String,
    role: String,
}

async fn home(State(ctx): State<ApiContext>) -> AppResult<Html<String>> {
    let school = crate::http::school::load(&ctx.db).await?;
    let years: Vec<(String, NaiveDate, NaiveDate)> = db_run!(&ctx.db, |pool| sqlx::query_as(
        "SELECT name, starts_on, ends_on FROM academic_years ORDER BY starts_on"
    )
    .fetch_all(pool)
    .await)?;
    let demo = crate::demo::is_loaded(&ctx.db).await?;
    let demo_accounts: Vec<DemoAccount> = if demo {
        db_run!(&ctx.db, |pool| sqlx::query_as(
            "SELECT email, role FROM users WHERE email LIKE '%@demo.test' ORDER BY role, email"
        )
        .fetch_all(pool)
        .await)?
    } else {
        Vec::new()
    };
    render(
        "pages/home.html",
        context! {
            lang => "fr",
            school_name => school.map(|s| s.name).unwrap_or_else(|| "établissement non configuré".to_owned()),
            years => minijinja::Value::from(minijinja::value::Serde(years.into_iter().map(|(name, from, to)| YearLine { name, starts_on: date_fr(from), ends_on: date_fr(to) }).collect::<Vec<_>>())),
            demo,
            demo_accounts => minijinja::Value::from(minijinja::value::Serde(&demo_accounts)),
        },
    )
}
