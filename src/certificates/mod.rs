//! Issuing the S9/S10 certificates (Article 3): gather the facts of a contract's semester,
//! freeze them as a snapshot, render the PDF from it, and store the snapshot, the bytes and
//! their SHA-256 with the mails to the student and the tutor, all in one transaction. A
//! certificate is never changed afterwards: a correction issues a new number and marks the
//! old one superseded.

use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::app::ApiContext;
use crate::attendance::hours::tally_semesters;
use crate::db::certificates::ContractFacts;
use crate::db::contracts::contract_sessions;
use crate::db::{self, Db, Tx};
use crate::domain::certificate::{
    CertificateData, CertificateKind, CompanyFacts, HourFacts, SchoolFacts, StudentFacts,
    TrainingFacts, new_number,
};
use crate::domain::hours::Minutes;
use crate::domain::semester::Semester;
use crate::domain::text::date_fr;
use crate::error::{AppError, FieldError};
use crate::mail::MailService;
use crate::pdf::Picture;
use crate::pdf::certificate::SealPictures;
use crate::signing::{Credentials, Signing};

mod batch;
mod lookup;
mod mails;
mod pending;
mod requests;

pub use batch::{BatchReport, HeldStudent, Selection, count, issue_many, queue_blocked_report};
pub use lookup::{
    CertificateEntry, CertificateFile, LatestCertificate, Overview, Verification, certificate_pdf,
    check_student_visible, overview, student_certificates, student_name, verify_bytes,
    verify_number,
};
use mails::queue_mails;
pub use pending::{PendingSemester, pending_semesters};
pub use requests::{BatchRequest, IssueRequest, issue, issue_year, parse_kinds};

/// What issuing needs beyond the database: mail templates and the public address.
#[derive(Clone)]
pub struct Issuer {
    pub db: Db,
    pub mail: Arc<MailService>,
    /// Base of absolute links, without a trailing slash.
    pub public_url: Arc<str>,
    /// The key the documents are signed with.
    pub signing: Arc<Signing>,
    /// Signs the tutor's links in the mails; `None` (the console's batch) sends plain ones.
    pub mail_links: Option<crate::mail::links::LinkSigner>,
}

/// What seals the documents: the signing key, the school's stamp and its signatory's
/// signature (decoded once for a batch, read afresh for the next one).
pub struct Seal {
    pub credentials: Arc<Credentials>,
    pub stamp: Option<Picture>,
    pub signature: Option<Picture>,
}

impl Seal {
    pub fn pictures(&self) -> SealPictures<'_> {
        SealPictures {
            stamp: self.stamp.as_ref(),
            signature: self.signature.as_ref(),
        }
    }

    /// The key and the school's pictures as they are now.
    pub async fn load(db: &Db, signing: &Signing) -> anyhow::Result<Seal> {
        let credentials = signing.credentials(db).await?;
        type Pngs = (Option<Vec<u8>>, Option<Vec<u8>>);
        let images: Option<Pngs> = db::certificates::seal_pictures(db).await?;
        let (stamp, signature) = images.unwrap_or_default();
        let decode = |png: Option<Vec<u8>>, what: &str| {
            png.and_then(|png| match Picture::from_png(&png) {
                Ok(picture) => Some(picture),
                Err(e) => {
                    tracing::warn!(error = %e, "the school's {what} is not drawn");
                    None
                }
            })
        };
        Ok(Seal {
            credentials,
            stamp: decode(stamp, "stamp"),
            signature: decode(signature, "signature"),
        })
    }
}

impl Issuer {
    /// See [`Seal::load`].
    pub async fn seal(&self) -> anyhow::Result<Arc<Seal>> {
        Ok(Arc::new(Seal::load(&self.db, &self.signing).await?))
    }

    pub fn verify_url(&self, number: &str) -> String {
        format!("{}/verify/{number}", self.public_url)
    }

    pub fn pdf_url(&self, number: &str) -> String {
        format!("{}/api/v1/certificates/{number}.pdf", self.public_url)
    }
}

impl From<&ApiContext> for Issuer {
    fn from(ctx: &ApiContext) -> Self {
        Issuer {
            db: ctx.db.clone(),
            mail: ctx.mail.clone(),
            public_url: ctx.public_url.clone(),
            signing: ctx.signing.clone(),
            mail_links: Some(crate::mail::links::LinkSigner::of(ctx)),
        }
    }
}

/// What to do with a certificate already issued for the same contract, semester and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existing {
    /// Refuse (an admin's single issue without a correction).
    Refuse,
    /// Leave it and issue only the missing kinds (bulk issuing, the scheduled job).
    Skip,
    /// Issue a new number and mark the old one superseded, with the correction's reason.
    Replace(String),
    /// The same for a correction the facts impose (a termination cuts the period short):
    /// the semester was ready when first issued, so it is not checked again.
    Correct(String),
}

#[derive(Debug, Clone)]
pub struct IssueOptions {
    pub kinds: Vec<CertificateKind>,
    pub existing: Existing,
    /// An admin's reason to issue before the semester is over or its roll calls signed.
    pub force_reason: Option<String>,
    /// The admin who issues; `None` for the scheduled job.
    pub issued_by: Option<i64>,
}

/// A certificate as the API shows it once issued.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuedCertificate {
    pub number: String,
    #[schema(value_type = String, example = "S9")]
    pub semester: Semester,
    #[schema(value_type = String, example = "attestation")]
    pub kind: CertificateKind,
    pub sha256: String,
    pub issued_at: DateTime<Utc>,
    /// The number of the certificate this one supersedes.
    pub replaces: Option<String>,
    pub pdf_url: String,
    pub verify_url: String,
}

/// Why a contract's semester cannot be issued.
#[derive(Debug)]
pub enum IssueError {
    /// The contract has no such semester (it starts after 31 December, or was withdrawn).
    NoSemester(Semester),
    NotEnded {
        semester: Semester,
        ends_on: NaiveDate,
    },
    UnsignedRollCalls {
        semester: Semester,
        count: i64,
        first_day: NaiveDate,
    },
    /// The school counts a presence only with the trainee's own signature, and some of
    /// the period's presences lack it.
    UnsignedPresences {
        semester: Semester,
        count: i64,
        first_day: NaiveDate,
    },
    AlreadyIssued(Vec<String>),
    /// A fact the certificate prints is empty: `field` names it.
    MissingField(FieldError),
    Failed(AppError),
}

impl From<sqlx::Error> for IssueError {
    fn from(e: sqlx::Error) -> Self {
        IssueError::Failed(e.into())
    }
}

impl From<anyhow::Error> for IssueError {
    fn from(e: anyhow::Error) -> Self {
        IssueError::Failed(AppError::Internal(e))
    }
}

impl From<IssueError> for AppError {
    fn from(e: IssueError) -> Self {
        match e {
            IssueError::NoSemester(s) => AppError::field(
                "semester",
                format!("le contrat ne couvre aucun jour du semestre {s}"),
            ),
            IssueError::NotEnded { semester, ends_on } => AppError::Conflict(format!(
                "le semestre {semester} n’est pas terminé (dernier jour : {}) ; pour émettre \
                 quand même, forcez l’émission en donnant un motif (« force » et « reason »)",
                date_fr(ends_on)
            )),
            IssueError::UnsignedRollCalls {
                semester,
                count,
                first_day,
            } => AppError::Conflict(format!(
                "{} du semestre {semester} {} (le premier le {}) ; \
                 faites-les signer, ou forcez l’émission en donnant un motif (« force » et « reason »)",
                crate::domain::text::count_fr(count, "appel", "appels"),
                crate::domain::text::plural_fr(count, "n’est pas signé", "ne sont pas signés"),
                date_fr(first_day)
            )),
            IssueError::UnsignedPresences {
                semester,
                count,
                first_day,
            } => AppError::Conflict(format!(
                "{} du semestre {semester} {} par la personne \
                 en formation (la première le {}), et l’école ne compte une présence qu’avec sa \
                 signature ; faites-les signer, ou forcez l’émission en donnant un motif \
                 (« force » et « reason »)",
                crate::domain::text::count_fr(count, "présence", "présences"),
                crate::domain::text::plural_fr(count, "n’est pas signée", "ne sont pas signées"),
                date_fr(first_day)
            )),
            IssueError::AlreadyIssued(numbers) => AppError::Conflict(format!(
                "déjà émis : n° {} ; pour le remplacer après une correction, demandez son \
                 remplacement en donnant le motif de la correction (« replace » et « reason »)",
                numbers.join(", ")
            )),
            IssueError::MissingField(f) => AppError::Validation(vec![f]),
            IssueError::Failed(e) => e,
        }
    }
}

impl ContractFacts {
    fn student_name(&self) -> String {
        format!(
            "{} {}",
            self.frame.student_first_name,
            self.frame.student_last_name.to_uppercase()
        )
    }
}

/// Every printed fact must be there: the first empty one is named, as the API field that
/// an admin has to fill in.
fn check_printable(f: &ContractFacts) -> Result<(), FieldError> {
    let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().is_empty();
    // Both learner words begin with a vowel: « l’alternant·e », « l’apprenti·e ».
    let learner = f.frame.kind().learner();
    let (last_name, first_name, birth_place) = (
        format!("le nom de l’{learner}"),
        format!("le prénom de l’{learner}"),
        format!("le lieu de naissance de l’{learner}"),
    );
    let checks: [(bool, &str, &str); 16] = [
        (text(&f.school_name), "school.name", "le nom de l’école"),
        (
            text(&f.school_address),
            "school.address",
            "l’adresse de l’école",
        ),
        (text(&f.school_siret), "school.siret", "le SIRET de l’école"),
        (
            text(&f.activity_number),
            "school.activity_number",
            "le numéro de déclaration d’activité de l’école",
        ),
        (
            text(&f.city),
            "school.city",
            "la ville où les attestations sont faites",
        ),
        (
            text(&f.signatory_name),
            "school.signatory_name",
            "le nom du ou de la signataire",
        ),
        (
            text(&f.signatory_title),
            "school.signatory_title",
            "la fonction du ou de la signataire",
        ),
        (
            f.company_name.trim().is_empty(),
            "company.legal_name",
            "la raison sociale de l’entreprise",
        ),
        (
            f.company_siret.trim().is_empty(),
            "company.siret",
            "le SIRET de l’entreprise",
        ),
        (
            f.frame.student_last_name.trim().is_empty(),
            "student.last_name",
            &last_name,
        ),
        (
            f.frame.student_first_name.trim().is_empty(),
            "student.first_name",
            &first_name,
        ),
        (
            f.birth_place.trim().is_empty(),
            "student.birth_place",
            &birth_place,
        ),
        (
            f.qualification.trim().is_empty(),
            "programme.qualification",
            "l’intitulé de la qualification",
        ),
        (
            f.rncp.trim().is_empty(),
            "programme.rncp",
            "le numéro RNCP de la qualification",
        ),
        (
            f.frame.contract_kind.trim().is_empty(),
            "contract.kind",
            "le type de contrat",
        ),
        (
            f.place.trim().is_empty(),
            "contract.place",
            "le lieu de la formation",
        ),
    ];
    match checks.iter().find(|(missing, _, _)| *missing) {
        Some((_, field, what)) => Err(FieldError::new(
            *field,
            format!("{what} n’est pas renseigné(e) ; il est imprimé sur l’attestation"),
        )),
        None => Ok(()),
    }
}

/// A document ready to be written: its snapshot, its bytes and their digest.
pub struct RenderedCertificate {
    pub data: CertificateData,
    pub pdf: Vec<u8>,
    pub sha256: String,
}

/// One contract's semester, read and checked, waiting to be rendered and stored.
pub struct Prepared {
    facts: ContractFacts,
    /// The snapshots of the documents to issue (the number is already drawn).
    documents: Vec<CertificateData>,
    /// Old numbers superseded by a correction, with its reason.
    replaced: Vec<String>,
    forced_reason: Option<String>,
    issued_by: Option<i64>,
    supersede_reason: Option<String>,
}

/// Reads and checks what a contract's semester needs to be issued; nothing is written.
pub async fn prepare(
    issuer: &Issuer,
    contract_id: i64,
    semester: Semester,
    options: &IssueOptions,
    now: DateTime<Utc>,
) -> Result<Option<Prepared>, IssueError> {
    let facts = load_facts(&issuer.db, contract_id).await?;
    prepare_from(issuer, &facts, semester, options, now).await
}

pub(super) async fn load_facts(db: &Db, contract_id: i64) -> Result<ContractFacts, sqlx::Error> {
    db::certificates::contract_facts(db, contract_id).await
}

/// [`prepare`] for facts already read.
pub(super) async fn prepare_from(
    issuer: &Issuer,
    facts: &ContractFacts,
    semester: Semester,
    options: &IssueOptions,
    now: DateTime<Utc>,
) -> Result<Option<Prepared>, IssueError> {
    let db = &issuer.db;
    let contract_id = facts.frame.id;
    let frame = &facts.frame;
    // The period first, from the dates alone: a semester still running costs no more reads.
    let Some(period) = crate::domain::semester::semesters(&frame.dates())
        .into_iter()
        .find(|p| p.semester == semester)
    else {
        return Err(IssueError::NoSemester(semester));
    };
    let today = now.with_timezone(&Paris).date_naive();
    // Readiness is checked unless an admin forces the issue or a correction re-issues what
    // was already certified.
    let check_ready =
        options.force_reason.is_none() && !matches!(options.existing, Existing::Correct(_));
    if check_ready && period.to >= today {
        return Err(IssueError::NotEnded {
            semester,
            ends_on: period.to,
        });
    }
    let current = db::certificates::current_of_semester(db, contract_id, semester.as_str()).await?;
    let existing_of = |kind: CertificateKind| {
        current
            .iter()
            .find(|(k, _)| k == kind.as_str())
            .map(|(_, n)| n.clone())
    };
    let mut kinds = Vec::new();
    let mut replaced = Vec::new();
    for &kind in &options.kinds {
        match (existing_of(kind), &options.existing) {
            (None, _) => kinds.push((kind, None)),
            (Some(_), Existing::Skip) => {}
            (Some(old), Existing::Replace(_) | Existing::Correct(_)) => {
                replaced.push(old.clone());
                kinds.push((kind, Some(old)));
            }
            (Some(old), Existing::Refuse) => {
                return Err(IssueError::AlreadyIssued(vec![old]));
            }
        }
    }
    if kinds.is_empty() {
        return Ok(None);
    }

    let sessions = contract_sessions(db, frame)
        .await
        .map_err(IssueError::Failed)?;
    let Some((cov, tally)) = tally_semesters(frame, &sessions, now)
        .into_iter()
        .find(|(cov, _)| cov.semester == semester)
    else {
        return Err(IssueError::NoSemester(semester));
    };

    if check_ready && let Some(group) = facts.frame.group_id {
        let (count, first_day) =
            db::certificates::unsigned_roll_calls(db, group, cov.from, cov.to).await?;
        if let (true, Some(first_day)) = (count > 0, first_day) {
            return Err(IssueError::UnsignedRollCalls {
                semester,
                count,
                first_day,
            });
        }
    }
    if check_ready && facts.presence_needs_signature.unwrap_or(false) {
        // The school counts a presence only with the trainee's own signature of it.
        let (count, first_day) =
            db::certificates::unsigned_presences(db, facts.frame.student_id, cov.from, cov.to)
                .await?;
        if let (true, Some(first_day)) = (count > 0, first_day) {
            return Err(IssueError::UnsignedPresences {
                semester,
                count,
                first_day,
            });
        }
    }
    check_printable(facts).map_err(IssueError::MissingField)?;

    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let speciality = match (facts.department_name.trim(), facts.option_name.trim()) {
        ("", o) => o.to_owned(),
        (d, "") => d.to_owned(),
        (d, o) => format!("{d} — {o}"),
    };
    let terminated_on = facts
        .frame
        .termination_date
        .filter(|t| *t <= facts.frame.defence_date.unwrap_or(facts.frame.end_date) && *t == cov.to);
    let hours = HourFacts {
        planned: cov.planned,
        scheduled: Minutes(tally.scheduled),
        attended: Minutes(tally.attended),
        excused: Minutes(tally.excused),
        unexcused: Minutes(tally.absence),
        unrecorded: Minutes(tally.unrecorded + tally.upcoming),
        unscheduled: cov.unscheduled(),
    };
    let documents = kinds
        .into_iter()
        .map(|(kind, replaces)| {
            let number = new_number(kind, facts.frame.academic_year_start.year(), semester);
            CertificateData {
                verify_url: issuer.verify_url(&number),
                number,
                kind,
                semester,
                school: SchoolFacts {
                    name: text(&facts.school_name),
                    legal_entity: text(&facts.legal_entity),
                    address: text(&facts.school_address),
                    siret: text(&facts.school_siret),
                    activity_number: text(&facts.activity_number),
                    city: text(&facts.city),
                    signatory_name: text(&facts.signatory_name),
                    signatory_title: text(&facts.signatory_title),
                },
                company: CompanyFacts {
                    legal_name: facts.company_name.clone(),
                    siret: facts.company_siret.clone(),
                },
                student: StudentFacts {
                    first_name: facts.frame.student_first_name.clone(),
                    last_name: facts.frame.student_last_name.clone(),
                    birth_date: facts.birth_date,
                    birth_place: facts.birth_place.clone(),
                },
                training: TrainingFacts {
                    qualification: facts.qualification.clone(),
                    rncp: facts.rncp.clone(),
                    speciality: speciality.clone(),
                    contract_kind: facts.frame.contract_kind.clone(),
                    place: facts.place.clone(),
                    academic_year: facts.frame.academic_year.clone(),
                },
                period_from: cov.from,
                period_to: cov.to,
                terminated_on,
                hours,
                issued_on: now.with_timezone(&Paris).date_naive(),
                // Whole seconds: the PDF's dates have no finer grain, and the snapshot
                // must render to the same bytes.
                issued_at: DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now),
                replaces,
            }
        })
        .collect();
    Ok(Some(Prepared {
        facts: facts.clone(),
        documents,
        replaced,
        forced_reason: options.force_reason.clone(),
        issued_by: options.issued_by,
        supersede_reason: match &options.existing {
            Existing::Replace(reason) | Existing::Correct(reason) => Some(reason.clone()),
            _ => None,
        },
    }))
}

/// Prepares the corrected documents of a semester whose current certificates run past a
/// termination about to be recorded (Article 7): the same kinds, for the period cut at
/// `termination`, replacing the old ones with `reason`. `Err(NoSemester)` when the
/// termination leaves no day of the semester.
pub async fn prepare_for_termination(
    issuer: &Issuer,
    contract_id: i64,
    semester: Semester,
    kinds: Vec<CertificateKind>,
    termination: NaiveDate,
    reason: String,
    now: DateTime<Utc>,
) -> Result<Option<Prepared>, IssueError> {
    let mut facts = load_facts(&issuer.db, contract_id).await?;
    facts.frame.termination_date = Some(termination);
    let options = IssueOptions {
        kinds,
        existing: Existing::Correct(reason),
        force_reason: None,
        issued_by: None,
    };
    prepare_from(issuer, &facts, semester, &options, now).await
}

/// Renders a prepared semester's documents, stamped and signed: CPU only, no I/O. The
/// digest is the signed file's.
pub fn render(prepared: &Prepared, seal: &Seal) -> anyhow::Result<Vec<RenderedCertificate>> {
    prepared
        .documents
        .iter()
        .map(|data| {
            let pdf = crate::pdf::certificate::render_signed(
                data,
                seal.pictures(),
                seal.credentials.as_ref(),
            )?;
            let sha256 = hex::encode(Sha256::digest(&pdf));
            Ok(RenderedCertificate {
                data: data.clone(),
                pdf,
                sha256,
            })
        })
        .collect()
}

/// Writes the rendered documents of a prepared semester and queues their mails, in the
/// caller's transaction; answers the certificates stored (none when another instance issued
/// them meanwhile).
pub async fn store(
    issuer: &Issuer,
    tx: &mut Tx,
    prepared: &Prepared,
    rendered: &[RenderedCertificate],
    now: DateTime<Utc>,
) -> Result<Vec<IssuedCertificate>, IssueError> {
    for old in &prepared.replaced {
        let new = rendered
            .iter()
            .find(|r| r.data.replaces.as_deref() == Some(old.as_str()))
            .map(|r| r.data.number.clone());
        let changed = db::certificates::supersede(
            tx,
            old,
            now,
            new.as_deref(),
            prepared.supersede_reason.as_deref(),
        )
        .await?;
        if changed != 1 {
            return Err(IssueError::Failed(AppError::Conflict(format!(
                "le certificat n° {old} vient d’être remplacé par une autre demande"
            ))));
        }
    }
    let mut issued = Vec::with_capacity(rendered.len());
    for r in rendered {
        let d = &r.data;
        let snapshot = serde_json::to_string(d).map_err(anyhow::Error::from)?;
        // Another instance may have issued the same kind meanwhile: the unique index on
        // the current certificate of a contract's semester keeps one.
        let inserted = db::certificates::insert(
            tx,
            &db::certificates::NewCertificate {
                number: &d.number,
                kind: d.kind.as_str(),
                semester: d.semester.as_str(),
                student_id: prepared.facts.frame.student_id,
                contract_id: prepared.facts.frame.id,
                snapshot: &snapshot,
                pdf: &r.pdf,
                sha256: &r.sha256,
                issued_at: d.issued_at,
                issued_by: prepared.issued_by,
                forced_reason: prepared.forced_reason.as_deref(),
            },
        )
        .await?;
        if inserted == 1 {
            issued.push(IssuedCertificate {
                number: d.number.clone(),
                semester: d.semester,
                kind: d.kind,
                sha256: r.sha256.clone(),
                issued_at: d.issued_at,
                replaces: d.replaces.clone(),
                pdf_url: issuer.pdf_url(&d.number),
                verify_url: d.verify_url.clone(),
            });
        }
    }
    if !issued.is_empty() {
        queue_mails(issuer, tx, prepared, &issued, now).await?;
    }
    Ok(issued)
}

/// Issues one contract's semester: prepare, render off the async threads, store.
pub async fn issue_one(
    issuer: &Issuer,
    contract_id: i64,
    semester: Semester,
    options: &IssueOptions,
    now: DateTime<Utc>,
) -> Result<Vec<IssuedCertificate>, IssueError> {
    let Some(prepared) = prepare(issuer, contract_id, semester, options, now).await? else {
        return Ok(Vec::new());
    };
    let seal = issuer.seal().await?;
    let (prepared, rendered) = tokio::task::spawn_blocking(move || {
        let rendered = render(&prepared, &seal);
        (prepared, rendered)
    })
    .await
    .map_err(anyhow::Error::from)?;
    let rendered = rendered?;
    let mut tx = issuer.db.begin_write().await?;
    let issued = store(issuer, &mut tx, &prepared, &rendered, now).await?;
    if issued.len() < rendered.len() {
        // Someone issued the same documents a moment ago: keep theirs.
        return Err(IssueError::AlreadyIssued(
            rendered
                .iter()
                .filter(|r| !issued.iter().any(|i| i.number == r.data.number))
                .map(|r| format!("{} {}", r.data.kind, r.data.semester))
                .collect(),
        ));
    }
    tx.commit().await?;
    Ok(issued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::contracts::ContractFrame;

    fn facts() -> ContractFacts {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let some = |s: &str| Some(s.to_owned());
        ContractFacts {
            frame: ContractFrame {
                id: 1,
                student_id: 1,
                tutor_id: 1,
                group_id: Some(1),
                start_date: d("2025-09-01"),
                end_date: d("2026-08-31"),
                defence_date: Some(d("2026-08-28")),
                termination_date: None,
                planned_minutes_s9: 270 * 60,
                planned_minutes_s10: 210 * 60,
                contract_kind: "contrat de professionnalisation".into(),
                academic_year: "2025-2026".into(),
                academic_year_start: d("2025-09-01"),
                student_first_name: "Léa".into(),
                student_last_name: "Martin".into(),
            },
            place: "Alès".into(),
            birth_date: d("2002-03-14"),
            birth_place: "Nîmes".into(),
            student_email: "lea@example.fr".into(),
            student_lang: "fr".into(),
            company_name: "Énergies du Gard".into(),
            company_siret: "73282932000074".into(),
            tutor_first_name: "Paul".into(),
            tutor_last_name: "Durand".into(),
            tutor_email: "paul@example.fr".into(),
            tutor_lang: "fr".into(),
            qualification: "Ingénieur".into(),
            rncp: "RNCP38677".into(),
            department_name: "2ER".into(),
            option_name: String::new(),
            school_name: some("IMT Mines Alès"),
            legal_entity: some(""),
            school_address: some("6 avenue de Clavières, 30100 Alès"),
            school_siret: some("18009202500113"),
            activity_number: some("76300411830"),
            city: some("Alès"),
            signatory_name: some("Assia TRIA"),
            signatory_title: some("directrice"),
            presence_needs_signature: Some(false),
        }
    }

    #[test]
    fn every_printed_fact_is_required_and_named() {
        assert!(check_printable(&facts()).is_ok());
        let mut f = facts();
        f.birth_place = "  ".into();
        assert_eq!(
            check_printable(&f).unwrap_err().field,
            "student.birth_place"
        );
        let mut f = facts();
        f.school_name = None;
        assert_eq!(check_printable(&f).unwrap_err().field, "school.name");
        let mut f = facts();
        f.rncp = String::new();
        assert_eq!(check_printable(&f).unwrap_err().field, "programme.rncp");
    }
}
