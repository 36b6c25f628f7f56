//! The school profile's console page: its form and its seal pictures (stamp, signature).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;

use super::forms::{form_fields, form_input, stored_values};
use super::{Field, Kind, form_values, opt, req};
use crate::app::ApiContext;
use crate::error::{AppError, FieldError};
use crate::web::pages::{PageResult, show};
use crate::web::{AdminViewer, CsrfForm, Viewer, WebError};

/// The school profile (one record, `PUT /school` in the API).
const SCHOOL_FIELDS: &[Field] = &[
    req("name", Kind::Text),
    opt("legal_entity", Kind::Text),
    req("address", Kind::LongText),
    opt("phone", Kind::Text),
    req("office_email", Kind::Email),
    opt("dreets_email", Kind::Email),
    req("siret", Kind::Text),
    req("ape_code", Kind::Text),
    req("activity_number", Kind::Text),
    opt("datadock_id", Kind::Text),
    req("signatory_name", Kind::Text),
    req("signatory_title", Kind::Text),
    req("city", Kind::Text),
    opt("presence_needs_signature", Kind::Bool),
    opt("school_day_max_minutes", Kind::Integer),
    opt("follow_up_weeks", Kind::Integer),
];

pub(super) async fn school_page(
    ctx: &ApiContext,
    viewer: &Viewer,
    values: HashMap<String, String>,
    problems: Vec<FieldError>,
    status: StatusCode,
) -> PageResult {
    let lang = viewer.lang;
    let (fields, general) = form_fields(SCHOOL_FIELDS, &HashMap::new(), &values, &problems, lang);
    let (has_stamp, has_signature) = crate::http::school::pictures_present(&ctx.db).await?;
    show(
        ctx,
        viewer,
        status,
        "pages/console_form.html",
        context! {
            title => lang.text("c_school"),
            heading => lang.text("c_school"),
            list_url => "/console",
            action => "/console/school",
            fields,
            general,
            problem_count => problems.len(),
            saved => problems.is_empty() && viewer.here.contains("saved=1"),
            pictures => context! {
                stamp => has_stamp,
                signature => has_signature,
                saved => problems.is_empty() && viewer.here.contains("pictures=1"),
                max_kib => crate::http::school::PICTURE_BODY_LIMIT / 1024,
            },
        },
    )
    .await
}

/// The stamp and signature form (multipart): a file replaces a picture, a ticked box
/// removes it; a refused file changes nothing.
pub(super) async fn save_pictures(
    State(ctx): State<ApiContext>,
    viewer: AdminViewer,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    use crate::http::school::PICTURE_BODY_LIMIT;
    use crate::school::{SealPicture, check_picture, set_picture};
    let lang = viewer.lang;
    let too_large = |which: SealPicture| AppError::BadFile {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        field: FieldError::new(
            which.field(),
            format!("{} Kio au plus", PICTURE_BODY_LIMIT / 1024),
        ),
    };
    let unreadable = |e: String| AppError::BadRequest(format!("formulaire illisible : {e}"));
    let mut form = form.map_err(|e| WebError::new(unreadable(e.to_string()), lang))?;
    let mut csrf = None;
    let mut files: Vec<(SealPicture, Vec<u8>)> = Vec::new();
    let mut removed = Vec::new();
    let mut refused = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                refused = Some(too_large(SealPicture::Stamp));
                break;
            }
            Err(e) => return Err(WebError::new(unreadable(e.to_string()), lang)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let which = match name.as_str() {
            "stamp" | "remove_stamp" => SealPicture::Stamp,
            "signature" | "remove_signature" => SealPicture::Signature,
            "csrf" => {
                csrf = field.text().await.ok();
                continue;
            }
            _ => continue,
        };
        if name.starts_with("remove_") {
            removed.push(which);
            continue;
        }
        match field.bytes().await {
            Ok(bytes) if bytes.is_empty() => {}
            Ok(bytes) if bytes.len() > PICTURE_BODY_LIMIT => {
                refused.get_or_insert(too_large(which));
            }
            Ok(bytes) => files.push((which, bytes.to_vec())),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                refused.get_or_insert(too_large(which));
            }
            Err(e) => return Err(WebError::new(unreadable(e.to_string()), lang)),
        }
    }
    viewer.check_csrf(csrf.as_deref())?;
    // Every file is checked before anything is written.
    let refused = refused.or_else(|| {
        files
            .iter()
            .find_map(|(which, png)| check_picture(*which, png).err())
    });
    if let Some(e) = refused {
        let status = e.status();
        let problem = match e {
            AppError::BadFile { field, .. } => field,
            other => FieldError::new("file", other.public_message()),
        };
        let school = crate::http::school::load(&ctx.db).await?;
        let values = stored_values(SCHOOL_FIELDS, &school)?;
        return school_page(&ctx, &viewer, values, vec![problem], status).await;
    }
    for which in removed {
        set_picture(&ctx.db, which, None, ctx.clock.now()).await?;
    }
    for (which, png) in files {
        set_picture(&ctx.db, which, Some(&png), ctx.clock.now()).await?;
    }
    Ok(Redirect::to("/console/school?pictures=1").into_response())
}

pub(super) async fn school_form(State(ctx): State<ApiContext>, viewer: AdminViewer) -> PageResult {
    let school = crate::http::school::load(&ctx.db).await?;
    let values = stored_values(SCHOOL_FIELDS, &school)?;
    school_page(&ctx, &viewer, values, Vec::new(), StatusCode::OK).await
}

pub(super) async fn save_school(
    State(ctx): State<ApiContext>,
    CsrfForm { viewer, form }: CsrfForm<Vec<(String, String)>, AdminViewer>,
) -> PageResult {
    let checked = form_input::<crate::http::school::SchoolInput>(SCHOOL_FIELDS, &form)?
        .map(|input| input.validate());
    let problems = match checked {
        Err(problems) | Ok(Err(AppError::Validation(problems))) => problems,
        Ok(Ok(school)) => {
            crate::school::save(&ctx.db, &school, ctx.clock.now()).await?;
            return Ok(Redirect::to("/console/school?saved=1").into_response());
        }
        Ok(Err(e)) => return Err(e.into()),
    };
    school_page(
        &ctx,
        &viewer,
        form_values(&form),
        problems,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
