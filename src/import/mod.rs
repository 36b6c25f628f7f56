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
pub mod plan;

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::clock::Clock;
use crate::db::{self, Db, Tx, Value};
use crate::error::{AppError, AppResult};
use crate::records::contracts::Contracts;
use crate::records::parties::{Companies, Students, Tutors};
use crate::records::{Columns, Resource};
pub use parse::Kind;
use parse::Parsed;
use plan::{Plan, Planned, Step, Stored};

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
    let stored = match load_stored(&mut tx).await {
        Ok(s) => s,
        Err(e) => {
            rollback(tx).await;
            return Err(e);
        }
    };
    let plan = plan::plan(&stored, &files);
    if !plan.errors.is_empty() {
        rollback(tx).await;
        let mut errors = plan.errors;
        let order = |file: &str| Kind::parse(file).map_or(usize::MAX, |k| k as usize);
        errors.sort_by_key(|e| (order(&e.file), e.line));
        return Err(AppError::BadLines(errors));
    }
    // A dry run writes too, then rolls back: what it reports is what the database accepted.
    if let Err(e) = write(&mut tx, &plan).await {
        rollback(tx).await;
        return Err(e);
    }
    let report = plan.report(options.dry_run);
    let changes = report.kinds.iter().any(|k| k.created + k.updated > 0);
    // Nothing to log when nothing changed: importing the same files again leaves the
    // database exactly as it was.
    if options.dry_run || !changes {
        rollback(tx).await;
        return Ok(report);
    }
    let summary = serde_json::to_string(&Summary::of(&report)).unwrap_or_default();
    let source = match options.source {
        Source::Api => "api",
        Source::Cli => "cli",
    };
    db::records::log_import(&mut tx, options.now, source, options.user_id, &summary).await?;
    tx.commit().await?;
    Ok(report)
}

/// The counts of an applied import, kept in the import log.
#[derive(Serialize)]
struct Summary(std::collections::BTreeMap<Kind, [usize; 3]>);

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
    if let Err(e) = tx.rollback().await {
        tracing::warn!(error = %e, "import: rollback failed");
    }
}

async fn load<R: Resource>(tx: &mut Tx) -> AppResult<Vec<R::Row>> {
    Ok(db::records::all_in(tx, R::COLUMNS, R::TABLE).await?)
}

/// Everything the lines may match or refer to, one query per table.
async fn load_stored(tx: &mut Tx) -> AppResult<Stored> {
    let programmes = db::programmes::keys_in(tx).await?;
    let years = crate::db::years::all_in(tx)
        .await?
        .into_iter()
        .map(|y| (y.id, y.name, y.starts_on, y.ends_on))
        .collect();
    let groups = db::programmes::group_keys_in(tx).await?;
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

/// A key taken between the read and the write (on PostgreSQL, another request may insert the
/// same SIRET or e-mail meanwhile): the caller may simply import again.
fn written(e: sqlx::Error) -> AppError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => AppError::Conflict(
            "un enregistrement des fichiers a été créé pendant l’import : relancez-le".to_owned(),
        ),
        _ => e.into(),
    }
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

/// Bound parameters per INSERT (see [`crate::db::dialect::Dialect::batch_parameters`]).
fn batch_parameters(tx: &Tx) -> usize {
    tx.dialect().batch_parameters()
}

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
            let per_batch = (batch_parameters(tx) / names.len()).max(1);
            for batch in created.chunks(per_batch) {
                let values: Vec<&Value> = batch
                    .iter()
                    .flat_map(|(_, c)| c.iter().map(|(_, v)| v))
                    .collect();
                let Some(key) = key else {
                    db::records::insert_rows_in(tx, table, &names, &values)
                        .await
                        .map_err(written)?;
                    continue;
                };
                // The rows come back in no promised order: matched on their key.
                let ids = db::records::insert_rows_returning_in(tx, table, &names, &values, key)
                    .await
                    .map_err(written)?;
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
            let set: Columns = columns
                .into_iter()
                .filter(|(n, _)| changed.contains(n))
                .collect();
            db::records::update_in(tx, table, p.id, &set)
                .await
                .map_err(written)?;
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
        now: Clock::system().now(),
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
            anyhow::bail!("{} : rien n’a été importé", errors_fr(lines.len()))
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
        "simulation (--dry-run) : rien n’a été écrit\n"
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
