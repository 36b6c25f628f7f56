//! Issue requests, as the API and the pages send them: checked, then issued for one student
//! or for a whole academic year.

use serde::Deserialize;
use utoipa::ToSchema;

use super::{BatchReport, Existing, IssueOptions, IssuedCertificate, Issuer, Selection};
use crate::app::ApiContext;
use crate::auth::Caller;
use crate::db::{self, Db};
use crate::domain::certificate::CertificateKind;
use crate::domain::roles::Role;
use crate::domain::semester::Semester;
use crate::error::{AppError, AppResult, Problems};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// `S9` or `S10`.
    pub semester: String,
    /// `attestation` (by default) or `certificat_realisation`.
    pub kind: Option<String>,
    /// One of the student's contracts; the latest by default.
    pub contract_id: Option<i64>,
    /// Issue before the semester has ended or with roll calls unsigned (needs `reason`).
    #[serde(default)]
    pub force: bool,
    /// Replace the current certificate after a correction (needs `reason`): it gets a new
    /// number and the old one is marked superseded.
    #[serde(default)]
    pub replace: bool,
    pub reason: Option<String>,
}

fn parse_semester(v: &mut Problems, s: &str) -> Option<Semester> {
    v.check("semester", s.parse::<Semester>())
}

fn reason_of(v: &mut Problems, needed: bool, reason: Option<&str>) -> Option<String> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match reason {
        Some(r) if r.chars().count() > 500 => {
            v.add("reason", "500 caractères au plus");
            None
        }
        None if needed => {
            v.add(
                "reason",
                "un motif est obligatoire pour forcer une émission ou remplacer un certificat",
            );
            None
        }
        r => r.map(str::to_owned),
    }
}

/// Checks an issue request and issues the one document it asks for.
pub async fn issue(
    ctx: &ApiContext,
    admin: &Caller,
    student_id: i64,
    body: IssueRequest,
) -> AppResult<IssuedCertificate> {
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let mut v = Problems::new();
    let semester = parse_semester(&mut v, &body.semester);
    let kind = match &body.kind {
        None => Some(CertificateKind::Attestation),
        Some(k) => v.check("kind", k.parse::<CertificateKind>()),
    };
    let reason = reason_of(&mut v, body.force || body.replace, body.reason.as_deref());
    v.into_result()?;
    let (Some(semester), Some(kind)) = (semester, kind) else {
        return Err(AppError::BadRequest("requête invalide".to_owned()));
    };
    let contract_id = student_contract(&ctx.db, student_id, body.contract_id).await?;
    let options = IssueOptions {
        kinds: vec![kind],
        existing: if body.replace {
            Existing::Replace(reason.clone().unwrap_or_default())
        } else {
            Existing::Refuse
        },
        force_reason: if body.force { reason } else { None },
        issued_by: Some(admin.id),
    };
    let issuer = Issuer::from(ctx);
    let mut issued =
        super::issue_one(&issuer, contract_id, semester, &options, ctx.clock.now()).await?;
    let first = issued
        .pop()
        .ok_or_else(|| AppError::Conflict("rien à émettre".to_owned()))?;
    tracing::info!(number = %first.number, student_id, "certificate issued");
    Ok(first)
}

/// The contract to issue for: the one named (it must be the student's), else the latest.
async fn student_contract(db: &Db, student_id: i64, wanted: Option<i64>) -> AppResult<i64> {
    let exists = db::certificates::student_id(db, student_id).await?;
    if exists.is_none() {
        return Err(AppError::NotFound);
    }
    let contracts = db::certificates::student_contract_ids(db, student_id).await?;
    match (wanted, contracts.first()) {
        (_, None) => Err(AppError::field(
            "student_id",
            "l’alternant·e n’a aucun contrat : il n’y a pas d’attestation à émettre",
        )),
        (None, Some(latest)) => Ok(*latest),
        (Some(id), Some(_)) if contracts.contains(&id) => Ok(id),
        (Some(id), Some(_)) => Err(AppError::field(
            "contract_id",
            format!("le contrat n° {id} n’est pas un contrat de cet·te alternant·e"),
        )),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// `S9` or `S10`.
    pub semester: String,
    /// The academic year, e.g. `2025-2026`.
    pub year: String,
    /// `attestation`, `certificat_realisation` or `all` (both, by default).
    pub kind: Option<String>,
}

/// The kinds named by `attestation`, `certificat_realisation` or `all`.
pub fn parse_kinds(s: Option<&str>) -> Result<Vec<CertificateKind>, String> {
    match s.map(str::trim) {
        None | Some("all") => Ok(CertificateKind::ALL.to_vec()),
        Some(k) => Ok(vec![
            k.parse::<CertificateKind>()
                .map_err(|e| format!("{e} ; ou « all » pour les deux"))?,
        ]),
    }
}

/// Checks a request for a whole year and issues it (the API's and the page's).
pub async fn issue_year(
    ctx: &ApiContext,
    admin: &Caller,
    body: BatchRequest,
) -> AppResult<BatchReport> {
    if admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let mut v = Problems::new();
    let semester = parse_semester(&mut v, &body.semester);
    let kinds = v.check("kind", parse_kinds(body.kind.as_deref()));
    let year = body.year.trim().to_owned();
    let known = db::years::by_name(&ctx.db, &year).await?;
    if known.is_none() {
        v.add("year", format!("année universitaire inconnue « {year} »"));
    }
    v.into_result()?;
    let (Some(semester), Some(kinds)) = (semester, kinds) else {
        return Err(AppError::BadRequest("requête invalide".to_owned()));
    };
    let options = IssueOptions {
        kinds,
        existing: Existing::Skip,
        force_reason: None,
        issued_by: Some(admin.id),
    };
    let clock = ctx.clock.clone();
    Ok(super::issue_many(
        &Issuer::from(ctx),
        &Selection::Year { year, semester },
        &options,
        || clock.now(),
        |_| {},
    )
    .await?)
}
