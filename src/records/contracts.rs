//! Contracts (the convention): the parties, the qualification, the dates, hours and price,
//! the funding, and the semesters they derive (Articles 2 and 3).

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Columns, Filter, Reference, Resource, Scope, fetch};
use crate::auth::Caller;
use crate::db::{self, Db};
use crate::domain::billing;
use crate::domain::contract_kind::ContractKind;
use crate::domain::hours::Minutes;
use crate::domain::roles::Role;
use crate::domain::semester::{self, ContractDates, ScheduledSession, Semester};
use crate::domain::text;
use crate::error::{AppError, AppResult, Problems};
use crate::format;

pub struct Contracts;

#[derive(Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Contract {
    pub id: i64,
    pub student_id: i64,
    pub company_id: i64,
    pub tutor_id: i64,
    pub programme_id: i64,
    pub academic_year_id: i64,
    pub group_id: Option<i64>,
    /// `contrat de professionnalisation`.
    pub kind: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// The planned final defence (soutenance), end of S10.
    pub defence_date: Option<NaiveDate>,
    /// Place of the training (Article 2).
    pub place: String,
    /// Hours in the training centre planned for S9 (270 in the convention).
    #[sqlx(try_from = "i64")]
    #[schema(value_type = f64, example = 270)]
    pub planned_hours_s9: Minutes,
    /// Hours planned for S10 (210 in the convention).
    #[sqlx(try_from = "i64")]
    #[schema(value_type = f64, example = 210)]
    pub planned_hours_s10: Minutes,
    /// Price of S9 in cents, VAT-exempt (450000 in the convention).
    pub price_s9_cents: i64,
    pub price_s10_cents: i64,
    pub opco_name: String,
    /// Where the OPCO is told of a termination.
    pub opco_email: String,
    /// Payment by the OPCO under subrogation (Article 6).
    pub subrogation: bool,
    /// When the subrogation deed reached the school.
    pub subrogation_received_on: Option<NaiveDate>,
    /// When the OPCO agreed to fund; hours before it are billed to the company.
    pub opco_agreement_on: Option<NaiveDate>,
    /// OPCO coverage per hour when partial, in cents; null for full coverage.
    pub opco_hourly_cents: Option<i64>,
    /// Early termination (rupture anticipée), last day of the contract.
    pub termination_date: Option<NaiveDate>,
    pub termination_reason: Option<String>,
}

fn default_kind() -> String {
    "contrat de professionnalisation".to_owned()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    pub student_id: i64,
    pub company_id: i64,
    pub tutor_id: i64,
    pub programme_id: i64,
    pub academic_year_id: i64,
    #[serde(default)]
    pub group_id: Option<i64>,
    #[serde(default = "default_kind")]
    pub kind: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    #[serde(default)]
    pub defence_date: Option<NaiveDate>,
    pub place: String,
    /// Decimal hours, a whole number of minutes.
    #[schema(value_type = f64, example = 270)]
    pub planned_hours_s9: Minutes,
    #[schema(value_type = f64, example = 210)]
    pub planned_hours_s10: Minutes,
    pub price_s9_cents: i64,
    pub price_s10_cents: i64,
    #[serde(default)]
    pub opco_name: String,
    #[serde(default)]
    pub opco_email: String,
    #[serde(default)]
    pub subrogation: bool,
    #[serde(default)]
    pub subrogation_received_on: Option<NaiveDate>,
    #[serde(default)]
    pub opco_agreement_on: Option<NaiveDate>,
    #[serde(default)]
    pub opco_hourly_cents: Option<i64>,
    #[serde(default)]
    pub termination_date: Option<NaiveDate>,
    #[serde(default)]
    pub termination_reason: Option<String>,
}

impl Resource for Contracts {
    const PATH: &'static str = "contracts";
    const TABLE: &'static str = "contracts";
    const COLUMNS: &'static str = "id, student_id, company_id, tutor_id, programme_id, academic_year_id, \
        group_id, kind, start_date, end_date, defence_date, place, planned_minutes_s9 AS planned_hours_s9, \
        planned_minutes_s10 AS planned_hours_s10, price_s9_cents, price_s10_cents, opco_name, opco_email, subrogation, \
        subrogation_received_on, opco_agreement_on, opco_hourly_cents, termination_date, termination_reason";
    const FILTERS: &'static [Filter] = &[
        Filter::Id("student_id", "student_id"),
        Filter::Id("company_id", "company_id"),
        Filter::Id("tutor_id", "tutor_id"),
        Filter::Id("group_id", "group_id"),
        Filter::Id("academic_year_id", "academic_year_id"),
    ];
    const DESCRIPTION: &'static str = "Conventions de formation en alternance (contrat de professionnalisation ou d’apprentissage). \
        Un contact entreprise voit ceux de son entreprise, en cours ou terminés";
    const READ_ROLES: &'static str = "admin, company";
    type Row = Contract;
    type Input = ContractInput;

    fn scope(caller: &Caller) -> AppResult<Option<Scope>> {
        company_scope(caller, "company_id = {}")
    }

    fn columns(i: &ContractInput) -> AppResult<Columns> {
        let mut p = Problems::new();
        let kind = p.check(
            "kind",
            ContractKind::parse(&i.kind)
                .map(|k| k.as_str().to_owned())
                .ok_or_else(|| {
                    format!(
                        "« {} » : attendu « {} » ou « {} »",
                        i.kind.trim(),
                        ContractKind::Professionnalisation.as_str(),
                        ContractKind::Apprentissage.as_str()
                    )
                }),
        );
        let place = p.check("place", text::required(&i.place, 100));
        let opco = p.check("opco_name", text::optional(&i.opco_name, 200));
        let opco_email = if i.opco_email.trim().is_empty() {
            Some(String::new())
        } else {
            p.check("opco_email", text::email(&i.opco_email))
        };
        let reason = i
            .termination_reason
            .as_deref()
            .map(|r| {
                p.check("termination_reason", text::multiline_optional(r, 1000))
                    .unwrap_or_default()
            })
            .filter(|r| !r.is_empty());
        if i.end_date < i.start_date {
            p.add("end_date", "la fin du contrat précède son début");
        }
        if let Some(d) = i.defence_date
            && (d < i.start_date || d > i.end_date)
        {
            p.add(
                "defence_date",
                "la soutenance doit tomber entre le début et la fin du contrat",
            );
        }
        if let Some(t) = i.termination_date {
            if t > i.end_date {
                p.add(
                    "termination_date",
                    "la rupture doit précéder la fin prévue du contrat",
                );
            }
            if reason.is_none() {
                p.add(
                    "termination_reason",
                    "le motif de la rupture est obligatoire",
                );
            }
        } else if reason.is_some() {
            p.add(
                "termination_date",
                "un motif de rupture sans date de rupture",
            );
        }
        for (field, cents) in [
            ("price_s9_cents", Some(i.price_s9_cents)),
            ("price_s10_cents", Some(i.price_s10_cents)),
            ("opco_hourly_cents", i.opco_hourly_cents),
        ] {
            if cents.is_some_and(|c| !(0..=100_000_000).contains(&c)) {
                p.add(field, "montant en centimes entre 0 et 100 000 000 attendu");
            }
        }
        for (field, hours) in [
            ("planned_hours_s9", i.planned_hours_s9),
            ("planned_hours_s10", i.planned_hours_s10),
        ] {
            if hours.0 > 2000 * 60 {
                p.add(field, "au plus 2 000 heures par semestre");
            }
        }
        // Article 6: the OPCO covers at most the price of an hour.
        if let Some(hourly) = i.opco_hourly_cents {
            for (semester, price, planned) in [
                ("S9", i.price_s9_cents, i.planned_hours_s9),
                ("S10", i.price_s10_cents, i.planned_hours_s10),
            ] {
                if billing::coverage_exceeds(hourly, price, planned.0) {
                    p.add(
                        "opco_hourly_cents",
                        format!(
                            "la prise en charge de l’OPCO ({} €/h) dépasse la valeur horaire du semestre {semester} ({} €/h)",
                            format::euros(hourly),
                            format::euros(billing::hourly_value_cents(price, planned.0))
                        ),
                    );
                    break;
                }
            }
        }
        if i.subrogation && opco.as_deref().unwrap_or("").is_empty() {
            p.add(
                "opco_name",
                "le nom de l’OPCO est obligatoire avec la subrogation : il est facturé",
            );
        }
        for (field, price, planned) in [
            ("planned_hours_s9", i.price_s9_cents, i.planned_hours_s9),
            ("planned_hours_s10", i.price_s10_cents, i.planned_hours_s10),
        ] {
            if price > 0 && planned.0 == 0 {
                p.add(
                    field,
                    "un semestre qui a un prix a des heures prévues : le prix se répartit sur elles",
                );
            }
        }
        if i.subrogation_received_on.is_some() && !i.subrogation {
            p.add(
                "subrogation_received_on",
                "date d’acte de subrogation sans subrogation",
            );
        }
        p.into_result()?;
        Ok(vec![
            ("student_id", i.student_id.into()),
            ("company_id", i.company_id.into()),
            ("tutor_id", i.tutor_id.into()),
            ("programme_id", i.programme_id.into()),
            ("academic_year_id", i.academic_year_id.into()),
            ("group_id", i.group_id.into()),
            ("kind", kind.unwrap_or_default().into()),
            ("start_date", i.start_date.into()),
            ("end_date", i.end_date.into()),
            ("defence_date", i.defence_date.into()),
            ("place", place.unwrap_or_default().into()),
            ("planned_minutes_s9", i.planned_hours_s9.0.into()),
            ("planned_minutes_s10", i.planned_hours_s10.0.into()),
            ("price_s9_cents", i.price_s9_cents.into()),
            ("price_s10_cents", i.price_s10_cents.into()),
            ("opco_name", opco.unwrap_or_default().into()),
            ("opco_email", opco_email.unwrap_or_default().into()),
            ("subrogation", i.subrogation.into()),
            ("subrogation_received_on", i.subrogation_received_on.into()),
            ("opco_agreement_on", i.opco_agreement_on.into()),
            ("opco_hourly_cents", i.opco_hourly_cents.into()),
            ("termination_date", i.termination_date.into()),
            ("termination_reason", reason.into()),
        ])
    }

    fn references(i: &ContractInput) -> Vec<Reference> {
        vec![
            Reference::new("student_id", "students", i.student_id),
            Reference::new("company_id", "companies", i.company_id),
            Reference::new("tutor_id", "tutors", i.tutor_id),
            Reference::new("programme_id", "programmes", i.programme_id),
            Reference::new("academic_year_id", "academic_years", i.academic_year_id),
            Reference::new("group_id", "student_groups", i.group_id),
        ]
    }

    async fn check(db: &Db, i: &ContractInput, id: Option<i64>) -> AppResult<()> {
        // A termination is told to the OPCO and the DREETS: it has its own action, which
        // sends the notices; a plain edit must leave it as it is.
        let recorded: Option<Contract> = match id {
            None => None,
            Some(id) => Some(fetch::<Contracts>(db, id).await?),
        };
        let (date, reason) = recorded.as_ref().map_or((None, None), |c| {
            (c.termination_date, c.termination_reason.clone())
        });
        let given_reason = i
            .termination_reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        if i.termination_date != date || given_reason != reason.as_deref() {
            return Err(AppError::field(
                "termination_date",
                "une rupture ou un désistement s’enregistre par POST /api/v1/contracts/{id}/termination, \
                 qui prévient l’OPCO et la DREETS ; laissez ici la date et le motif enregistrés",
            ));
        }
        // The final statement sent with the notices rests on these: once terminated, they stay.
        if let Some(c) = recorded.as_ref().filter(|c| c.termination_date.is_some()) {
            let frozen = [
                ("start_date", c.start_date != i.start_date),
                ("end_date", c.end_date != i.end_date),
                ("defence_date", c.defence_date != i.defence_date),
                ("planned_hours_s9", c.planned_hours_s9 != i.planned_hours_s9),
                (
                    "planned_hours_s10",
                    c.planned_hours_s10 != i.planned_hours_s10,
                ),
                ("price_s9_cents", c.price_s9_cents != i.price_s9_cents),
                ("price_s10_cents", c.price_s10_cents != i.price_s10_cents),
            ];
            if let Some((field, _)) = frozen.iter().find(|(_, changed)| *changed) {
                return Err(AppError::field(
                    *field,
                    "contrat rompu : ses dates, heures et prix sont ceux du relevé final envoyé à l’OPCO et à la DREETS",
                ));
            }
        }
        let tutor_company = db::parties::tutor_company(db, i.tutor_id).await?;
        if tutor_company != i.company_id {
            return Err(AppError::field(
                "tutor_id",
                "ce tuteur appartient à une autre entreprise",
            ));
        }
        let year = crate::db::years::by_id(db, i.academic_year_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if i.start_date < year.starts_on || i.start_date > year.ends_on {
            return Err(AppError::field(
                "start_date",
                format!(
                    "le contrat doit commencer pendant l’année {} (du {} au {})",
                    year.name,
                    format::date(year.starts_on),
                    format::date(year.ends_on)
                ),
            ));
        }
        if let Some(group) = i.group_id {
            let group_year = db::programmes::group_year(db, group).await?;
            if group_year != i.academic_year_id {
                return Err(AppError::field(
                    "group_id",
                    "ce groupe appartient à une autre année",
                ));
            }
        }
        // One student, one contract at a time.
        let overlapping = db::records::contract_overlapping(
            db,
            i.student_id,
            id,
            i.termination_date.unwrap_or(i.end_date).min(i.end_date),
            i.start_date,
        )
        .await?;
        if let Some(other) = overlapping {
            return Err(AppError::field(
                "student_id",
                format!("cette personne a déjà un contrat sur ces dates (n° {other})"),
            ));
        }
        // A terminated contract's hours are those of its final statement: left as they are.
        let terminated = recorded
            .as_ref()
            .is_some_and(|c| c.termination_date.is_some());
        if let (Some(group), false) = (i.group_id, terminated) {
            check_capacity(db, i, group, year.starts_on).await?;
        }
        Ok(())
    }
}

/// The most minutes one school day holds when the school profile does not say (8 h): the
/// default of the profile's `school_day_max_minutes`.
pub const DEFAULT_SCHOOL_DAY_MINUTES: i64 = 8 * 60;

/// Article 2 plans each semester's hours: they must fit in the days that the contract's
/// dates and its group's calendar give it — the sessions already scheduled, plus each school
/// day without a session at the school day's maximum (the school profile's, 8 h by default).
async fn check_capacity(
    db: &Db,
    i: &ContractInput,
    group: i64,
    academic_year_start: NaiveDate,
) -> AppResult<()> {
    let dates = ContractDates {
        academic_year_start,
        start: i.start_date,
        end: i.end_date,
        defence: i.defence_date,
        termination: None,
    };
    let (from, to) = (dates.start, dates.last_day());
    if to < from {
        return Ok(());
    }
    let calendar = db::programmes::group_calendar(db, group).await?;
    let rows = db::sessions::of_group_between(db, group, from, to).await?;
    let sessions: Vec<ScheduledSession> = rows
        .into_iter()
        .map(|(id, date, a, b)| ScheduledSession {
            id,
            date,
            minutes: Minutes::between(a, b),
        })
        .collect();
    let days = crate::db::calendars::days(db, calendar, from, to).await?;
    let per_day = db::records::school_day_max_minutes(db).await?;
    let per_day = Minutes(per_day.unwrap_or(DEFAULT_SCHOOL_DAY_MINUTES));
    let periods = semester::semesters(&dates);
    let mut p = Problems::new();
    for (semester, field, planned) in [
        (Semester::S9, "planned_hours_s9", i.planned_hours_s9),
        (Semester::S10, "planned_hours_s10", i.planned_hours_s10),
    ] {
        let Some(period) = periods.iter().find(|p| p.semester == semester) else {
            if planned.0 > 0 {
                p.add(
                    field,
                    format!("le contrat ne couvre aucun jour du semestre {semester} : 0 h y tient"),
                );
            }
            continue;
        };
        let cap = semester::capacity(period, &sessions, &days, per_day);
        if planned > cap.total() {
            p.add(
                field,
                format!(
                    "{} prévues, mais au plus {} tiennent du {} au {} dans le calendrier du groupe : \
                     {} de séances programmées et {} jour(s) d’école sans séance × {}",
                    format::hours(planned.0),
                    format::hours(cap.total().0),
                    format::date(period.from),
                    format::date(period.to),
                    format::hours(cap.scheduled.0),
                    cap.free_school_days,
                    format::hours(per_day.0)
                ),
            );
        }
    }
    p.into_result()
}

/// How one semester of a contract is covered by the scheduled sessions of its group.
#[derive(Debug, Serialize, ToSchema)]
pub struct SemesterReport {
    #[schema(value_type = String, example = "S9")]
    pub semester: Semester,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Contractual hours of the semester.
    pub planned_hours: f64,
    /// Hours of the group's sessions inside the semester and the contract.
    pub scheduled_hours: f64,
    pub planned_minutes: i64,
    pub scheduled_minutes: i64,
    /// Scheduled minus planned, in hours: negative when sessions are missing.
    pub gap_hours: f64,
    pub session_count: usize,
    /// Whether the scheduled sessions add up exactly to the planned hours.
    pub matches: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutsideSession {
    pub id: i64,
    pub day: NaiveDate,
    #[schema(value_type = String)]
    pub starts_at: NaiveTime,
    #[schema(value_type = String)]
    pub ends_at: NaiveTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SemestersReport {
    pub contract_id: i64,
    pub group_id: Option<i64>,
    /// Last day of training: the defence, the end, or the termination if earlier.
    pub last_day: NaiveDate,
    /// The contract was withdrawn before it started (Article 7): no semester.
    pub withdrawn: bool,
    pub semesters: Vec<SemesterReport>,
    /// Sessions of the group dated before the contract starts or after it ends.
    pub sessions_outside_contract: Vec<OutsideSession>,
    /// What does not add up, in French.
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanningReport {
    pub academic_year_id: i64,
    /// How many contracts the year has.
    pub contract_count: usize,
    /// How many of them have a warning.
    pub with_warnings: usize,
    pub contracts: Vec<SemestersReport>,
}

/// The semesters of every contract of a year checked against the scheduled sessions: where
/// the hours do not add up, and which sessions fall outside a contract (only the contracts
/// with a warning if `only_warnings`).
pub async fn planning(db: &Db, year: i64, only_warnings: bool) -> AppResult<PlanningReport> {
    fetch::<super::years::Years>(db, year).await?;
    let ids = db::records::contract_ids_of_year(db, year).await?;
    let mut contracts = Vec::with_capacity(ids.len());
    for id in &ids {
        contracts.push(semester_report(db, *id).await?);
    }
    let with_warnings = contracts.iter().filter(|c| !c.warnings.is_empty()).count();
    if only_warnings {
        contracts.retain(|c| !c.warnings.is_empty());
    }
    Ok(PlanningReport {
        academic_year_id: year,
        contract_count: ids.len(),
        with_warnings,
        contracts,
    })
}

/// Derives the semesters of a contract and checks them against the scheduled sessions.
pub async fn semester_report(db: &Db, id: i64) -> AppResult<SemestersReport> {
    let c = fetch::<Contracts>(db, id).await?;
    let year_start = crate::db::years::by_id(db, c.academic_year_id)
        .await?
        .ok_or(AppError::NotFound)?
        .starts_on;
    let sessions = match c.group_id {
        None => Vec::new(),
        Some(group) => db::sessions::of_group(db, group).await?,
    };
    let dates = ContractDates {
        academic_year_start: year_start,
        start: c.start_date,
        end: c.end_date,
        defence: c.defence_date,
        termination: c.termination_date,
    };
    let scheduled: Vec<ScheduledSession> = sessions
        .iter()
        .map(|s| ScheduledSession {
            id: s.id,
            date: s.day,
            minutes: Minutes::between(s.starts_at, s.ends_at),
        })
        .collect();
    let periods = semester::semesters(&dates);
    let coverage = semester::coverage(
        &periods,
        c.planned_hours_s9,
        c.planned_hours_s10,
        &scheduled,
        dates.termination,
    );
    let outside_ids = semester::sessions_outside(&dates, &scheduled);

    let mut warnings = Vec::new();
    if c.group_id.is_none() {
        warnings
            .push("le contrat n’a pas de groupe : aucune séance ne lui est programmée".to_owned());
    }
    let semesters: Vec<SemesterReport> = coverage
        .iter()
        .map(|cov| {
            if !cov.matches() {
                warnings.push(format!(
                    "{} (du {} au {}) : {} programmées pour {} prévues",
                    cov.semester.as_str(),
                    format::date(cov.from),
                    format::date(cov.to),
                    format::hours(cov.scheduled.0),
                    format::hours(cov.planned.0)
                ));
            }
            SemesterReport {
                semester: cov.semester,
                from: cov.from,
                to: cov.to,
                planned_hours: cov.planned.hours(),
                scheduled_hours: cov.scheduled.hours(),
                planned_minutes: cov.planned.0,
                scheduled_minutes: cov.scheduled.0,
                gap_hours: cov.gap() as f64 / 60.0,
                session_count: cov.session_count,
                matches: cov.matches(),
            }
        })
        .collect();
    let outside: Vec<OutsideSession> = sessions
        .iter()
        .filter(|s| outside_ids.contains(&s.id))
        .map(|s| OutsideSession {
            id: s.id,
            day: s.day,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
        })
        .collect();
    if !outside.is_empty() {
        warnings.push(format!(
            "{} séance(s) du groupe hors des dates du contrat",
            outside.len()
        ));
    }
    Ok(SemestersReport {
        contract_id: c.id,
        group_id: c.group_id,
        last_day: dates.last_day(),
        withdrawn: dates.is_withdrawn_before_start(),
        semesters,
        sessions_outside_contract: outside,
        warnings,
    })
}

/// An admin reads every record; a company contact (issue 19) those `condition` keeps for
/// their company (`{}` its id); everyone else nothing.
pub(crate) fn company_scope(caller: &Caller, condition: &str) -> AppResult<Option<Scope>> {
    match caller.role {
        Role::Admin => Ok(None),
        Role::Company => caller
            .company_id
            .map(|id| {
                Some(Scope {
                    condition: condition.to_owned(),
                    id,
                })
            })
            .ok_or(AppError::Forbidden),
        _ => Err(AppError::Forbidden),
    }
}
