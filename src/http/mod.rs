//! The HTTP API under `/api/v1`, its OpenAPI document, and the probes.

pub mod acknowledgements;
pub mod attendance;
pub mod audit;
pub mod audit_bundle;
pub mod auth;
pub mod billing;
pub mod certificates;
pub mod company_overview;
pub mod contracts;
pub mod crud;
pub mod dashboard;
pub mod emargement;
pub mod extract;
pub mod feeds;
pub mod follow_ups;
pub mod health;
pub mod hours;
pub mod imports;
pub mod justifications;
pub mod login_links;
pub mod mail_log;
pub mod openapi;
pub mod parties;
pub mod payroll;
pub mod programmes;
pub mod school;
pub mod sessions;
pub mod summary;
pub mod terminations;
pub mod timetable;
pub mod years;

use axum::Router;
use axum::routing::get;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::ApiContext;
use crate::error::AppError;
use crate::http::crud::{Resource, routes as crud_routes};
use crate::http::openapi::{ApiDoc, add_security, document};

/// Mounts a generic resource on the router and in the document.
fn resource<R: Resource>(
    router: Router<ApiContext>,
    api: &mut utoipa::openapi::OpenApi,
) -> Router<ApiContext> {
    document::<R>(api);
    router.merge(crud_routes::<R>())
}

/// The `/api/v1` routes and their OpenAPI document.
pub fn api() -> (Router<ApiContext>, utoipa::openapi::OpenApi) {
    let (router, mut api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(login_links::post_email_link))
        .routes(routes!(login_links::post_exchange))
        .routes(routes!(school::get_school, school::put_school))
        .merge(
            // Over the limit is answered by the handler: a JSON 413 naming the field.
            OpenApiRouter::new()
                .routes(routes!(school::put_stamp, school::delete_stamp))
                .routes(routes!(school::put_signature, school::delete_signature))
                .layer(axum::extract::DefaultBodyLimit::max(
                    school::PICTURE_BODY_LIMIT,
                )),
        )
        .routes(routes!(years::days))
        .routes(routes!(years::export_file, years::import_file))
        .routes(routes!(contracts::semesters))
        .routes(routes!(contracts::planning))
        .routes(routes!(
            attendance::get_attendance,
            attendance::put_attendance
        ))
        .routes(routes!(attendance::post_sign))
        .routes(routes!(attendance::get_history))
        .routes(routes!(attendance::post_signin))
        .routes(routes!(attendance::get_signin_code))
        .routes(routes!(summary::get_summary))
        .routes(routes!(company_overview::get_overview))
        .routes(routes!(emargement::session_pdf))
        .routes(routes!(emargement::session_csv))
        .routes(routes!(emargement::student_pdf))
        .routes(routes!(emargement::student_csv))
        .routes(routes!(audit::get_audit))
        .routes(routes!(audit::get_missing))
        .merge(
            // Justification files are larger than any JSON body; the handler enforces the
            // configured limit.
            OpenApiRouter::new()
                .routes(routes!(
                    justifications::get_justifications,
                    justifications::post_justification
                ))
                .layer(axum::extract::DefaultBodyLimit::max(
                    justifications::BODY_LIMIT,
                )),
        )
        .routes(routes!(justifications::get_justification))
        .routes(routes!(justifications::get_file))
        .routes(routes!(justifications::post_decision))
        .routes(routes!(mail_log::get_mails))
        .routes(routes!(mail_log::get_mail))
        .routes(routes!(mail_log::post_resend))
        .routes(routes!(mail_log::get_jobs))
        .routes(routes!(mail_log::post_job_run))
        .routes(routes!(
            certificates::post_certificate,
            certificates::get_certificates
        ))
        .routes(routes!(billing::get_contract_billing))
        .routes(routes!(billing::get_year_billing))
        .routes(routes!(billing::get_year_billing_file))
        .routes(routes!(terminations::post_termination))
        .routes(routes!(terminations::get_terminations))
        .routes(routes!(terminations::get_termination_file))
        .routes(routes!(certificates::post_issue_batch))
        .routes(routes!(certificates::get_pdf))
        .routes(routes!(certificates::get_verify))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(certificates::post_verify))
                .layer(axum::extract::DefaultBodyLimit::max(
                    certificates::VERIFY_BODY_LIMIT,
                )),
        )
        .routes(routes!(feeds::post_feed, feeds::get_feeds))
        .routes(routes!(feeds::delete_feed))
        .routes(routes!(audit_bundle::get_audit_bundle))
        .merge(
            // CSV files of a whole year; over the limit is a 413.
            OpenApiRouter::new()
                .routes(routes!(imports::post_import))
                .layer(axum::extract::DefaultBodyLimit::max(imports::BODY_LIMIT)),
        )
        .routes(routes!(dashboard::get_dashboard))
        .routes(routes!(acknowledgements::get_absence_notices))
        .routes(routes!(acknowledgements::post_acknowledgement))
        .routes(routes!(
            follow_ups::get_follow_ups,
            follow_ups::post_follow_up
        ))
        .routes(routes!(follow_ups::get_follow_ups_pdf))
        .routes(routes!(payroll::get_company_absences_pdf))
        .routes(routes!(payroll::get_company_absences_csv))
        .merge(
            // An uploaded feed is larger than any JSON body; the use case enforces the
            // configured limit with a 413 of its own.
            OpenApiRouter::new()
                .routes(routes!(timetable::get_sources, timetable::post_source))
                .routes(routes!(timetable::put_file))
                .layer(axum::extract::DefaultBodyLimit::max(timetable::BODY_LIMIT)),
        )
        .routes(routes!(timetable::get_source))
        .routes(routes!(timetable::post_sync))
        .routes(routes!(timetable::get_flags))
        .routes(routes!(timetable::post_resolution))
        .split_for_parts();
    let mut router = router;
    router = resource::<years::Years>(router, &mut api);
    router = resource::<years::Calendars>(router, &mut api);
    router = resource::<programmes::Programmes>(router, &mut api);
    router = resource::<programmes::Modules>(router, &mut api);
    router = resource::<programmes::Groups>(router, &mut api);
    router = resource::<parties::Companies>(router, &mut api);
    router = resource::<parties::Tutors>(router, &mut api);
    router = resource::<parties::Students>(router, &mut api);
    router = resource::<parties::Teachers>(router, &mut api);
    router = resource::<contracts::Contracts>(router, &mut api);
    router = resource::<sessions::Sessions>(router, &mut api);
    add_security(&mut api);
    (router, api)
}

pub fn router() -> Router<ApiContext> {
    let (api_router, api) = api();
    // Serialised once: the document does not change while the process lives.
    let doc =
        axum::body::Bytes::from(serde_json::to_vec(&openapi::finish(&api)).unwrap_or_default());
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        // Calendar apps cannot log in: the secret token in the name is the key.
        .route("/ical/{file}", get(feeds::get_ical))
        .nest(
            "/api/v1",
            api_router
                // Before the document's route: it has no hours to round.
                .layer(axum::middleware::from_fn(hours::exact_hours))
                .route(
                    "/openapi.json",
                    get(move || {
                        let doc = doc.clone();
                        async move {
                            (
                                [(axum::http::header::CONTENT_TYPE, "application/json")],
                                doc,
                            )
                        }
                    }),
                )
                .fallback(not_found),
        )
        // The document is served by the API router itself; the page only points at it.
        .merge(crate::web::router())
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs")
                .config(utoipa_swagger_ui::Config::from("/api/v1/openapi.json")),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> AppError {
    AppError::NotFound
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}
