//! `assidu timetable …` (issue 20): add a source to a group, list the sources, and sync them
//! one after the other with a progress bar, as the scheduled job does (without its mail).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::config::{AttendanceSettings, AuthSettings, JobSettings, MailSettings};
use crate::db::{self, Db};
use crate::domain::roles::Role;
use crate::domain::text::count_fr;
use crate::domain::timetable::Outcome;
use crate::domain::timetable::mapping::Mapping;
use crate::error::AppError;
use crate::format;
use crate::mail::MailService;
use crate::timetable::{Counts, Source, SourceInput, SyncReport};

/// Bad arguments (an unknown group): the binary exits with 2, as for a bad option.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

#[derive(Debug, Subcommand)]
pub enum TimetableCommand {
    /// Sync every timetable source (of one group), one after the other: sessions created,
    /// moved or deleted as the source says; recorded sessions are never moved nor deleted,
    /// only flagged. Exit 0 when all synced (conflicts included), 1 when a source failed.
    Sync {
        /// Only the sources of this group (its id).
        #[arg(long)]
        group: Option<i64>,
        /// Show what each source would do; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        fetch: FetchArgs,
    },
    /// Add a timetable source to a group: an iCalendar URL or file, and its mapping rules
    /// (JSON); prints the new source's id.
    Add {
        /// The group's id.
        #[arg(long)]
        group: i64,
        /// The feed's address (http or https), fetched on each sync.
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        url: Option<String>,
        /// An exported .ics file, stored as it is.
        #[arg(long)]
        file: Option<PathBuf>,
        /// A name for the source (e.g. « ADE M1 »).
        #[arg(long, default_value = "")]
        label: String,
        /// The mapping rules, a JSON file (the API's `mapping`); default rules without it.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// The admin account the source is recorded as added by (default: the first
        /// active admin account, by e-mail).
        #[arg(long)]
        by: Option<String>,
    },
    /// List the timetable sources (of one group).
    List {
        #[arg(long)]
        group: Option<i64>,
    },
}

/// The fetch's limits, as the service has them.
#[derive(Debug, Args)]
pub struct FetchArgs {
    #[arg(long, env = "ASSIDU_TIMETABLE_FETCH_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub fetch_timeout: Duration,
    #[arg(long, env = "ASSIDU_TIMETABLE_MAX_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_bytes: usize,
}

pub async fn run(db: Db, command: TimetableCommand) -> anyhow::Result<()> {
    match command {
        TimetableCommand::Sync {
            group,
            dry_run,
            fetch,
        } => {
            let ctx = context(db, Some(&fetch)).await?;
            sync(&ctx, group, dry_run).await
        }
        TimetableCommand::Add {
            group,
            url,
            file,
            label,
            mapping,
            by,
        } => {
            let ctx = context(db, None).await?;
            add(&ctx, group, url, file, label, mapping, by).await
        }
        TimetableCommand::List { group } => {
            let ctx = context(db, None).await?;
            list(&ctx, group).await
        }
    }
}

/// The use cases' context: the command sends no mail and serves nothing, so mail goes
/// nowhere (a folder under the temporary directory) and the other settings are defaults.
async fn context(db: Db, fetch: Option<&FetchArgs>) -> anyhow::Result<ApiContext> {
    let mut jobs = JobSettings::default();
    if let Some(f) = fetch {
        jobs.timetable_fetch_timeout = f.fetch_timeout;
        jobs.timetable_max_bytes = f.max_bytes;
    }
    let mail = MailService::new(MailSettings {
        mail_dir: std::env::temp_dir().join("assidu-cli-mail"),
        ..MailSettings::default()
    })?;
    ApiContext::new(
        db,
        AuthSettings::default(),
        AttendanceSettings::default(),
        mail,
        jobs,
        "http://127.0.0.1:8080",
    )
    .await
}

async fn check_group(ctx: &ApiContext, group: Option<i64>) -> anyhow::Result<()> {
    if let Some(g) = group
        && !db::timetable::group_exists(&ctx.db, g).await?
    {
        return Err(UsageError(format!("groupe n° {g} introuvable")).into());
    }
    Ok(())
}

async fn sync(ctx: &ApiContext, group: Option<i64>, dry_run: bool) -> anyhow::Result<()> {
    check_group(ctx, group).await?;
    let sources = crate::timetable::sources(ctx, group)
        .await
        .map_err(super::describe)?;
    if sources.is_empty() {
        println!("aucune source d’emploi du temps");
        return Ok(());
    }
    let bar = indicatif::ProgressBar::new(sources.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} sources ({eta})")?
            .progress_chars("=> "),
    );
    bar.set_message(if dry_run {
        "Simulation"
    } else {
        "Synchronisation"
    });
    let started = std::time::Instant::now();
    let mut results = Vec::with_capacity(sources.len());
    for source in sources {
        let result = crate::timetable::sync(ctx, source.id, dry_run).await;
        bar.inc(1);
        results.push((source, result));
    }
    bar.finish_and_clear();
    let mut failed = 0;
    for (source, result) in &results {
        println!("{}", heading(source));
        match result {
            Ok(report) => print!("{}", table(report)),
            Err(e) => {
                failed += 1;
                let message = message_of(e);
                println!("  échec : {message}");
                eprintln!("source n° {} ({}) : {message}", source.id, name(source));
            }
        }
        println!();
    }
    let done = results.len() - failed;
    println!(
        "{} {} ({} s){}",
        count_fr(done as i64, "source", "sources"),
        if dry_run {
            if done < 2 { "simulée" } else { "simulées" }
        } else if done < 2 {
            "synchronisée"
        } else {
            "synchronisées"
        },
        format!("{:.1}", started.elapsed().as_secs_f64()).replace('.', ","),
        if dry_run {
            " ; simulation : rien n’a été écrit"
        } else {
            ""
        }
    );
    if failed > 0 {
        anyhow::bail!(
            "{} (voir ci-dessus)",
            count_fr(failed as i64, "source en échec", "sources en échec")
        );
    }
    Ok(())
}

fn name(s: &Source) -> String {
    if s.label.is_empty() {
        s.group_name.clone()
    } else {
        format!("{} — {}", s.group_name, s.label)
    }
}

fn heading(s: &Source) -> String {
    let from = match (&s.url, &s.file_name) {
        (Some(url), _) => url.clone(),
        (None, Some(file)) => format!("fichier {file}"),
        (None, None) => "fichier".to_owned(),
    };
    format!("Source n° {} — {} ({from})", s.id, name(s))
}

/// The counts, then each event that is not unchanged (nor ignored): outcome, date, times,
/// summary, reason.
fn table(report: &SyncReport) -> String {
    let mut out = format!("  {}\n", counts_fr(&report.counts));
    if report.flagged > 0 {
        out.push_str(&format!(
            "  {} pour le secrétariat\n",
            count_fr(
                report.flagged as i64,
                "séance enregistrée signalée",
                "séances enregistrées signalées"
            )
        ));
    }
    let rows: Vec<_> = report
        .events
        .iter()
        .filter(|e| !matches!(e.outcome, Outcome::Unchanged | Outcome::Ignored))
        .collect();
    if rows.is_empty() {
        return out;
    }
    let width = rows
        .iter()
        .map(|e| e.outcome.label_fr().chars().count())
        .max()
        .unwrap_or(0);
    for e in rows {
        let mut line = format!(
            "  {:<width$}  {}  {}–{}  {}",
            e.outcome.label_fr(),
            format::date(e.day),
            e.starts_at.format("%H:%M"),
            e.ends_at.format("%H:%M"),
            e.summary,
        );
        if let Some(reason) = &e.reason {
            line.push_str(&format!(" — {reason}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn counts_fr(c: &Counts) -> String {
    let parts: Vec<String> = [
        (c.new, "nouvelle", "nouvelles"),
        (c.unchanged, "inchangée", "inchangées"),
        (c.moved, "déplacée", "déplacées"),
        (c.cancelled, "annulée", "annulées"),
        (c.unmatched, "non reconnue", "non reconnues"),
        (c.refused, "refusée", "refusées"),
        (c.conflict, "en conflit", "en conflit"),
        (c.ignored, "ignorée", "ignorées"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, many)| count_fr(n as i64, one, many))
    .collect();
    if parts.is_empty() {
        "aucun événement".to_owned()
    } else {
        parts.join(", ")
    }
}

fn message_of(e: &AppError) -> String {
    match e {
        AppError::Validation(fields) => fields
            .iter()
            .map(|f| format!("{} : {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join(" ; "),
        AppError::Internal(e) => format!("{e:#}"),
        other => other.to_string(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn add(
    ctx: &ApiContext,
    group: i64,
    url: Option<String>,
    file: Option<PathBuf>,
    label: String,
    mapping: Option<PathBuf>,
    by: Option<String>,
) -> anyhow::Result<()> {
    check_group(ctx, Some(group)).await?;
    let mapping: Mapping = match &mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--mapping : lecture de {}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "--mapping : {} n’est pas un JSON valable ({e})",
                    path.display()
                )
            })?
        }
        None => Mapping::default(),
    };
    let (file_name, content) = match &file {
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("--file : lecture de {}", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (Some(name), Some(bytes))
        }
        None => (None, None),
    };
    let caller = admin(&ctx.db, by.as_deref()).await?;
    let source = crate::timetable::add_source(
        ctx,
        &caller,
        group,
        SourceInput {
            label,
            url,
            file_name,
            content,
            mapping,
        },
    )
    .await
    .map_err(|e| match e {
        AppError::Validation(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| format!("--{} : {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        other => super::describe(other),
    })?;
    println!("{}", source.id);
    eprintln!(
        "source n° {} ajoutée au groupe {} ; « assidu timetable sync --group {group} --dry-run » \
         montre ce qu’elle donnerait",
        source.id, source.group_name
    );
    Ok(())
}

/// The admin the command acts as: `--by`, or the first active admin account by e-mail.
async fn admin(db: &Db, by: Option<&str>) -> anyhow::Result<Caller> {
    let id = match by {
        Some(email) => db::users::id_by_email(db, &email.trim().to_lowercase())
            .await?
            .ok_or_else(|| anyhow::anyhow!("--by : aucun compte « {email} »"))?,
        None => db::users::accounts_page(db, "%", "admin", 1000, 0)
            .await?
            .into_iter()
            .find(|a| a.active)
            .map(|a| a.id)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "aucun compte admin actif : créez-en un avec « assidu user add --role admin »"
                )
            })?,
    };
    let user = db::users::active_by_id(db, id)
        .await?
        .filter(|u| u.role == "admin")
        .ok_or_else(|| anyhow::anyhow!("--by : ce compte n’est pas un compte admin actif"))?;
    Ok(Caller {
        id: user.id,
        role: Role::Admin,
        email: user.email,
        name: user.display_name,
        teacher_id: None,
        student_id: None,
        tutor_id: None,
        company_id: None,
        locale: user.locale,
        read_only: false,
    })
}

async fn list(ctx: &ApiContext, group: Option<i64>) -> anyhow::Result<()> {
    check_group(ctx, group).await?;
    let sources = crate::timetable::sources(ctx, group)
        .await
        .map_err(super::describe)?;
    if sources.is_empty() {
        println!("aucune source d’emploi du temps");
        return Ok(());
    }
    for s in &sources {
        println!("{}", heading(s));
        match (s.synced_at, &s.last_counts) {
            (Some(at), Some(c)) => println!(
                "  dernier changement : {} — {}",
                format::paris_at(at),
                counts_fr(c)
            ),
            _ => println!("  jamais synchronisée"),
        }
        if let Some(e) = &s.last_error {
            println!("  dernier échec : {e}");
        }
    }
    Ok(())
}
