//! User accounts in the console: list, create (the password shown once), deactivate,
//! reactivate, reset a password, change a role.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use minijinja::{Value, context};
use serde::Deserialize;

use crate::accounts::{self, Account};
use crate::app::ApiContext;
use crate::auth;
use crate::domain::roles::Role;
use crate::error::{AppError, FieldError};
use crate::format;
use crate::web::pages::{PageResult, show};
use crate::web::{AdminViewer, CsrfForm, Viewer, ser};

const PAGE_SIZE: i64 = 25;
const ROLES: [Role; 5] = Role::ALL;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/users", get(list))
        .route("/console/users/new", get(new_form).post(create))
        .route("/console/users/{id}", get(account))
        .route("/console/users/{id}/active", post(set_active))
        .route("/console/users/{id}/password", post(reset_password))
        .route("/console/users/{id}/role", post(change_role))
}

fn role_choices(viewer: &Viewer, selected: &str) -> Vec<Value> {
    ROLES
        .iter()
        .map(|r| {
            context! {
                value => r.as_str(),
                label => viewer.lang.text(&format!("role_{}", r.as_str())),
                selected => r.as_str() == selected,
            }
        })
        .collect()
}

fn shown(viewer: &Viewer, a: &Account) -> Value {
    context! {
        id => a.id,
        email => a.email.clone(),
        name => a.display_name.clone(),
        role => viewer.lang.text(&format!("role_{}", a.role)),
        active => a.active,
        created => format::date(a.created_at.date_naive()),
        link => a.link,
    }
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    page: Option<i64>,
}

async fn list(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let role = match query.role.as_str() {
        "" => None,
        r => Some(
            r.parse::<Role>()
                .map_err(|e| AppError::Validation(vec![FieldError::new("role", e)]))?,
        ),
    };
    let page = crate::web::page_number(query.page, 1)?;
    let (rows, total) =
        accounts::list(&ctx.db, &query.q, role, PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let link = |p: i64| {
        let pairs = [
            ("q", query.q.clone()),
            ("role", query.role.clone()),
            ("page", p.to_string()),
        ];
        format!(
            "/console/users?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let accounts: Vec<Value> = rows.iter().map(|a| shown(&viewer, a)).collect();
    show(
        &ctx,
        &viewer,
        StatusCode::OK,
        "pages/console_users.html",
        context! {
            accounts,
            total,
            page,
            pages,
            q => query.q.clone(),
            roles => role_choices(&viewer, &query.role),
            previous_url => (page > 1).then(|| link(page - 1)),
            next_url => (page < pages).then(|| link(page + 1)),
        },
    )
    .await
}

async fn new_form(State(ctx): State<ApiContext>, viewer: AdminViewer) -> PageResult {
    new_page(
        &ctx,
        &viewer,
        &NewAccount::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Default, Deserialize, serde::Serialize)]
struct NewAccount {
    csrf: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    link: String,
}

fn errors_by_field(problems: &[FieldError]) -> HashMap<String, String> {
    let mut by_field: HashMap<String, String> = HashMap::new();
    for p in problems {
        by_field
            .entry(p.field.clone())
            .and_modify(|m| {
                m.push_str(" ; ");
                m.push_str(&p.message);
            })
            .or_insert_with(|| p.message.clone());
    }
    by_field
}

async fn new_page(
    ctx: &ApiContext,
    viewer: &Viewer,
    form: &NewAccount,
    problems: Vec<FieldError>,
    status: StatusCode,
) -> PageResult {
    show(
        ctx,
        viewer,
        status,
        "pages/console_user_new.html",
        context! {
            form => ser(form),
            roles => role_choices(viewer, &form.role),
            errors => ser(errors_by_field(&problems)),
            problem_count => problems.len(),
        },
    )
    .await
}

async fn create(
    State(ctx): State<ApiContext>,
    CsrfForm { viewer, form }: CsrfForm<NewAccount, AdminViewer>,
) -> PageResult {
    let mut problems = Vec::new();
    let role = form
        .role
        .parse::<Role>()
        .map_err(|e| problems.push(FieldError::new("role", e)))
        .ok();
    let link = match form.link.trim() {
        "" => None,
        raw => raw
            .parse::<i64>()
            .map_err(|_| problems.push(FieldError::new("link", "numéro de fiche attendu")))
            .ok(),
    };
    let Some(role) = role.filter(|_| problems.is_empty()) else {
        return new_page(
            &ctx,
            &viewer,
            &form,
            problems,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let password = auth::generate_password();
    let name = Some(form.name.clone());
    let now = ctx.clock.now();
    match accounts::create_at(
        &ctx.db,
        role,
        &form.email,
        name,
        link,
        password.clone(),
        now,
    )
    .await
    {
        Ok(id) => {
            let account = accounts::find(&ctx.db, id).await?;
            account_page(
                &ctx,
                &viewer,
                &account,
                Some(password),
                Vec::new(),
                StatusCode::CREATED,
            )
            .await
        }
        Err(AppError::Validation(problems)) => {
            new_page(
                &ctx,
                &viewer,
                &form,
                problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn account_page(
    ctx: &ApiContext,
    viewer: &Viewer,
    account: &Account,
    password: Option<String>,
    problems: Vec<FieldError>,
    status: StatusCode,
) -> PageResult {
    let done = viewer
        .here
        .split_once("done=")
        .map(|(_, d)| d.split('&').next().unwrap_or("").to_owned());
    show(
        ctx,
        viewer,
        status,
        "pages/console_user.html",
        context! {
            account => shown(viewer, account),
            roles => role_choices(viewer, &account.role),
            password,
            errors => ser(errors_by_field(&problems)),
            problem_count => problems.len(),
            done => done.map(|d| viewer.lang.text(&format!("user_done_{d}")).to_owned()),
        },
    )
    .await
}

/// The record's id from the path: anything but a number is simply not found.
fn record_id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

async fn account(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    Path(id): Path<String>,
) -> PageResult {
    let account = accounts::find(&ctx.db, record_id(&id)?).await?;
    account_page(&ctx, &viewer, &account, None, Vec::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    active: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    link: String,
}

/// Runs `change` for the admin (checked with the form by the extractors) on the account;
/// a refusal is shown on the account page.
async fn act<F, Fut>(
    ctx: &ApiContext,
    viewer: &AdminViewer,
    raw_id: &str,
    done: &str,
    change: F,
) -> PageResult
where
    F: FnOnce(i64, i64) -> Fut,
    Fut: Future<Output = Result<Option<String>, AppError>>,
{
    let id = record_id(raw_id)?;
    let acting = viewer.caller.id;
    let account = accounts::find(&ctx.db, id).await?;
    match change(acting, id).await {
        Ok(None) => Ok(Redirect::to(&format!("/console/users/{id}?done={done}")).into_response()),
        Ok(Some(password)) => {
            let account = accounts::find(&ctx.db, id).await?;
            account_page(
                ctx,
                viewer,
                &account,
                Some(password),
                Vec::new(),
                StatusCode::OK,
            )
            .await
        }
        Err(AppError::Validation(problems)) => {
            account_page(
                ctx,
                viewer,
                &account,
                None,
                problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_active(
    State(ctx): State<ApiContext>,
    Path(id): Path<String>,
    CsrfForm { viewer, form }: CsrfForm<ActionForm, AdminViewer>,
) -> PageResult {
    let active = form.active == "true";
    let done = if active { "activated" } else { "deactivated" };
    let (db, now) = (ctx.db.clone(), ctx.clock.now());
    act(&ctx, &viewer, &id, done, |acting, id| async move {
        accounts::set_active(&db, acting, id, active, now)
            .await
            .map(|()| None)
    })
    .await
}

async fn reset_password(
    State(ctx): State<ApiContext>,
    Path(id): Path<String>,
    CsrfForm { viewer, .. }: CsrfForm<ActionForm, AdminViewer>,
) -> PageResult {
    let (db, now) = (ctx.db.clone(), ctx.clock.now());
    act(&ctx, &viewer, &id, "password", |_, id| async move {
        accounts::reset_password(&db, id, now).await.map(Some)
    })
    .await
}

async fn change_role(
    State(ctx): State<ApiContext>,
    Path(id): Path<String>,
    CsrfForm { viewer, form }: CsrfForm<ActionForm, AdminViewer>,
) -> PageResult {
    let role = form.role.parse::<Role>();
    let link = match form.link.trim() {
        "" => Ok(None),
        raw => raw.parse::<i64>().map(Some),
    };
    let (db, now) = (ctx.db.clone(), ctx.clock.now());
    act(&ctx, &viewer, &id, "role", |acting, id| async move {
        let role = role.map_err(|e| AppError::field("role", e))?;
        let link = link.map_err(|_| AppError::field("link", "numéro de fiche attendu"))?;
        accounts::change_role(&db, acting, id, role, link, now)
            .await
            .map(|()| None)
    })
    .await
}
