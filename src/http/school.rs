//! The school profile: the training organisation of the convention, printed on certificates.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::db::Db;
use crate::domain::siret::Siret;
use crate::domain::text;
use crate::error::{AppError, AppResult, ErrorBody, Problems};
use crate::http::extract::{Admin, ApiJson};
use crate::{bind_values, db_run};

#[derive(Debug, Clone, Default, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct School {
    pub name: String,
    /// The legal entity the school belongs to, e.g. Institut Mines-Télécom.
    pub legal_entity: String,
    pub address: String,
    pub phone: String,
    /// Where absence notices and digests for the school office go.
    pub office_email: String,
    /// The DREETS told of terminations (Articles 6 and 7); empty until set.
    pub dreets_email: String,
    pub siret: String,
    pub ape_code: String,
    /// Numéro de déclaration d'activité.
    pub activity_number: String,
    pub datadock_id: String,
    pub signatory_name: String,
    /// For example « directrice ».
    pub signatory_title: String,
    /// Place of issue of certificates.
    pub city: String,
    /// A presence counts only with the trainee's own signature of the half-day: unsigned
    /// presences hold the certificates back and are listed by the audit report.
    #[serde(default)]
    pub presence_needs_signature: bool,
    /// The most minutes of training one school day holds (8 h by default): the planned
    /// hours of a contract may count on it for school days without a session yet.
    #[serde(default = "default_day_minutes")]
    pub school_day_max_minutes: i64,
}

pub const DEFAULT_SCHOOL_DAY_MINUTES: i64 = 8 * 60;

fn default_day_minutes() -> i64 {
    DEFAULT_SCHOOL_DAY_MINUTES
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchoolInput {
    pub name: String,
    #[serde(default)]
    pub legal_entity: String,
    pub address: String,
    #[serde(default)]
    pub phone: String,
    pub office_email: String,
    #[serde(default)]
    pub dreets_email: String,
    pub siret: String,
    pub ape_code: String,
    pub activity_number: String,
    #[serde(default)]
    pub datadock_id: String,
    pub signatory_name: String,
    pub signatory_title: String,
    pub city: String,
    /// See [`School::presence_needs_signature`] (off by default).
    #[serde(default)]
    pub presence_needs_signature: bool,
    /// See [`School::school_day_max_minutes`]: 60 to 720, 480 by default.
    #[serde(default = "default_day_minutes")]
    pub school_day_max_minutes: i64,
}

impl SchoolInput {
    /// Checks every field and answers the clean profile.
    pub fn validate(&self) -> AppResult<School> {
        let mut p = Problems::new();
        let address = p
            .check("address", text::address(&self.address, 300, true))
            .unwrap_or_default();
        let mut text_field = |field: &str, value: &str, required: bool, max: usize| {
            let r = if required {
                text::required(value, max)
            } else {
                text::optional(value, max)
            };
            p.check(field, r).unwrap_or_default()
        };
        let name = text_field("name", &self.name, true, 200);
        let legal_entity = text_field("legal_entity", &self.legal_entity, false, 200);
        let phone = text_field("phone", &self.phone, false, 40);
        let datadock_id = text_field("datadock_id", &self.datadock_id, false, 40);
        let signatory_name = text_field("signatory_name", &self.signatory_name, true, 200);
        let signatory_title = text_field("signatory_title", &self.signatory_title, true, 200);
        let city = text_field("city", &self.city, true, 100);
        let office_email = p
            .check("office_email", text::email(&self.office_email))
            .unwrap_or_default();
        let dreets_email = if self.dreets_email.trim().is_empty() {
            String::new()
        } else {
            p.check("dreets_email", text::email(&self.dreets_email))
                .unwrap_or_default()
        };
        let siret = p
            .check("siret", Siret::parse(&self.siret))
            .map(|s| s.as_str().to_owned());
        let ape = self
            .ape_code
            .trim()
            .to_ascii_uppercase()
            .replace(['.', ' '], "");
        // Bytes, not a string slice: a multi-byte character must not cut a slice in two.
        let ape_bytes = ape.as_bytes();
        if !(ape_bytes.len() == 5
            && ape_bytes[..4].iter().all(u8::is_ascii_digit)
            && ape_bytes[4].is_ascii_uppercase())
        {
            p.add(
                "ape_code",
                "code APE attendu : 4 chiffres et une lettre (ex. 8542Z)",
            );
        }
        let activity: String = self
            .activity_number
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if activity.len() != 11 || !activity.bytes().all(|b| b.is_ascii_digit()) {
            p.add(
                "activity_number",
                "le numéro de déclaration d'activité compte 11 chiffres",
            );
        }
        if !(60..=720).contains(&self.school_day_max_minutes) {
            p.add(
                "school_day_max_minutes",
                "entre 60 et 720 minutes (1 à 12 heures par jour d’école)",
            );
        }
        p.into_result()?;
        Ok(School {
            name,
            legal_entity,
            address,
            phone,
            office_email,
            dreets_email,
            siret: siret.unwrap_or_default(),
            ape_code: ape,
            activity_number: activity,
            datadock_id,
            signatory_name,
            signatory_title,
            city,
            presence_needs_signature: self.presence_needs_signature,
            school_day_max_minutes: self.school_day_max_minutes,
        })
    }
}

const COLUMNS: [&str; 15] = [
    "name",
    "legal_entity",
    "address",
    "phone",
    "office_email",
    "dreets_email",
    "siret",
    "ape_code",
    "activity_number",
    "datadock_id",
    "signatory_name",
    "signatory_title",
    "city",
    "presence_needs_signature",
    "school_day_max_minutes",
];

pub async fn load(db: &Db) -> AppResult<Option<School>> {
    let sql = format!("SELECT {} FROM school WHERE id = 1", COLUMNS.join(", "));
    Ok(db_run!(db, |pool| sqlx::query_as(&sql)
        .fetch_optional(pool)
        .await)?)
}

pub async fn save(db: &Db, s: &School) -> AppResult<()> {
    let marks: Vec<String> = (2..=COLUMNS.len() + 2).map(|i| format!("${i}")).collect();
    let updates: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let sql = format!(
        "INSERT INTO school (id, {}, updated_at) VALUES ($1, {}) ON CONFLICT (id) DO UPDATE SET {}, updated_at = excluded.updated_at",
        COLUMNS.join(", "),
        marks.join(", "),
        updates.join(", ")
    );
    let values: Vec<crate::db::Value> = [
        &s.name,
        &s.legal_entity,
        &s.address,
        &s.phone,
        &s.office_email,
        &s.dreets_email,
        &s.siret,
        &s.ape_code,
        &s.activity_number,
        &s.datadock_id,
        &s.signatory_name,
        &s.signatory_title,
        &s.city,
    ]
    .into_iter()
    .map(|v| v.as_str().into())
    .chain([
        s.presence_needs_signature.into(),
        s.school_day_max_minutes.into(),
        Utc::now().into(),
    ])
    .collect();
    db_run!(db, |pool| bind_values!(
        sqlx::query(&sql).bind(1i64),
        &values
    )
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The school profile.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/school", tag = "school",
    responses((status = 200, body = School), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_school(_: Admin, State(ctx): State<ApiContext>) -> AppResult<Json<School>> {
    load(&ctx.db).await?.map(Json).ok_or(AppError::NotFound)
}

/// Creates or replaces the school profile.
///
/// Rôle : admin.
#[utoipa::path(put, path = "/school", tag = "school",
    request_body = SchoolInput,
    responses((status = 200, body = School), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_school(
    _: Admin,
    State(ctx): State<ApiContext>,
    ApiJson(input): ApiJson<SchoolInput>,
) -> AppResult<Json<School>> {
    let school = input.validate()?;
    save(&ctx.db, &school).await?;
    Ok(Json(school))
}

// ---- stamp and signature --------------------------------------------------------------

/// Largest stamp or signature image accepted, in bytes.
pub const PICTURE_BODY_LIMIT: usize = 512 * 1024;

/// The two pictures of the certificates' « cachet et signature » area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealPicture {
    Stamp,
    Signature,
}

impl SealPicture {
    /// The input field (and the API path's last segment).
    pub fn field(self) -> &'static str {
        match self {
            SealPicture::Stamp => "stamp",
            SealPicture::Signature => "signature",
        }
    }

    fn column(self) -> &'static str {
        match self {
            SealPicture::Stamp => "stamp_png",
            SealPicture::Signature => "signature_png",
        }
    }
}

/// Checks an uploaded picture: at most [`PICTURE_BODY_LIMIT`] bytes (413), a PNG that
/// decodes (415), at most [`crate::pdf::PICTURE_MAX_SIDE`] pixels a side (422).
pub fn check_picture(which: SealPicture, bytes: &[u8]) -> AppResult<()> {
    let refuse = |status, message: String| AppError::BadFile {
        status,
        field: crate::error::FieldError::new(which.field(), message),
    };
    if bytes.len() > PICTURE_BODY_LIMIT {
        return Err(refuse(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} octets : {} Kio au plus",
                bytes.len(),
                PICTURE_BODY_LIMIT / 1024
            ),
        ));
    }
    if bytes.is_empty() {
        return Err(refuse(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "le fichier est vide".to_owned(),
        ));
    }
    match crate::pdf::Picture::from_png(bytes) {
        Ok(_) => Ok(()),
        Err(crate::pdf::PictureError::NotPng(_)) => Err(refuse(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "seules les images PNG sont acceptées".to_owned(),
        )),
        Err(e @ crate::pdf::PictureError::TooLarge { .. }) => Err(refuse(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            format!("image trop grande : {e}"),
        )),
    }
}

/// Stores (`Some`) or removes (`None`) one of the school's pictures; the school profile
/// must exist.
pub async fn set_picture(db: &Db, which: SealPicture, png: Option<&[u8]>) -> AppResult<()> {
    if let Some(png) = png {
        check_picture(which, png)?;
    }
    let sql = format!(
        "UPDATE school SET {} = $1, updated_at = $2 WHERE id = 1",
        which.column()
    );
    let png = png.map(<[u8]>::to_vec);
    let done = db_run!(db, |pool| sqlx::query(&sql)
        .bind(&png)
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(AppError::Conflict(
            "renseignez d'abord le profil de l'école".to_owned(),
        ));
    }
    Ok(())
}

/// Whether the school has each picture: (stamp, signature).
pub async fn pictures_present(db: &Db) -> AppResult<(bool, bool)> {
    let row: Option<(bool, bool)> = db_run!(db, |pool| sqlx::query_as(
        "SELECT stamp_png IS NOT NULL, signature_png IS NOT NULL FROM school WHERE id = 1"
    )
    .fetch_optional(pool)
    .await)?;
    Ok(row.unwrap_or_default())
}

async fn put_picture(
    ctx: &ApiContext,
    which: SealPicture,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<axum::http::StatusCode> {
    let body = body.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::BadFile {
                status: e.status(),
                field: crate::error::FieldError::new(
                    which.field(),
                    format!("{} Kio au plus", PICTURE_BODY_LIMIT / 1024),
                ),
            }
        } else {
            AppError::BadRequest(format!("corps illisible : {e}"))
        }
    })?;
    set_picture(&ctx.db, which, Some(&body)).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Sets the school's stamp, drawn in the « cachet et signature » area of the certificates
/// issued from now on. The body is the PNG file (`Content-Type: image/png`), 512 Kio and
/// 2000 × 2000 pixels at most.
///
/// Rôle : admin.
#[utoipa::path(put, path = "/school/stamp", tag = "school",
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_stamp(
    _: Admin,
    State(ctx): State<ApiContext>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<axum::http::StatusCode> {
    put_picture(&ctx, SealPicture::Stamp, body).await
}

/// Removes the school's stamp.
///
/// Rôle : admin.
#[utoipa::path(delete, path = "/school/stamp", tag = "school",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_stamp(
    _: Admin,
    State(ctx): State<ApiContext>,
) -> AppResult<axum::http::StatusCode> {
    set_picture(&ctx.db, SealPicture::Stamp, None).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Sets the signatory's signature, drawn beside the stamp on the certificates issued from
/// now on. The body is the PNG file (`Content-Type: image/png`), 512 Kio and 2000 × 2000
/// pixels at most.
///
/// Rôle : admin.
#[utoipa::path(put, path = "/school/signature", tag = "school",
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_signature(
    _: Admin,
    State(ctx): State<ApiContext>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> AppResult<axum::http::StatusCode> {
    put_picture(&ctx, SealPicture::Signature, body).await
}

/// Removes the signatory's signature.
///
/// Rôle : admin.
#[utoipa::path(delete, path = "/school/signature", tag = "school",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_signature(
    _: Admin,
    State(ctx): State<ApiContext>,
) -> AppResult<axum::http::StatusCode> {
    set_picture(&ctx.db, SealPicture::Signature, None).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
