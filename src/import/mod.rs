//! Importing a school year from spreadsheets: companies, tutors, students and contracts as
//! CSV files (README « Importing from CSV »).
//!
//! All or nothing: the files are read ([`parse`]), then, in one write transaction, every
//! line is matched on its natural key (company: SIRET; tutor, student: e-mail; contract:
//! student and start date), its references resolved — against the database or the files of
//! the same import — and checked with the API's rules. Only when no line anywhere is wrong
//! is anything written, in dependency order and in batches. Identical lines change nothing,
//! so the same files imported twice leave the database as it was.

pub mod parse;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value as Json;
use utoipa::ToSchema;

use crate::db::{Db, Tx, Value};
use crate::domain::text::date_fr;
use crate::error::{AppError, AppResult, LineError};
use crate::http::contracts::{Contract, Contracts};
use crate::http::crud::{Columns, Resource};
use crate::http::parties::{Companies, Company, Student, Students, Tutor, Tutors};
use crate::{bind_values, tx_run};
pub use parse::Kind;
use parse::{Parsed, Record, error};

/// What an import does with one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineReport {
    /// The line in the file, the header being line 1.
    pub line: usize,
    pub action: Action,
    /// The natural key: SIRET, e-mail, or for a contract the student's e-mail and start date.
    pub key: String,
    /// For an update, the columns whose value changes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KindReport {
    pub kind: Kind,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub lines: Vec<LineReport>,
}

/// What an import did, or in a dry run what it would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct Report {
    pub dry_run: bool,
    /// Whether the changes were written (never in a dry run).
    pub applied: bool,
    /// One entry per file given, in the order they are applied.
    pub kinds: Vec<KindReport>,
}

/// Who runs an import, for the import log.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Api,
    Cli,
}

pub struct Options {
    /// Check everything and report, but write nothing.
    pub dry_run: bool,
    pub source: Source,
    pub user_id: Option<i64>,
    pub now: DateTime<Utc>,
}

/// Imports the files (at most one per kind). Any bad line in any file fails the whole
/// import with [`AppError::BadLines`], listing every one of them; nothing is written then.
pub async fn run(db: &Db, files: Vec<(Kind, Vec<u8>)>, options: &Options) -> AppResult<Report> {
    // Reading 20 MB of CSV takes a while: off the async workers.
    let files = tokio::task::spawn_blocking(move || {
        let mut parsed: Vec<Parsed> = files
            .iter()
            .map(|(kind, bytes)| parse::parse_file(*kind, bytes))
            .collect();
        parsed.sort_by_key(|p| p.kind);
        parsed
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;

    let mut tx = db.begin_write().await?;
    let stored = match Stored::load(&mut tx).await {
        Ok(s) => s,
        Err(e) => {
            rollback(tx).await;
            return Err(e);
        }
    };
    let plan = plan(&stored, &files);
    if !plan.errors.is_empty() {
        rollback(tx).await;
        let mut errors = plan.errors;
        let order = |file: &str| Kind::parse(file).map_or(usize::MAX, |k| k as usize);
        errors.sort_by(|a, b| (order(&a.file), a.line).cmp(&(order(&b.file), b.line)));
        return Err(AppError::BadLines(errors));
    }
    // A dry run writes too, then rolls back: what it reports is what the database accepted.
    if let Err(e) = write(&mut tx, &plan).await {
        rollback(tx).await;
        return Err(e);
    }
    let report = plan.report(options.dry_run);
    if options.dry_run {
        rollback(tx).await;
        return Ok(report);
    }
    let summary = serde_json::to_string(&Summary::of(&report)).unwrap_or_default();
    let source = match options.source {
        Source::Api => "api",
        Source::Cli => "cli",
    };
    tx_run!(&mut tx, |conn| sqlx::query(
        "INSERT INTO imports (imported_at, source, user_id, summary) VALUES ($1, $2, $3, $4)"
    )
    .bind(options.now)
    .bind(source)
    .bind(options.user_id)
    .bind(&summary)
    .execute(&mut *conn)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(report)
}

/// The counts of an applied import, kept in the import log.
#[derive(Serialize)]
struct Summary(HashMap<Kind, [usize; 3]>);

impl Summary {
    fn of(report: &Report) -> Summary {
        Summary(
            report
                .kinds
                .iter()
                .map(|k| (k.kind, [k.created, k.updated, k.unchanged]))
                .collect(),
        )
    }
}

async fn rollback(tx: Tx) {
    let done = match tx {
        Tx::Sqlite(t, _writer) => t.rollback().await,
        Tx::Postgres(t) => t.rollback().await,
    };
    if let Err(e) = done {
        tracing::warn!(error = %e, "import: rollback failed");
    }
}

/// What the database holds, read once inside the import's transaction.
struct Stored {
    companies: Vec<Company>,
    tutors: Vec<Tutor>,
    students: Vec<Student>,
    contracts: Vec<Contract>,
    /// (id, department, option)
    programmes: Vec<(i64, String, String)>,
    /// (id, name, starts_on, ends_on)
    years: Vec<(i64, String, NaiveDate, NaiveDate)>,
    /// (id, academic year, name)
    groups: Vec<(i64, i64, String)>,
}

async fn load<R: Resource>(tx: &mut Tx) -> AppResult<Vec<R::Row>> {
    let sql = format!("SELECT {} FROM {}", R::COLUMNS, R::TABLE);
    Ok(tx_run!(tx, |conn| sqlx::query_as::<_, R::Row>(&sql)
        .fetch_all(&mut *conn)
        .await)?)
}

impl Stored {
    async fn load(tx: &mut Tx) -> AppResult<Stored> {
        let programmes = tx_run!(&mut *tx, |conn| sqlx::query_as(
            "SELECT id, department, option_name FROM programmes"
        )
        .fetch_all(&mut *conn)
        .await)?;
        let years = tx_run!(&mut *tx, |conn| sqlx::query_as(
            "SELECT id, name, starts_on, ends_on FROM academic_years"
        )
        .fetch_all(&mut *conn)
        .await)?;
        let groups = tx_run!(&mut *tx, |conn| sqlx::query_as(
            "SELECT id, academic_year_id, name FROM student_groups"
        )
        .fetch_all(&mut *conn)
        .await)?;
        Ok(Stored {
            companies: load::<Companies>(tx).await?,
            tutors: load::<Tutors>(tx).await?,
            students: load::<Students>(tx).await?,
            contracts: load::<Contracts>(tx).await?,
            programmes,
            years,
            groups,
        })
    }
}

enum Step {
    Create,
    /// The database columns whose value changes.
    Update(Vec<&'static str>),
    Keep,
}

/// One line of a file, checked and ready to write.
struct Planned {
    line: usize,
    key: String,
    /// The record's id; negative for a record this import creates, until it is written.
    id: i64,
    columns: Columns,
    step: Step,
}

struct Plan {
    kinds: Vec<(Kind, Vec<Planned>)>,
    errors: Vec<LineError>,
}

impl Plan {
    fn report(&self, dry_run: bool) -> Report {
        let kinds = self
            .kinds
            .iter()
            .map(|(kind, rows)| {
                let lines: Vec<LineReport> = rows
                    .iter()
                    .map(|p| {
                        let (action, changed) = match &p.step {
                            Step::Create => (Action::Created, Vec::new()),
                            Step::Keep => (Action::Unchanged, Vec::new()),
                            Step::Update(columns) => {
                                let mut names: Vec<String> = Vec::new();
                                for c in columns {
                                    let name = kind.column(c).map_or(*c, |c| c.name).to_owned();
                                    if !names.contains(&name) {
                                        names.push(name);
                                    }
                                }
                                (Action::Updated, names)
                            }
                        };
                        LineReport {
                            line: p.line,
                            action,
                            key: p.key.clone(),
                            changed,
                        }
                    })
                    .collect();
                let count = |a: Action| lines.iter().filter(|l| l.action == a).count();
                KindReport {
                    kind: *kind,
                    created: count(Action::Created),
                    updated: count(Action::Updated),
                    unchanged: count(Action::Unchanged),
                    lines,
                }
            })
            .collect();
        Report {
            dry_run,
            applied: !dry_run,
            kinds,
        }
    }
}

/// Ids handed to the records an import creates, before the database gives the real ones.
struct Placeholders(i64);

impl Placeholders {
    fn next(&mut self) -> i64 {
        self.0 -= 1;
        self.0
    }
}

/// Checks one record with the API's rules over its stored version, and says what to do.
fn step<R: Resource>(
    kind: Kind,
    record: &Record,
    existing: Option<&R::Row>,
    id: i64,
    ids: &[(&'static str, Json)],
    errors: &mut Vec<LineError>,
) -> Option<Planned> {
    let stored = existing.and_then(|row| serde_json::to_value(row).ok());
    let columns = match parse::to_columns::<R>(kind, record, stored.as_ref(), ids) {
        Ok(c) => c,
        Err(e) => {
            errors.extend(e);
            return None;
        }
    };
    let step = match &stored {
        None => Step::Create,
        Some(stored) => {
            let changed: Vec<&'static str> = match parse::stored_columns::<R>(stored) {
                Some(before) => columns
                    .iter()
                    .filter(|(name, value)| {
                        before.iter().find(|(n, _)| n == name).map(|(_, v)| v) != Some(value)
                    })
                    .map(|(name, _)| *name)
                    .collect(),
                None => columns.iter().map(|(name, _)| *name).collect(),
            };
            if changed.is_empty() {
                Step::Keep
            } else {
                Step::Update(changed)
            }
        }
    };
    Some(Planned {
        line: record.line,
        key: record.key.clone().unwrap_or_default(),
        id,
        columns,
        step,
    })
}

/// Finds a record by a name typed by people: exactly, or else ignoring case.
fn by_name<'a, T>(items: impl Iterator<Item = (&'a str, T)>, wanted: &str) -> Vec<T> {
    let wanted = wanted.trim();
    let mut exact = Vec::new();
    let mut folded = Vec::new();
    for (name, item) in items {
        if name == wanted {
            exact.push(item);
        } else if name.to_lowercase() == wanted.to_lowercase() {
            folded.push(item);
        }
    }
    if exact.is_empty() { folded } else { exact }
}

fn date_of(columns: &Columns, name: &str) -> Option<NaiveDate> {
    columns.iter().find_map(|(n, v)| match v {
        Value::Date(d) if *n == name => *d,
        _ => None,
    })
}

/// A tutor as contracts see it: their id and company once the import is applied.
enum TutorRef {
    One {
        id: i64,
        company: Option<i64>,
    },
    /// Several stored tutors share the address: a contract cannot tell which.
    Several(Vec<i64>),
}

/// Where a contract's dates come from, for the one-contract-at-a-time rule.
enum Origin {
    Line(usize),
    Stored(i64),
}

fn plan(stored: &Stored, files: &[Parsed]) -> Plan {
    let mut errors: Vec<LineError> = files.iter().flat_map(|f| f.errors.clone()).collect();
    let mut kinds = Vec::new();
    let mut placeholders = Placeholders(0);
    let file = |kind: Kind| files.iter().find(|f| f.kind == kind);

    // Companies, by SIRET.
    let companies: HashMap<&str, &Company> = stored
        .companies
        .iter()
        .map(|c| (c.siret.as_str(), c))
        .collect();
    let mut company_ids: HashMap<String, i64> = stored
        .companies
        .iter()
        .map(|c| (c.siret.clone(), c.id))
        .collect();
    if let Some(f) = file(Kind::Companies) {
        let mut rows = Vec::new();
        for r in &f.records {
            let existing = r.key.as_deref().and_then(|k| companies.get(k)).copied();
            let id = existing.map_or_else(|| placeholders.next(), |c| c.id);
            if let Some(key) = &r.key {
                company_ids.insert(key.clone(), id);
            }
            rows.extend(step::<Companies>(
                Kind::Companies,
                r,
                existing,
                id,
                &[],
                &mut errors,
            ));
        }
        kinds.push((Kind::Companies, rows));
    }
    let company_of = |r: &Record, kind: Kind, errors: &mut Vec<LineError>| -> Option<i64> {
        let siret = r.reference("company_siret")?;
        let found = company_ids.get(siret).copied();
        if found.is_none() {
            errors.push(error(
                kind,
                r.line,
                Some("company_siret"),
                format!(
                    "entreprise inconnue : aucun SIRET « {siret} » dans la base ni dans le fichier des entreprises"
                ),
            ));
        }
        found
    };

    // Tutors, by e-mail (not unique in the database: several matches are refused).
    let mut stored_tutors: HashMap<&str, Vec<&Tutor>> = HashMap::new();
    for t in &stored.tutors {
        stored_tutors.entry(t.email.as_str()).or_default().push(t);
    }
    let mut tutors: HashMap<String, TutorRef> = stored_tutors
        .iter()
        .map(|(email, found)| {
            let found = match found.as_slice() {
                [t] => TutorRef::One {
                    id: t.id,
                    company: Some(t.company_id),
                },
                several => TutorRef::Several(several.iter().map(|t| t.id).collect()),
            };
            ((*email).to_owned(), found)
        })
        .collect();
    // Tutors whose company changes: (line, tutor, new company).
    let mut moved: Vec<(usize, i64, i64)> = Vec::new();
    if let Some(f) = file(Kind::Tutors) {
        let mut rows = Vec::new();
        for r in &f.records {
            let company = company_of(r, Kind::Tutors, &mut errors);
            let existing = match r.key.as_deref().and_then(|k| stored_tutors.get(k)) {
                None => None,
                Some(found) if found.len() == 1 => Some(found[0]),
                Some(found) => {
                    errors.push(several_tutors(Kind::Tutors, r.line, "email", found));
                    continue;
                }
            };
            let id = existing.map_or_else(|| placeholders.next(), |t| t.id);
            if let Some(key) = &r.key {
                tutors.insert(
                    key.clone(),
                    TutorRef::One {
                        id,
                        company: company.or(existing.map(|t| t.company_id)),
                    },
                );
            }
            let ids = [("company_id", Json::from(company.unwrap_or(0)))];
            let planned = step::<Tutors>(Kind::Tutors, r, existing, id, &ids, &mut errors);
            if let (Some(p), Some(company)) = (&planned, company)
                && matches!(&p.step, Step::Update(c) if c.contains(&"company_id"))
            {
                moved.push((r.line, id, company));
            }
            rows.extend(planned);
        }
        kinds.push((Kind::Tutors, rows));
    }

    // Students, by e-mail.
    let students: HashMap<&str, &Student> = stored
        .students
        .iter()
        .map(|s| (s.email.as_str(), s))
        .collect();
    let mut student_ids: HashMap<String, i64> = stored
        .students
        .iter()
        .map(|s| (s.email.clone(), s.id))
        .collect();
    if let Some(f) = file(Kind::Students) {
        let mut rows = Vec::new();
        for r in &f.records {
            let existing = r.key.as_deref().and_then(|k| students.get(k)).copied();
            let id = existing.map_or_else(|| placeholders.next(), |s| s.id);
            if let Some(key) = &r.key {
                student_ids.insert(key.clone(), id);
            }
            rows.extend(step::<Students>(
                Kind::Students,
                r,
                existing,
                id,
                &[],
                &mut errors,
            ));
        }
        kinds.push((Kind::Students, rows));
    }

    // Contracts, by student and start date.
    let mut touched: HashSet<i64> = HashSet::new();
    let mut spans: HashMap<i64, Vec<(NaiveDate, NaiveDate, Origin)>> = HashMap::new();
    if let Some(f) = file(Kind::Contracts) {
        let mut stored_contracts: HashMap<(i64, NaiveDate), Vec<&Contract>> = HashMap::new();
        for c in &stored.contracts {
            stored_contracts
                .entry((c.student_id, c.start_date))
                .or_default()
                .push(c);
        }
        let mut rows = Vec::new();
        for r in &f.records {
            let kind = Kind::Contracts;
            let mut ids: Vec<(&'static str, Json)> = Vec::new();
            let student = r.reference("student_email").and_then(|email| {
                let found = student_ids.get(email).copied();
                if found.is_none() {
                    errors.push(error(
                        kind,
                        r.line,
                        Some("student_email"),
                        format!(
                            "salarié·e inconnu·e : aucune adresse « {email} » dans la base ni dans le fichier des salarié·es"
                        ),
                    ));
                }
                found
            });
            let company = company_of(r, kind, &mut errors);
            let tutor = match r.reference("tutor_email").map(|e| (e, tutors.get(e))) {
                None => None,
                Some((email, None)) => {
                    errors.push(error(
                        kind,
                        r.line,
                        Some("tutor_email"),
                        format!(
                            "tuteur inconnu : aucune adresse « {email} » dans la base ni dans le fichier des tuteurs"
                        ),
                    ));
                    None
                }
                Some((_, Some(TutorRef::Several(ids)))) => {
                    let found: Vec<&Tutor> = stored
                        .tutors
                        .iter()
                        .filter(|t| ids.contains(&t.id))
                        .collect();
                    errors.push(several_tutors(kind, r.line, "tutor_email", &found));
                    None
                }
                Some((_, Some(TutorRef::One { id, company: tc }))) => {
                    if let (Some(tc), Some(c)) = (tc, company)
                        && *tc != c
                    {
                        errors.push(error(
                            kind,
                            r.line,
                            Some("tutor_email"),
                            "ce tuteur appartient à une autre entreprise que celle du contrat",
                        ));
                    }
                    Some(*id)
                }
            };
            let programme = r.reference("department").and_then(|department| {
                let option = r.reference("option_name").unwrap_or("");
                let of_department = by_name(
                    stored.programmes.iter().map(|p| (p.1.as_str(), p)),
                    department,
                );
                let found = by_name(of_department.iter().map(|p| (p.2.as_str(), p.0)), option);
                if found.len() == 1 {
                    return Some(found[0]);
                }
                let options: Vec<String> = of_department
                    .iter()
                    .map(|p| {
                        if p.2.is_empty() {
                            "(sans option)".to_owned()
                        } else {
                            format!("« {} »", p.2)
                        }
                    })
                    .collect();
                let asked = if option.is_empty() {
                    "sans option".to_owned()
                } else {
                    format!("option « {option} »")
                };
                let message = if of_department.is_empty() {
                    format!("programme inconnu : aucun département « {department} »")
                } else {
                    format!(
                        "programme inconnu : département « {department} », {asked} (options du département : {})",
                        options.join(", ")
                    )
                };
                let column = if of_department.is_empty() {
                    "department"
                } else {
                    "option_name"
                };
                errors.push(error(kind, r.line, Some(column), message));
                None
            });
            let year = r.reference("academic_year").and_then(|name| {
                let found = by_name(stored.years.iter().map(|y| (y.1.as_str(), y)), name);
                if found.len() != 1 {
                    let known: Vec<&str> = stored.years.iter().map(|y| y.1.as_str()).collect();
                    errors.push(error(
                        kind,
                        r.line,
                        Some("academic_year"),
                        format!(
                            "année inconnue « {name} » (années connues : {})",
                            known.join(", ")
                        ),
                    ));
                }
                (found.len() == 1).then(|| found[0])
            });
            if let Some(name) = r.reference("group") {
                if name.is_empty() {
                    ids.push(("group_id", Json::Null));
                } else if let Some(year) = year {
                    let found = by_name(
                        stored
                            .groups
                            .iter()
                            .filter(|g| g.1 == year.0)
                            .map(|g| (g.2.as_str(), g.0)),
                        name,
                    );
                    match found.as_slice() {
                        [id] => ids.push(("group_id", Json::from(*id))),
                        _ => errors.push(error(
                            kind,
                            r.line,
                            Some("group"),
                            format!("aucun groupe « {name} » pour l'année {}", year.1),
                        )),
                    }
                }
            }
            let existing = match (student, r.date("start_date")) {
                (Some(student), Some(start)) => match stored_contracts.get(&(student, start)) {
                    None => None,
                    Some(found) if found.len() == 1 => Some(found[0]),
                    Some(found) => {
                        errors.push(error(
                            kind,
                            r.line,
                            Some("start_date"),
                            format!(
                                "plusieurs contrats de ce·tte salarié·e commencent ce jour-là (n° {}) : corrigez-les d'abord",
                                found.iter().map(|c| c.id.to_string()).collect::<Vec<_>>().join(", ")
                            ),
                        ));
                        continue;
                    }
                },
                _ => None,
            };
            if let Some(c) = existing {
                touched.insert(c.id);
            }
            let id = existing.map_or_else(|| placeholders.next(), |c| c.id);
            for (field, value) in [
                ("student_id", student),
                ("company_id", company),
                ("tutor_id", tutor),
                ("programme_id", programme),
                ("academic_year_id", year.map(|y| y.0)),
            ] {
                ids.push((field, Json::from(value.unwrap_or(0))));
            }
            let Some(planned) = step::<Contracts>(kind, r, existing, id, &ids, &mut errors) else {
                continue;
            };
            let (Some(start), Some(end)) = (
                date_of(&planned.columns, "start_date"),
                date_of(&planned.columns, "end_date"),
            ) else {
                continue;
            };
            if let Some((_, name, starts_on, ends_on)) = year
                && (start < *starts_on || start > *ends_on)
            {
                errors.push(error(
                    kind,
                    r.line,
                    Some("start_date"),
                    format!(
                        "le contrat doit commencer pendant l'année {name} (du {} au {})",
                        date_fr(*starts_on),
                        date_fr(*ends_on)
                    ),
                ));
            }
            if let Some(student) = student {
                let last =
                    date_of(&planned.columns, "termination_date").map_or(end, |t| t.min(end));
                spans
                    .entry(student)
                    .or_default()
                    .push((start, last, Origin::Line(r.line)));
            }
            rows.push(planned);
        }
        kinds.push((Kind::Contracts, rows));
    }

    // One student, one contract at a time: the stored contracts the files leave alone
    // count too.
    if !spans.is_empty() {
        for c in &stored.contracts {
            if touched.contains(&c.id) {
                continue;
            }
            if let Some(student) = spans.get_mut(&c.student_id) {
                let last = c.termination_date.map_or(c.end_date, |t| t.min(c.end_date));
                student.push((c.start_date, last, Origin::Stored(c.id)));
            }
        }
        for list in spans.values() {
            for (i, (start_a, last_a, a)) in list.iter().enumerate() {
                for (start_b, last_b, b) in &list[i + 1..] {
                    if start_a > last_b || start_b > last_a {
                        continue;
                    }
                    let (line, other) = match (a, b) {
                        (Origin::Line(a), Origin::Line(b)) => {
                            (*a.max(b), format!("celui de la ligne {}", a.min(b)))
                        }
                        (Origin::Line(line), Origin::Stored(id))
                        | (Origin::Stored(id), Origin::Line(line)) => {
                            let (s, l) = if matches!(a, Origin::Stored(_)) {
                                (start_a, last_a)
                            } else {
                                (start_b, last_b)
                            };
                            (
                                *line,
                                format!("le n° {id}, du {} au {}", date_fr(*s), date_fr(*l)),
                            )
                        }
                        (Origin::Stored(_), Origin::Stored(_)) => continue,
                    };
                    errors.push(error(
                        Kind::Contracts,
                        line,
                        Some("start_date"),
                        format!(
                            "ce·tte salarié·e a déjà un contrat sur ces dates ({other}) : un seul contrat à la fois"
                        ),
                    ));
                }
            }
        }
    }

    // A tutor who changes company may not leave contracts of the old one behind.
    for (line, tutor, company) in moved {
        let left: Vec<String> = stored
            .contracts
            .iter()
            .filter(|c| c.tutor_id == tutor && c.company_id != company && !touched.contains(&c.id))
            .map(|c| c.id.to_string())
            .collect();
        if !left.is_empty() {
            errors.push(error(
                Kind::Tutors,
                line,
                Some("company_siret"),
                format!(
                    "ce tuteur suit des contrats d'une autre entreprise (n° {}) : importez-les aussi, avec leur nouvelle entreprise ou un autre tuteur",
                    left.join(", ")
                ),
            ));
        }
    }
    Plan { kinds, errors }
}

fn several_tutors(kind: Kind, line: usize, column: &str, found: &[&Tutor]) -> LineError {
    error(
        kind,
        line,
        Some(column),
        format!(
            "plusieurs tuteurs ont cette adresse (n° {}) : corrigez-les d'abord dans l'application",
            found
                .iter()
                .map(|t| t.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

/// The columns with the placeholder ids of new records replaced by the database's ids.
fn resolve(real: &HashMap<i64, i64>, columns: &[(&'static str, Value)]) -> AppResult<Columns> {
    columns
        .iter()
        .map(|(name, value)| match value {
            Value::Int(Some(id)) if *id < 0 && name.ends_with("_id") => real
                .get(id)
                .map(|r| (*name, Value::from(*r)))
                .ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!(
                        "import: {name} {id} refers to nothing created"
                    ))
                }),
            other => Ok((*name, other.clone())),
        })
        .collect()
}

/// Rows per INSERT: well under both engines' limits on bound parameters (SQLite 32,766).
const BATCH_PARAMETERS: usize = 30_000;

/// Writes the plan in dependency order: the ids the database gives the new records replace
/// the placeholders the later files refer to.
async fn write(tx: &mut Tx, plan: &Plan) -> AppResult<()> {
    let mut real: HashMap<i64, i64> = HashMap::new();
    for (kind, rows) in &plan.kinds {
        let (table, key) = match kind {
            Kind::Companies => ("companies", Some("siret")),
            Kind::Tutors => ("tutors", Some("email")),
            Kind::Students => ("students", Some("email")),
            // Nothing refers to a contract.
            Kind::Contracts => ("contracts", None),
        };
        let created: Vec<(&Planned, Columns)> = rows
            .iter()
            .filter(|p| matches!(p.step, Step::Create))
            .map(|p| resolve(&real, &p.columns).map(|c| (p, c)))
            .collect::<AppResult<_>>()?;
        if let Some((_, first)) = created.first() {
            let names: Vec<&str> = first.iter().map(|(n, _)| *n).collect();
            let per_batch = (BATCH_PARAMETERS / names.len()).max(1);
            for batch in created.chunks(per_batch) {
                let tuples: Vec<String> = (0..batch.len())
                    .map(|row| {
                        let marks: Vec<String> = (1..=names.len())
                            .map(|col| format!("${}", row * names.len() + col))
                            .collect();
                        format!("({})", marks.join(", "))
                    })
                    .collect();
                let mut sql = format!(
                    "INSERT INTO {table} ({}) VALUES {}",
                    names.join(", "),
                    tuples.join(", ")
                );
                let values = batch.iter().flat_map(|(_, c)| c.iter().map(|(_, v)| v));
                let Some(key) = key else {
                    tx_run!(&mut *tx, |conn| bind_values!(sqlx::query(&sql), values)
                        .execute(&mut *conn)
                        .await
                        .map(|r| r.rows_affected()))?;
                    continue;
                };
                // The rows come back in no promised order: matched on their key.
                sql.push_str(&format!(" RETURNING id, {key}"));
                let ids: Vec<(i64, String)> =
                    tx_run!(&mut *tx, |conn| bind_values!(sqlx::query_as(&sql), values)
                        .fetch_all(&mut *conn)
                        .await)?;
                let ids: HashMap<String, i64> = ids.into_iter().map(|(id, k)| (k, id)).collect();
                for (planned, columns) in batch {
                    let key_value = columns.iter().find_map(|(n, v)| match v {
                        Value::Text(Some(t)) if *n == key => Some(t),
                        _ => None,
                    });
                    let id = key_value.and_then(|k| ids.get(k)).ok_or_else(|| {
                        AppError::Internal(anyhow::anyhow!("import: no id back for a new row"))
                    })?;
                    real.insert(planned.id, *id);
                }
            }
        }

        for p in rows {
            let Step::Update(changed) = &p.step else {
                continue;
            };
            let columns = resolve(&real, &p.columns)?;
            let set: Vec<(&str, &Value)> = columns
                .iter()
                .filter(|(n, _)| changed.contains(n))
                .map(|(n, v)| (*n, v))
                .collect();
            let assignments: Vec<String> = set
                .iter()
                .enumerate()
                .map(|(i, (n, _))| format!("{n} = ${}", i + 1))
                .collect();
            let sql = format!(
                "UPDATE {table} SET {} WHERE id = ${}",
                assignments.join(", "),
                set.len() + 1
            );
            let values = set.iter().map(|(_, v)| *v);
            tx_run!(&mut *tx, |conn| bind_values!(sqlx::query(&sql), values)
                .bind(p.id)
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected()))?;
        }
    }
    Ok(())
}

/// `assidu import`: the files to import (at least one).
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("files").required(true).multiple(true)))]
pub struct ImportArgs {
    /// Companies (SIRET, legal name, address…).
    #[arg(long, group = "files")]
    pub companies: Option<PathBuf>,
    /// Tutors, each naming their company by SIRET.
    #[arg(long, group = "files")]
    pub tutors: Option<PathBuf>,
    /// Students (salarié·es).
    #[arg(long, group = "files")]
    pub students: Option<PathBuf>,
    /// Contracts, naming student, company, tutor, programme, year and group.
    #[arg(long, group = "files")]
    pub contracts: Option<PathBuf>,
    /// Check the files and print what would change, without writing anything.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs an import from the command line: a French report, or every error as
/// `FILE:LINE: colonne « C » : message` and a failure.
pub async fn run_cli(db: &Db, args: ImportArgs) -> anyhow::Result<()> {
    let mut paths: Vec<(Kind, PathBuf)> = Vec::new();
    for (kind, path) in [
        (Kind::Companies, args.companies),
        (Kind::Tutors, args.tutors),
        (Kind::Students, args.students),
        (Kind::Contracts, args.contracts),
    ] {
        if let Some(path) = path {
            paths.push((kind, path));
        }
    }
    let mut files = Vec::new();
    for (kind, path) in &paths {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("lecture de {} : {e}", path.display()))?;
        files.push((*kind, bytes));
    }
    let options = Options {
        dry_run: args.dry_run,
        source: Source::Cli,
        user_id: None,
        now: Utc::now(),
    };
    let name_of = |kind: Kind| {
        paths.iter().find(|(k, _)| *k == kind).map_or_else(
            || kind.as_str().to_owned(),
            |(_, p)| p.display().to_string(),
        )
    };
    match run(db, files, &options).await {
        Ok(report) => {
            println!("{}", report_fr(&report, name_of));
            Ok(())
        }
        Err(AppError::BadLines(lines)) => {
            for l in &lines {
                let file = Kind::parse(&l.file).map_or_else(|| l.file.clone(), name_of);
                match &l.column {
                    Some(c) => eprintln!("{file}:{}: colonne « {c} » : {}", l.line, l.message),
                    None => eprintln!("{file}:{}: {}", l.line, l.message),
                }
            }
            anyhow::bail!("{} : rien n'a été importé", errors_fr(lines.len()))
        }
        Err(AppError::Internal(e)) => Err(e),
        Err(e) => Err(anyhow::anyhow!("{}", e.public_message())),
    }
}

fn errors_fr(n: usize) -> String {
    if n == 1 {
        "1 erreur".to_owned()
    } else {
        format!("{n} erreurs")
    }
}

/// The report as the command line prints it.
pub fn report_fr(report: &Report, name_of: impl Fn(Kind) -> String) -> String {
    let plural = |n: usize, one: &str, many: &str| {
        if n > 1 {
            format!("{n} {many}")
        } else {
            format!("{n} {one}")
        }
    };
    let mut out = String::new();
    out.push_str(if report.dry_run {
        "simulation (--dry-run) : rien n'a été écrit\n"
    } else {
        "import appliqué\n"
    });
    for k in &report.kinds {
        out.push_str(&format!(
            "{} ({}) : {}, {}, {} sans changement\n",
            k.kind.label_fr(),
            name_of(k.kind),
            plural(k.created, "ajout", "ajouts"),
            plural(k.updated, "mise à jour", "mises à jour"),
            k.unchanged
        ));
        for l in k.lines.iter().filter(|l| l.action == Action::Updated) {
            out.push_str(&format!(
                "  {}:{}: {} — {}\n",
                name_of(k.kind),
                l.line,
                l.key,
                l.changed.join(", ")
            ));
        }
    }
    out.trim_end().to_owned()
}
