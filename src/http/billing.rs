//! Billing over HTTP (admin): a contract's statement, and a year's statements for the
//! finance office as CSV and as one PDF per payer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::billing::{self, Statement, StatementStatus};
use crate::domain::billing::Payer;
use crate::domain::text::date_fr;
use crate::error::{AppError, AppResult};
use crate::http::crud::Id;
use crate::http::extract::Admin;

/// A contract's billing statement: per semester, the price, its hourly value, the hours
/// attended, absent and done before the OPCO's agreement, and the amounts to invoice to the
/// OPCO and to the company, each line with the article of the convention behind it. Amounts
/// in cents; the lines of a semester add up exactly to what is due (see `rounding`).
///
/// Rôle : admin.
#[utoipa::path(get, path = "/contracts/{id}/billing", tag = "billing",
    params(("id" = i64, Path)),
    responses((status = 200, body = Statement), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_contract_billing(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<Statement>> {
    Ok(Json(
        billing::contract_statement(&ctx.db, id, ctx.clock.now()).await?,
    ))
}

/// One payer of a year: an OPCO or a company, with what it is invoiced.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayerTotal {
    pub payer: Payer,
    pub name: String,
    /// The company's SIRET; empty for an OPCO.
    pub siret: String,
    /// Names the payer's PDF: `opco-…` or `entreprise-SIRET`.
    pub key: String,
    pub contracts: usize,
    pub amount_cents: i64,
    pub pdf_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct YearBilling {
    pub academic_year_id: i64,
    pub academic_year: String,
    pub contracts: usize,
    pub due_cents: i64,
    pub opco_cents: i64,
    pub company_cents: i64,
    pub payers: Vec<PayerTotal>,
    pub csv_url: String,
}

/// A file name's safe form: lower case ASCII letters, digits and dashes.
fn slug(name: &str) -> String {
    let folded = crate::domain::text::sort_key(name);
    let mut out = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn payer_key(payer: Payer, name: &str, siret: &str) -> String {
    match payer {
        Payer::Opco => format!("opco-{}", slug(name)),
        Payer::Company => format!("entreprise-{siret}"),
    }
}

/// The payers of a set of statements, OPCOs first, then companies, by name.
pub fn payers(year_id: i64, statements: &[Statement]) -> Vec<PayerTotal> {
    let mut out: Vec<PayerTotal> = Vec::new();
    for s in statements {
        for (payer, name, siret, amount) in [
            (Payer::Opco, s.opco_name.as_str(), "", s.opco_cents),
            (
                Payer::Company,
                s.company_name.as_str(),
                s.company_siret.as_str(),
                s.company_cents,
            ),
        ] {
            if amount == 0 {
                continue;
            }
            let key = payer_key(payer, name, siret);
            match out.iter_mut().find(|p| p.key == key) {
                Some(p) => {
                    p.contracts += 1;
                    p.amount_cents += amount;
                }
                None => out.push(PayerTotal {
                    payer,
                    name: if name.trim().is_empty() && payer == Payer::Opco {
                        "OPCO".to_owned()
                    } else {
                        name.to_owned()
                    },
                    siret: siret.to_owned(),
                    pdf_url: format!("/api/v1/years/{year_id}/billing/{key}.pdf"),
                    key,
                    contracts: 1,
                    amount_cents: amount,
                }),
            }
        }
    }
    out.sort_by(|a, b| {
        (
            a.payer == Payer::Company,
            crate::domain::text::sort_key(&a.name),
        )
            .cmp(&(
                b.payer == Payer::Company,
                crate::domain::text::sort_key(&b.name),
            ))
    });
    out
}

async fn year_name(ctx: &ApiContext, year_id: i64) -> AppResult<String> {
    let year = crate::db::years::by_id(&ctx.db, year_id).await?;
    year.map(|y| y.name).ok_or(AppError::NotFound)
}

/// A year's billing: totals, the payers and their PDFs, the CSV of every statement.
///
/// Rôle : admin.
#[utoipa::path(get, path = "/years/{id}/billing", tag = "billing",
    params(("id" = i64, Path)),
    responses((status = 200, body = YearBilling), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_year_billing(
    _: Admin,
    State(ctx): State<ApiContext>,
    Id(id): Id,
) -> AppResult<Json<YearBilling>> {
    let name = year_name(&ctx, id).await?;
    let statements = billing::year_statements(&ctx.db, id, ctx.clock.now()).await?;
    let sum = |g: fn(&Statement) -> i64| statements.iter().map(g).sum();
    Ok(Json(YearBilling {
        academic_year_id: id,
        academic_year: name,
        contracts: statements.len(),
        due_cents: sum(|s| s.due_cents),
        opco_cents: sum(|s| s.opco_cents),
        company_cents: sum(|s| s.company_cents),
        payers: payers(id, &statements),
        csv_url: format!("/api/v1/years/{id}/billing/statements.csv"),
    }))
}

/// Euros with two decimals and a decimal comma, as French spreadsheets read them.
fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!(
        "{sign}{},{:02}",
        cents.unsigned_abs() / 100,
        cents.unsigned_abs() % 100
    )
}

fn decimal(value: f64) -> String {
    format!("{value:.2}").replace('.', ",")
}

/// One line per contract and semester, as French Excel opens it (`;`, decimal commas,
/// dates 01/09/2025, a byte order mark), every cell inert.
pub fn statements_csv(statements: &[Statement]) -> AppResult<Vec<u8>> {
    let header = [
        "annee",
        "contrat",
        "nom",
        "prenom",
        "entreprise",
        "siret_entreprise",
        "opco",
        "payeur_principal",
        "semestre",
        "du",
        "au",
        "statut",
        "prix_eur",
        "heures_prevues",
        "valeur_horaire_eur",
        "du_eur",
        "heures_facturees",
        "heures_suivies",
        "heures_absence",
        "heures_justifiees",
        "heures_avant_accord",
        "opco_eur",
        "entreprise_eur",
        "date_rupture",
    ];
    let rows = statements.iter().flat_map(|s| {
        s.semesters.iter().map(move |sem| {
            vec![
                s.academic_year.clone(),
                s.contract_id.to_string(),
                s.student_last_name.clone(),
                s.student_first_name.clone(),
                s.company_name.clone(),
                s.company_siret.clone(),
                s.opco_name.clone(),
                match s.main_payer {
                    Payer::Opco => "OPCO",
                    Payer::Company => "entreprise",
                }
                .to_owned(),
                sem.semester.as_str().to_owned(),
                date_fr(sem.from),
                date_fr(sem.to),
                match sem.status {
                    StatementStatus::Provisional => "provisoire",
                    StatementStatus::Final => "définitif",
                    StatementStatus::Cancelled => "annulé",
                }
                .to_owned(),
                euros(sem.price_cents),
                decimal(sem.planned_hours),
                decimal(sem.hourly_value_cents as f64 / 100.0),
                euros(sem.due_cents),
                decimal(sem.basis_hours),
                decimal(sem.attended_hours),
                decimal(sem.absence_hours),
                decimal(sem.excused_hours),
                decimal(sem.before_agreement_hours),
                euros(sem.opco_cents),
                euros(sem.company_cents),
                s.termination_date.map(date_fr).unwrap_or_default(),
            ]
        })
    });
    crate::export::excel_csv(&header, rows).map_err(AppError::Internal)
}

fn attachment(bytes: Vec<u8>, mime: &str, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// A year's statements as files: `statements.csv` (one line per contract and semester, as
/// French Excel opens it: `;`, decimal commas, 01/09/2025 dates) or `{key}.pdf`, the statement of one payer (its `key` from
/// `GET /years/{id}/billing`: `opco-…` or `entreprise-SIRET`).
///
/// Rôle : admin.
#[utoipa::path(get, path = "/years/{id}/billing/{file}", tag = "billing",
    params(("id" = i64, Path), ("file" = String, Path, example = "statements.csv")),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_year_billing_file(
    _: Admin,
    State(ctx): State<ApiContext>,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let name = year_name(&ctx, id).await?;
    let now = ctx.clock.now();
    if file == "statements.csv" {
        let statements = billing::year_statements(&ctx.db, id, now).await?;
        return Ok(attachment(
            statements_csv(&statements)?,
            "text/csv; charset=utf-8",
            &format!("releves-{}.csv", slug(&name)),
        ));
    }
    let key = file.strip_suffix(".pdf").ok_or(AppError::NotFound)?;
    let statements = billing::year_statements(&ctx.db, id, now).await?;
    let payer = payers(id, &statements)
        .into_iter()
        .find(|p| p.key == key)
        .ok_or(AppError::NotFound)?;
    let school = billing::school_facts(&ctx.db).await?;
    let doc = crate::pdf::statement::PayerStatementDoc {
        school,
        to: crate::pdf::statement::PayerHeader {
            payer: payer.payer,
            name: payer.name.clone(),
            siret: payer.siret.clone(),
        },
        academic_year: name.clone(),
        issued_on: now.with_timezone(&chrono_tz::Europe::Paris).date_naive(),
        statements: statements
            .into_iter()
            .filter(|s| match payer.payer {
                Payer::Opco => payer_key(Payer::Opco, &s.opco_name, "") == payer.key,
                Payer::Company => s.company_siret == payer.siret,
            })
            .collect(),
    };
    let bytes =
        tokio::task::spawn_blocking(move || crate::pdf::statement::render_payer_statement(&doc))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(AppError::Internal)?;
    Ok(attachment(
        bytes,
        "application/pdf",
        &format!("releve-{}-{key}.pdf", slug(&name)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payer_keys_are_safe_file_names() {
        assert_eq!(slug("OPCO Atlas"), "opco-atlas");
        assert_eq!(slug("  Opco 2i / Île-de-France "), "opco-2i-ile-de-france");
        assert_eq!(
            payer_key(Payer::Company, "X", "18009202500113"),
            "entreprise-18009202500113"
        );
        assert_eq!(euros(450_000), "4500,00");
        assert_eq!(euros(5), "0,05");
        assert_eq!(slug("2025-2026 \"bis\""), "2025-2026-bis");
    }
}
