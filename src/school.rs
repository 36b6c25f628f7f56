//! The school profile as the office edits it: the input's checks, and the stamp and
//! signature pictures of the certificates.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::db::school::{self, default_day_minutes, default_follow_up_weeks};
pub use crate::db::school::{DEFAULT_SCHOOL_DAY_MINUTES, School, load, pictures_present};
use crate::domain::siret::Siret;
use crate::domain::text;
use crate::error::{AppError, AppResult, Problems};

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
    /// See [`School::follow_up_weeks`]: 1 to 52, 8 by default.
    #[serde(default = "default_follow_up_weeks")]
    pub follow_up_weeks: i64,
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
                "le numéro de déclaration d’activité compte 11 chiffres",
            );
        }
        if !(60..=720).contains(&self.school_day_max_minutes) {
            p.add(
                "school_day_max_minutes",
                "entre 60 et 720 minutes (1 à 12 heures par jour d’école)",
            );
        }
        if !(1..=52).contains(&self.follow_up_weeks) {
            p.add("follow_up_weeks", "entre 1 et 52 semaines");
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
            follow_up_weeks: self.follow_up_weeks,
        })
    }
}

/// Creates or replaces the school profile.
pub async fn save(db: &Db, s: &School, now: DateTime<Utc>) -> AppResult<()> {
    school::save(db, s, now).await
}

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
pub async fn set_picture(
    db: &Db,
    which: SealPicture,
    png: Option<&[u8]>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if let Some(png) = png {
        check_picture(which, png)?;
    }
    let png = png.map(<[u8]>::to_vec);
    let done = school::set_picture(db, which.column(), png, now).await?;
    if done == 0 {
        return Err(AppError::Conflict(
            "renseignez d’abord le profil de l’école".to_owned(),
        ));
    }
    Ok(())
}
