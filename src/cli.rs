//! The command line: one binary, several subcommands.

mod timetable;

pub use timetable::UsageError;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::accounts;
use crate::app::{ApiContext, Application};
use crate::auth;
use crate::certificates::{self, Existing, IssueOptions, Issuer, Selection};
use crate::clock::Clock;
use crate::config::{DatabaseSettings, MailSettings, ServeSettings};
use crate::db::{Db, calendars};
use crate::domain::certificate::CertificateKind;
use crate::domain::roles::Role;
use crate::domain::semester::Semester;
use crate::error::AppError;
use crate::mail::MailService;
use crate::records::{self, calendars::CalendarInput, calendars::Calendars};

#[derive(Debug, Parser)]
#[command(
    name = "assidu",
    version,
    about = "Assiduité des contrats en alternance"
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application and the API (migrations are applied first).
    Serve(Box<ServeSettings>),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import or export a training calendar as its CSV file.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Demo data.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// The S9/S10 certificates (attestations de présence, certificats de réalisation).
    Certificates {
        #[command(subcommand)]
        command: CertificatesCommand,
    },
    /// Write the OPCO audit bundle of a contract (ZIP: émargement sheets, mark history,
    /// certificates, justifications, absence notices, manifest with SHA-256).
    AuditBundle {
        /// The contract's id.
        #[arg(long)]
        contract: i64,
        /// The ZIP file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Import companies, tutors, students and contracts from CSV files, all or nothing;
    /// lines are matched on their natural key, so importing again changes nothing.
    Import(crate::import::ImportArgs),
    /// Timetable sources (ADE, Hyperplanning, any iCalendar feed): add, list, sync.
    Timetable {
        #[command(subcommand)]
        command: timetable::TimetableCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum CertificatesCommand {
    /// Issue a semester's certificates for every contract of an academic year, with a
    /// progress bar. Documents already issued are kept; students whose roll calls are not
    /// all signed are listed and left for later. The student and the tutor are told by mail
    /// (queued; `assidu serve` sends it).
    Issue {
        /// S9 or S10.
        #[arg(long)]
        semester: Semester,
        /// Academic year, e.g. 2025-2026.
        #[arg(long)]
        year: String,
        /// attestation, certificat_realisation, or all (both).
        #[arg(long, default_value = "all")]
        kind: String,
        /// Public base URL printed on the certificates and in the mails.
        #[arg(
            long,
            env = "ASSIDU_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
        #[command(flatten)]
        mail: MailSettings,
        #[command(flatten)]
        signing: crate::config::SigningSettings,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input when it is not a
    /// terminal; otherwise one is generated and printed once.
    Add {
        #[arg(long)]
        role: Role,
        #[arg(long)]
        email: String,
        /// Name shown in the interface (defaults to the linked record's name or the email).
        #[arg(long)]
        name: Option<String>,
        /// Id of the teacher, student, tutor or company record (found by email when omitted;
        /// a company contact names its company).
        #[arg(long)]
        link: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Replace the days of a calendar from a CSV file (all or nothing).
    Import {
        file: PathBuf,
        /// Academic year name, e.g. 2025-2026.
        #[arg(long)]
        year: String,
        /// Calendar name (created if missing; defaults to the year's only calendar).
        #[arg(long)]
        name: Option<String>,
    },
    /// Write a calendar as its CSV file.
    Export {
        #[arg(long)]
        year: String,
        #[arg(long)]
        name: Option<String>,
        /// Output file (standard output by default).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Load the demo school year (idempotent).
    Load,
    /// Load the demo, then add N generated contracts to one of its years, with a session on
    /// every school half-day and the roll call of every past one (for load tests).
    Generate {
        /// How many students (one contract each, groups of 25).
        #[arg(long)]
        students: usize,
        /// The academic year, as the demo names it.
        #[arg(long, default_value = "2025-2026")]
        year: String,
        /// Sessions before this day (YYYY-MM-DD) get their roll call; today by default.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// The password of every generated account.
        #[arg(long, default_value = crate::demo::DEMO_PASSWORD)]
        password: String,
    },
}

async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database_url, settings.db_max_connections)
        .await
        .with_context(|| format!("connexion à la base « {} »", redact(&settings.database_url)))?;
    db.migrate().await.context("application des migrations")?;
    Ok(db)
}

/// Hides a password in a database URL before printing it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Migrate => {
            connect(&cli.database).await?;
            println!(
                "migrations appliquées ({})",
                redact(&cli.database.database_url)
            );
            Ok(())
        }
        Command::Serve(settings) => serve(&cli.database, *settings).await,
        Command::User {
            command:
                UserCommand::Add {
                    role,
                    email,
                    name,
                    link,
                },
        } => {
            let db = connect(&cli.database).await?;
            add_user(&db, role, &email, name, link).await
        }
        Command::Calendar { command } => {
            let db = connect(&cli.database).await?;
            calendar(&db, command).await
        }
        Command::Demo {
            command: DemoCommand::Load,
        } => {
            let db = connect(&cli.database).await?;
            load_demo(&db, Clock::system().today()).await
        }
        Command::Demo {
            command:
                DemoCommand::Generate {
                    students,
                    year,
                    as_of,
                    password,
                },
        } => {
            let db = connect(&cli.database).await?;
            let today = Clock::system().today();
            crate::demo::load_as_of(&db, today)
                .await
                .map_err(describe)?;
            let options = crate::generate::Options {
                students,
                year,
                as_of: as_of.unwrap_or(today),
                password,
            };
            let report = crate::generate::generate(&db, &options).await?;
            println!("{}", report.summary_fr());
            println!(
                "comptes : eleve0.{tag}@generated.test, enseignant0.{tag}@generated.test, \
                 tuteur0.{tag}@generated.test … (mot de passe : {})",
                options.password,
                tag = options
                    .year
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "")
            );
            Ok(())
        }
        Command::Certificates {
            command:
                CertificatesCommand::Issue {
                    semester,
                    year,
                    kind,
                    public_url,
                    mail,
                    signing,
                },
        } => {
            let kinds = crate::certificates::parse_kinds(Some(&kind))
                .map_err(|e| anyhow::anyhow!("--kind : {e}"))?;
            let signing = crate::signing::Signing::new(signing.load()?);
            let mail = MailService::new(mail)?;
            let db = connect(&cli.database).await?;
            let issuer = Issuer {
                db,
                mail: std::sync::Arc::new(mail),
                public_url: public_url.trim_end_matches('/').into(),
                signing: std::sync::Arc::new(signing),
                mail_links: None,
            };
            issue_certificates(&issuer, semester, year, kinds).await
        }
        Command::AuditBundle { contract, out } => {
            let db = connect(&cli.database).await?;
            audit_bundle(&db, contract, &out).await
        }
        Command::Import(args) => {
            let db = connect(&cli.database).await?;
            crate::import::run_cli(&db, args).await
        }
        Command::Timetable { command } => {
            let db = connect(&cli.database).await?;
            timetable::run(db, command).await
        }
    }
}

async fn audit_bundle(db: &Db, contract: i64, out: &std::path::Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let by = "ligne de commande (assidu audit-bundle)";
    let bundle = crate::audit_bundle::generate(db, contract, Clock::system().now(), by)
        .await
        .map_err(|e| match e {
            AppError::NotFound => anyhow::anyhow!("--contract : aucun contrat n° {contract}"),
            other => describe(other),
        })?;
    std::fs::write(out, &bundle.bytes).with_context(|| format!("écriture de {}", out.display()))?;
    let c = &bundle.manifest.counts;
    println!(
        "dossier du contrat n° {contract} écrit dans {} : {} fichiers, {} octets, {} séance(s) \
         dont {} non signée(s), {} certificat(s), {} justificatif(s), {} avis ({:.2} s)",
        out.display(),
        bundle.manifest.files.len() + 1,
        bundle.bytes.len(),
        c.sessions,
        c.unsigned_sheets,
        c.certificates,
        c.justifications,
        c.notices,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn issue_certificates(
    issuer: &Issuer,
    semester: Semester,
    year: String,
    kinds: Vec<CertificateKind>,
) -> anyhow::Result<()> {
    if crate::db::years::by_name(&issuer.db, &year)
        .await?
        .is_none()
    {
        bail!("--year : année universitaire inconnue « {year} »");
    }
    let selection = Selection::Year { year, semester };
    let total = certificates::count(&issuer.db, &selection).await?;
    let bar = indicatif::ProgressBar::new(total).with_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:40}] {pos}/{len} contrats ({per_sec}, reste {eta})",
        )?
        .progress_chars("=> "),
    );
    bar.set_message(format!("Émission {semester}"));
    let options = IssueOptions {
        kinds,
        existing: Existing::Skip,
        force_reason: None,
        issued_by: None,
    };
    let started = std::time::Instant::now();
    let clock = Clock::system();
    let report = certificates::issue_many(
        issuer,
        &selection,
        &options,
        || clock.now(),
        |done| bar.set_position(done),
    )
    .await;
    bar.finish_and_clear();
    let report = report?;
    println!(
        "{} ({:.1} s)",
        report.summary_fr(),
        started.elapsed().as_secs_f64()
    );
    for b in &report.blocked {
        eprintln!("en attente : {} — {}", b.student, b.reason);
    }
    for f in &report.failed {
        eprintln!("non émis : {} — {}", f.student, f.reason);
    }
    if report.issued > 0 {
        println!("les courriels aux salarié·es et aux tuteurs partent avec « assidu serve »");
    }
    if !report.failed.is_empty() {
        bail!(
            "{} certificat(s) n’ont pas pu être émis (voir ci-dessus)",
            report.failed.len()
        );
    }
    Ok(())
}

async fn serve(database: &DatabaseSettings, mut settings: ServeSettings) -> anyhow::Result<()> {
    // Settings are checked before anything starts: a bad one stops here, naming its variable.
    settings.jobs.schedules()?;
    if settings.demo {
        // The demo always has sessions around « today »: when the real today has none, its
        // clock starts from the nearest school day of the demo (and says so).
        match settings.attendance.pretend_now {
            Some(at) => println!(
                "horloge de démonstration : --pretend-now, le {}",
                crate::format::paris_at(at)
            ),
            None => {
                let clock = crate::demo::clock_for(Clock::system().now()).map_err(describe)?;
                println!("{}", clock.note);
                settings.attendance.pretend_now = clock.start;
            }
        }
    }
    let signing = crate::signing::Signing::new(settings.signing.load()?);
    let mail = MailService::new(settings.mail.clone())?;
    let mail_route = mail.describe();
    let db = connect(database).await?;
    let ctx = ApiContext::new(
        db.clone(),
        settings.auth.clone(),
        settings.attendance.clone(),
        mail,
        settings.jobs.clone(),
        &settings.public_url(),
    )
    .await?
    .with_signing(signing);
    if settings.demo {
        load_demo(&db, ctx.clock.today()).await?;
    }
    if ctx.public_url_is_local() {
        tracing::warn!(public_url = %ctx.public_url, "links point at this machine only");
        eprintln!(
            "ATTENTION : ASSIDU_PUBLIC_URL n’est pas réglée (ou désigne cette machine : {}) : \
             les liens des courriels et le code QR de vérification des attestations ne \
             s’ouvriront pas ailleurs. Réglez --public-url / ASSIDU_PUBLIC_URL sur l’adresse \
             publique du service avant d’émettre des attestations.",
            ctx.public_url
        );
    }
    let worker = crate::worker::spawn(ctx.clone());
    let app = Application::bind(ctx, settings.bind).await?;
    let addr = app.local_addr()?;
    tracing::info!(%addr, engine = db.engine(), mail = %mail_route, "assidu écoute");
    println!("courriels : {mail_route}");
    println!("assidu écoute sur http://{addr}/ (API : http://{addr}/api/docs/)");
    app.serve().await?;
    worker.abort();
    db.close().await;
    Ok(())
}

async fn load_demo(db: &Db, today: chrono::NaiveDate) -> anyhow::Result<()> {
    let outcome = crate::demo::load_as_of(db, today).await.map_err(describe)?;
    if outcome.loaded_now {
        println!("démo chargée : {}", outcome.summary);
    } else {
        println!("démo déjà présente : rien n’a été ajouté");
    }
    eprintln!(
        "ATTENTION : comptes de démonstration avec le mot de passe « {} » — jamais en production.",
        crate::demo::DEMO_PASSWORD
    );
    println!("comptes de démonstration :");
    for (email, role) in crate::demo::accounts(db).await.map_err(describe)? {
        println!("  {role:<8} {email}");
    }
    Ok(())
}

/// Turns a request-style error into a CLI message, field by field.
fn describe(e: AppError) -> anyhow::Error {
    match e {
        AppError::Validation(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| format!("{} : {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        AppError::Internal(e) => e,
        other => anyhow::anyhow!("{other}"),
    }
}

async fn add_user(
    db: &Db,
    role: Role,
    email: &str,
    name: Option<String>,
    link: Option<i64>,
) -> anyhow::Result<()> {
    let (password, generated) = read_or_generate_password()?;
    auth::check_password_strength(&password).map_err(|e| anyhow::anyhow!("mot de passe : {e}"))?;
    let id = accounts::create(db, role, email, name, link, password)
        .await
        .map_err(|e| match e {
            AppError::Validation(problems) => anyhow::anyhow!(
                "{}",
                problems
                    .iter()
                    .map(|p| format!("--{} : {}", p.field, p.message))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            other => anyhow::anyhow!("{other}"),
        })?;
    let email = email.trim().to_lowercase();
    println!("compte n° {id} créé : {email} ({role})");
    if let Some(p) = generated {
        println!("mot de passe (affiché une seule fois) : {p}");
    }
    Ok(())
}

fn read_or_generate_password() -> anyhow::Result<(String, Option<String>)> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut input = String::new();
        stdin
            .lock()
            .read_to_string(&mut input)
            .context("lecture du mot de passe sur l’entrée standard")?;
        let line = input
            .lines()
            .next()
            .unwrap_or("")
            .trim_end_matches('\r')
            .to_owned();
        if !line.is_empty() {
            return Ok((line, None));
        }
    }
    let p = auth::generate_password();
    Ok((p.clone(), Some(p)))
}

async fn calendar(db: &Db, command: CalendarCommand) -> anyhow::Result<()> {
    match command {
        CalendarCommand::Import { file, year, name } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("lecture de {}", file.display()))?;
            let id = find_calendar(db, &year, name.as_deref(), true).await?;
            let days = records::calendars::import(db, id, &text)
                .await
                .map_err(|e| {
                    describe(e).context(format!("{} refusé, rien n’a changé", file.display()))
                })?;
            println!(
                "calendrier n° {id} : {} jours importés depuis {}",
                days.len(),
                file.display()
            );
            Ok(())
        }
        CalendarCommand::Export { year, name, output } => {
            let id = find_calendar(db, &year, name.as_deref(), false).await?;
            let text = records::calendars::export(db, id).await.map_err(describe)?;
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("écriture de {}", path.display()))?,
                None => print!("{text}"),
            }
            Ok(())
        }
    }
}

/// Finds a calendar of a year by name, or the year's only one; creates it on import.
async fn find_calendar(
    db: &Db,
    year: &str,
    name: Option<&str>,
    create: bool,
) -> anyhow::Result<i64> {
    let year_id = crate::db::years::by_name(db, year).await?.map(|y| y.id);
    let Some(year_id) = year_id else {
        // Oldest first.
        let names: Vec<String> = crate::db::years::all(db)
            .await?
            .into_iter()
            .rev()
            .map(|y| y.name)
            .collect();
        bail!(
            "--year : aucune année « {year} » (années connues : {})",
            names.join(", ")
        );
    };
    let existing = calendars::of_year(db, year).await.map_err(describe)?;
    let chosen = match name {
        Some(n) => existing.iter().find(|c| c.name == n.trim()),
        None if existing.len() == 1 => existing.first(),
        None if existing.len() > 1 => bail!(
            "--name : l’année {year} a plusieurs calendriers : {}",
            existing
                .iter()
                .map(|c| format!("« {} »", c.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => None,
    };
    if let Some(c) = chosen {
        return Ok(c.id);
    }
    if !create {
        bail!("--name : aucun calendrier de ce nom pour l’année {year}");
    }
    let input = CalendarInput {
        academic_year_id: year_id,
        name: name
            .map(str::to_owned)
            .unwrap_or_else(|| format!("Calendrier {year}")),
    };
    records::create::<Calendars>(db, &input)
        .await
        .map_err(describe)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_hidden_in_urls() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite:assidu.db"), "sqlite:assidu.db");
    }
}
