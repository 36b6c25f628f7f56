//! CSV import from the browser: choose the files, see every line's fate (or every error,
//! with its line and column) in a dry run, then commit the very same files, all or nothing.
//! Same rules as `assidu import` and `POST /api/v1/imports`.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use minijinja::{Value, context};

use crate::app::ApiContext;
use crate::error::{AppError, FieldError};
use crate::http::imports;
use crate::import::{self, Kind, Options, Report, Source};
use crate::web::pages::{PageResult, show};
use crate::web::{AdminViewer, CsrfForm, Viewer, ser};

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/import", get(form))
        // The CSV files of a whole year travel in these two forms.
        .route(
            "/console/import/preview",
            post(preview).layer(DefaultBodyLimit::max(imports::BODY_LIMIT)),
        )
        .route(
            "/console/import/commit",
            post(commit).layer(DefaultBodyLimit::max(imports::BODY_LIMIT)),
        )
}

/// The files as the commit form carries them back (their text, not re-uploaded).
fn carried(files: &[(Kind, Vec<u8>)]) -> Vec<Value> {
    files
        .iter()
        .map(|(kind, bytes)| context! { name => kind.as_str(), text => String::from_utf8_lossy(bytes).into_owned() })
        .collect()
}

async fn page(
    ctx: &ApiContext,
    viewer: &Viewer,
    files: &[(Kind, Vec<u8>)],
    outcome: Result<Option<Report>, Vec<FieldError>>,
    status: StatusCode,
) -> PageResult {
    let lang = viewer.lang;
    let kinds: Vec<Value> = Kind::ALL
        .iter()
        .map(
            |k| context! { name => k.as_str(), label => lang.text(&format!("imp_{}", k.as_str())) },
        )
        .collect();
    let (report, errors) = match outcome {
        Ok(report) => (report, Vec::new()),
        Err(errors) => (None, errors),
    };
    let can_commit = report.as_ref().is_some_and(|r| r.dry_run) && errors.is_empty();
    show(
        ctx,
        viewer,
        status,
        "pages/console_import.html",
        context! {
            kinds,
            report => report.as_ref().map(ser),
            errors => errors.iter().map(|e| context! { field => e.field.clone(), message => e.message.clone() }).collect::<Vec<_>>(),
            files => if can_commit { carried(files) } else { Vec::new() },
            can_commit,
        },
    )
    .await
}

async fn form(State(ctx): State<ApiContext>, viewer: AdminViewer) -> PageResult {
    page(&ctx, &viewer, &[], Ok(None), StatusCode::OK).await
}

async fn run(
    ctx: &ApiContext,
    viewer: &Viewer,
    files: Vec<(Kind, Vec<u8>)>,
    dry_run: bool,
) -> PageResult {
    let caller = viewer.require()?.clone();
    if files.is_empty() {
        let none = vec![FieldError::new(
            "files",
            "aucun fichier : choisissez au moins un fichier CSV",
        )];
        return page(
            ctx,
            viewer,
            &files,
            Err(none),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let options = Options {
        dry_run,
        source: Source::Api,
        user_id: Some(caller.id),
        now: ctx.clock.now(),
    };
    let lang = viewer.lang;
    let errors = match import::run(&ctx.db, files.clone(), &options).await {
        Ok(report) => return page(ctx, viewer, &files, Ok(Some(report)), StatusCode::OK).await,
        Err(AppError::Validation(errors)) => errors,
        // Each bad line is named by its file, line and column.
        Err(AppError::BadLines(lines)) => lines
            .into_iter()
            .map(|l| {
                let mut at = format!("{}.csv, {} {}", l.file, lang.text("imp_line_word"), l.line);
                if let Some(c) = &l.column {
                    at.push_str(&format!(", {} {c}", lang.text("imp_column_word")));
                }
                FieldError::new(at, l.message)
            })
            .collect(),
        Err(e) => return Err(e.into()),
    };
    page(
        ctx,
        viewer,
        &files,
        Err(errors),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// The uploaded files: a dry run.
async fn preview(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    mut form: Multipart,
) -> PageResult {
    let bad = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("formulaire illisible : {e}"))
    };
    let mut files = Vec::new();
    let mut csrf = None;
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "csrf" {
            csrf = Some(field.text().await.map_err(bad)?);
        } else if let Some(kind) = Kind::parse(&name) {
            let bytes = field.bytes().await.map_err(bad)?;
            // A file input left empty still sends an empty part.
            if !bytes.is_empty() {
                files.push((kind, bytes.to_vec()));
            }
        }
    }
    viewer.check_csrf(csrf.as_deref())?;
    run(&ctx, &viewer, files, true).await
}

/// The previewed files, carried back by the page: written, all or nothing.
async fn commit(
    State(ctx): State<ApiContext>,
    CsrfForm { viewer, form }: CsrfForm<Vec<(String, String)>, AdminViewer>,
) -> PageResult {
    let files: Vec<(Kind, Vec<u8>)> = form
        .iter()
        .filter_map(|(k, v)| Kind::parse(k).map(|kind| (kind, v.clone().into_bytes())))
        .collect();
    run(&ctx, &viewer, files, false).await
}
