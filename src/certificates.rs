//! Issuing the S9/S10 certificates (Article 3): gather the facts of a contract's semester,
//! freeze them as a snapshot, render the PDF from it, and store the snapshot, the bytes and
//! their SHA-256 with the mails to the student and the tutor, all in one transaction. A
//! certificate is never changed afterwards: a correction issues a new number and marks the
//! old one superseded.

use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::db::contracts::{ContractFrame, contract_sessions};
use crate::db::{Db, Tx};
use crate::domain::certificate::{
    CertificateData, CertificateKind, CompanyFacts, HourFacts, SchoolFacts, StudentFacts,
    TrainingFacts, new_number,
};
use crate::domain::hours::Minutes;
use crate::domain::semester::Semester;
use crate::domain::text::date_fr;
use crate::error::{AppError, FieldError};
use crate::hours::tally_semesters;
use crate::i18n::Lang;
use crate::mail::MailService;
use crate::mail::outbox::{self, NewMail};
use crate::pdf::Picture;
use crate::pdf::certificate::SealPictures;
use crate::signing::{Credentials, Signing};
use crate::{db_run, tx_run};

/// Contracts read, rendered and written together when issuing in bulk: one write
/// transaction per batch, memory bounded by the batch whatever the number of students.
const BATCH: i64 = 64;

/// What issuing needs beyond the database: mail templates and the public address.
#[derive(Clone)]
pub struct Issuer {
    pub db: Db,
    pub mail: Arc<MailService>,
    /// Base of absolute links, without a trailing slash.
    pub public_url: Arc<str>,
    /// The key the documents are signed with.
    pub signing: Arc<Signing>,
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
        let images: Option<Pngs> = db_run!(db, |pool| {
            sqlx::query_as("SELECT stamp_png, signature_png FROM school WHERE id = 1")
                .fetch_optional(pool)
                .await
        })?;
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
                "le semestre {semester} n'est pas terminé (dernier jour : {}) ; pour émettre \
                 quand même, forcez l'émission en donnant un motif (« force » et « reason »)",
                date_fr(ends_on)
            )),
            IssueError::UnsignedRollCalls {
                semester,
                count,
                first_day,
            } => AppError::Conflict(format!(
                "{count} appel(s) du semestre {semester} ne sont pas signés (le premier le {}) ; \
                 faites-les signer, ou forcez l'émission en donnant un motif (« force » et « reason »)",
                date_fr(first_day)
            )),
            IssueError::UnsignedPresences {
                semester,
                count,
                first_day,
            } => AppError::Conflict(format!(
                "{count} présence(s) du semestre {semester} ne sont pas signées par la personne \
                 en formation (la première le {}), et l'école ne compte une présence qu'avec sa \
                 signature ; faites-les signer, ou forcez l'émission en donnant un motif \
                 (« force » et « reason »)",
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

/// The facts of one contract that its certificates print, in one row.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ContractFacts {
    /// The dates and names a summary also reads.
    #[sqlx(flatten)]
    frame: ContractFrame,
    place: String,
    birth_date: NaiveDate,
    birth_place: String,
    student_email: String,
    student_lang: String,
    company_name: String,
    company_siret: String,
    tutor_first_name: String,
    tutor_last_name: String,
    tutor_email: String,
    tutor_lang: String,
    qualification: String,
    rncp: String,
    department_name: String,
    option_name: String,
    school_name: Option<String>,
    legal_entity: Option<String>,
    school_address: Option<String>,
    school_siret: Option<String>,
    activity_number: Option<String>,
    city: Option<String>,
    signatory_name: Option<String>,
    signatory_title: Option<String>,
    /// The school counts a presence only with the trainee's signature (NULL without a profile).
    presence_needs_signature: Option<bool>,
}

const FACTS_SELECT: &str = "SELECT c.id, c.student_id, c.tutor_id, c.group_id, \
    c.kind AS contract_kind, c.place, c.start_date, c.end_date, c.defence_date, c.termination_date, \
    c.planned_minutes_s9, c.planned_minutes_s10, y.name AS academic_year, \
    y.starts_on AS academic_year_start, st.first_name AS student_first_name, \
    st.last_name AS student_last_name, st.birth_date, st.birth_place, st.email AS student_email, \
    st.lang AS student_lang, co.legal_name AS company_name, co.siret AS company_siret, \
    t.first_name AS tutor_first_name, t.last_name AS tutor_last_name, t.email AS tutor_email, \
    t.lang AS tutor_lang, p.qualification, p.rncp, p.department_name, p.option_name, \
    sc.name AS school_name, sc.legal_entity, sc.address AS school_address, \
    sc.siret AS school_siret, sc.activity_number, sc.city, sc.signatory_name, sc.signatory_title, \
    sc.presence_needs_signature \
    FROM contracts c JOIN academic_years y ON y.id = c.academic_year_id \
    JOIN students st ON st.id = c.student_id JOIN companies co ON co.id = c.company_id \
    JOIN tutors t ON t.id = c.tutor_id JOIN programmes p ON p.id = c.programme_id \
    LEFT JOIN school sc ON sc.id = 1 WHERE c.id = $1";

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
        (text(&f.school_name), "school.name", "le nom de l'école"),
        (
            text(&f.school_address),
            "school.address",
            "l'adresse de l'école",
        ),
        (text(&f.school_siret), "school.siret", "le SIRET de l'école"),
        (
            text(&f.activity_number),
            "school.activity_number",
            "le numéro de déclaration d'activité de l'école",
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
            "la raison sociale de l'entreprise",
        ),
        (
            f.company_siret.trim().is_empty(),
            "company.siret",
            "le SIRET de l'entreprise",
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
            "l'intitulé de la qualification",
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
            format!("{what} n'est pas renseigné(e) ; il est imprimé sur l'attestation"),
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

async fn load_facts(db: &Db, contract_id: i64) -> Result<ContractFacts, sqlx::Error> {
    db_run!(db, |pool| sqlx::query_as(FACTS_SELECT)
        .bind(contract_id)
        .fetch_one(pool)
        .await)
}

/// [`prepare`] for facts already read.
async fn prepare_from(
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
    let current: Vec<(String, String)> = db_run!(db, |pool| sqlx::query_as(
        "SELECT kind, number FROM certificates WHERE contract_id = $1 AND semester = $2 \
         AND superseded_at IS NULL"
    )
    .bind(contract_id)
    .bind(semester.as_str())
    .fetch_all(pool)
    .await)?;
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
        let (count, first_day): (i64, Option<NaiveDate>) = db_run!(db, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*), MIN(day) FROM training_sessions WHERE group_id = $1 \
                 AND day >= $2 AND day <= $3 AND signed_at IS NULL",
            )
            .bind(group)
            .bind(cov.from)
            .bind(cov.to)
            .fetch_one(pool)
            .await
        })?;
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
        let (count, first_day): (i64, Option<NaiveDate>) = db_run!(db, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*), MIN(s.day) FROM attendance_marks m \
                 JOIN training_sessions s ON s.id = m.session_id \
                 LEFT JOIN self_signins si ON si.session_id = m.session_id AND si.student_id = m.student_id \
                 WHERE m.student_id = $1 AND s.day >= $2 AND s.day <= $3 \
                 AND m.status IN ('present', 'late', 'left_early') AND si.session_id IS NULL",
            )
            .bind(facts.frame.student_id)
            .bind(cov.from)
            .bind(cov.to)
            .fetch_one(pool)
            .await
        })?;
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
        let changed = tx_run!(tx, |conn| {
            sqlx::query(
            "UPDATE certificates SET superseded_at = $2, superseded_by = $3, supersede_reason = $4 \
             WHERE number = $1 AND superseded_at IS NULL"
        )
        .bind(old)
        .bind(now)
        .bind(&new)
        .bind(&prepared.supersede_reason)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
        })?;
        if changed != 1 {
            return Err(IssueError::Failed(AppError::Conflict(format!(
                "le certificat n° {old} vient d'être remplacé par une autre demande"
            ))));
        }
    }
    let mut issued = Vec::with_capacity(rendered.len());
    for r in rendered {
        let d = &r.data;
        let snapshot = serde_json::to_string(d).map_err(anyhow::Error::from)?;
        // Another instance may have issued the same kind meanwhile: the unique index on
        // the current certificate of a contract's semester keeps one.
        let inserted = tx_run!(tx, |conn| {
            sqlx::query(
            "INSERT INTO certificates (number, kind, semester, student_id, contract_id, snapshot, \
             pdf, sha256, issued_at, issued_by, forced_reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING"
        )
        .bind(&d.number)
        .bind(d.kind.as_str())
        .bind(d.semester.as_str())
        .bind(prepared.facts.frame.student_id)
        .bind(prepared.facts.frame.id)
        .bind(&snapshot)
        .bind(&r.pdf)
        .bind(&r.sha256)
        .bind(d.issued_at)
        .bind(prepared.issued_by)
        .bind(&prepared.forced_reason)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
        })?;
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

/// Tells the student and the tutor, each in their language, with the links.
async fn queue_mails(
    issuer: &Issuer,
    tx: &mut Tx,
    prepared: &Prepared,
    issued: &[IssuedCertificate],
    now: DateTime<Utc>,
) -> Result<(), IssueError> {
    let f = &prepared.facts;
    let Some(first) = prepared.documents.first() else {
        return Ok(());
    };
    let semester = first.semester;
    let domain = issuer.mail.from_address().email.domain().to_owned();
    let replaces = prepared.replaced.join(", ");
    let recipients = [
        (
            "student",
            format!(
                "{} {}",
                f.frame.student_first_name, f.frame.student_last_name
            ),
            &f.student_email,
            &f.student_lang,
        ),
        (
            "tutor",
            format!("{} {}", f.tutor_first_name, f.tutor_last_name),
            &f.tutor_email,
            &f.tutor_lang,
        ),
    ];
    for (role, name, email, lang) in recipients {
        let lang = Lang::parse(lang).unwrap_or_default();
        let documents: Vec<serde_json::Value> = issued
            .iter()
            .map(|c| {
                json!({
                    "title": match lang { Lang::Fr => c.kind.title_fr(), Lang::En => c.kind.title_en() },
                    "number": c.number,
                    "url": c.pdf_url,
                    "verify_url": c.verify_url,
                })
            })
            .collect();
        let context = json!({
            "recipient_name": name,
            "student": f.student_name(),
            "school": first.school.name,
            "semester_label": format!("Semestre {}", semester.number()),
            "semester_label_en": format!("Semester {}", semester.number()),
            "academic_year": f.frame.academic_year,
            "documents": documents,
            "replaces": replaces,
            "reason": prepared.supersede_reason,
            "attended": first.hours.attended.fmt_fr(),
            "planned": first.hours.planned.fmt_fr(),
            "excused": first.hours.excused.fmt_fr(),
            "unexcused": first.hours.unexcused.fmt_fr(),
            "list_url": format!("{}/certificates", issuer.public_url),
        });
        let rendered = issuer.mail.render("certificate_issued", lang, &context)?;
        outbox::enqueue(
            tx,
            &domain,
            &NewMail {
                kind: "certificate_issued",
                dedup_key: format!("certificate:{}:{role}", issued[0].number),
                recipient: email.clone(),
                lang,
                rendered,
                reason: format!(
                    "{} {semester} de {} : n° {}",
                    if replaces.is_empty() {
                        "Attestation"
                    } else {
                        "Attestation corrigée"
                    },
                    f.student_name(),
                    issued
                        .iter()
                        .map(|c| c.number.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                student_id: Some(f.frame.student_id),
            },
            now,
        )
        .await?;
    }
    Ok(())
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

/// Which contracts a bulk issue goes through.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Every contract of an academic year (by name, `2025-2026`), for one semester.
    Year { year: String, semester: Semester },
    /// Every contract lacking a current certificate of the semester that may have ended by
    /// `today` (the scheduled job).
    Missing {
        semester: Semester,
        kinds: usize,
        today: NaiveDate,
    },
}

/// A student whose certificate could not be issued, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeldStudent {
    pub student_id: i64,
    pub contract_id: i64,
    pub student: String,
    #[schema(value_type = String, example = "S9")]
    pub semester: Semester,
    pub academic_year: String,
    pub reason: String,
    /// Unsigned roll calls of the semester, when that is the reason.
    pub unsigned_roll_calls: Option<i64>,
    pub first_unsigned_day: Option<NaiveDate>,
}

/// What a bulk issue did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct BatchReport {
    /// Contracts looked at.
    pub contracts: u64,
    /// Documents issued.
    pub issued: u64,
    /// Contracts whose documents were all issued before.
    pub already_issued: u64,
    /// Contracts whose semester has not ended yet.
    pub not_ended: u64,
    /// Contracts without that semester.
    pub no_semester: u64,
    /// Students blocked by unsigned roll calls.
    pub blocked: Vec<HeldStudent>,
    /// Students whose contract misses a printed fact, or failed otherwise.
    pub failed: Vec<HeldStudent>,
}

impl BatchReport {
    pub fn summary_fr(&self) -> String {
        format!(
            "{} document(s) émis pour {} contrat(s) examiné(s) ; {} déjà émis, {} semestre(s) non terminé(s), {} bloqué(s) par des appels non signés, {} en erreur",
            self.issued,
            self.contracts,
            self.already_issued,
            self.not_ended,
            self.blocked.len(),
            self.failed.len()
        )
    }
}

/// How many contracts a selection holds (for a progress bar).
pub async fn count(db: &Db, selection: &Selection) -> Result<u64, sqlx::Error> {
    let (sql, arg) = selection_sql(selection, "COUNT(*)");
    let n: i64 = db_run!(db, |pool| sqlx::query_scalar(&sql)
        .bind(&arg)
        .bind(0_i64)
        .bind(i64::MAX)
        .fetch_one(pool)
        .await)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The contracts of a selection as `SELECT {what} … WHERE c.id > $2 LIMIT $3`, and the
/// value of `$1`.
fn selection_sql(selection: &Selection, what: &str) -> (String, String) {
    match selection {
        Selection::Year { year, .. } => (
            format!(
                "SELECT {what} FROM (SELECT c.id FROM contracts c \
                 JOIN academic_years y ON y.id = c.academic_year_id \
                 WHERE y.name = $1 AND c.id > $2 ORDER BY c.id LIMIT $3) AS picked"
            ),
            year.clone(),
        ),
        Selection::Missing {
            semester,
            kinds,
            today,
        } => {
            // A cheap filter that keeps every contract whose semester may have ended
            // (`prepare` decides exactly): the contract ended before today, or, for S9, the
            // academic year began in an earlier calendar year. Dates are inlined: they come
            // from a `NaiveDate`, never from input.
            let ended = "c.end_date < '{today}' OR c.defence_date < '{today}' \
                 OR c.termination_date < '{today}'"
                .replace("{today}", &today.to_string());
            let ended = match semester {
                Semester::S9 => format!("{ended} OR y.starts_on < '{}-01-01'", today.year()),
                Semester::S10 => ended,
            };
            (
                format!(
                    "SELECT {what} FROM (SELECT c.id FROM contracts c \
                     JOIN academic_years y ON y.id = c.academic_year_id WHERE c.id > $2 \
                     AND ({ended}) AND (SELECT COUNT(*) FROM certificates ce \
                     WHERE ce.contract_id = c.id AND ce.semester = $1 \
                     AND ce.superseded_at IS NULL) < {kinds} ORDER BY c.id LIMIT $3) AS picked"
                ),
                semester.as_str().to_owned(),
            )
        }
    }
}

fn semester_of(selection: &Selection) -> Semester {
    match selection {
        Selection::Year { semester, .. } | Selection::Missing { semester, .. } => *semester,
    }
}

/// Issues every contract of a selection, a batch at a time: each batch is read, rendered on
/// all cores, then written in one transaction, so a crash loses at most the batch in hand
/// and a new run picks up where it stopped (documents already issued are skipped).
/// `progress` is told the number of contracts done after each batch.
pub async fn issue_many(
    issuer: &Issuer,
    selection: &Selection,
    options: &IssueOptions,
    now: impl Fn() -> DateTime<Utc>,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<BatchReport> {
    let semester = semester_of(selection);
    let (sql, arg) = selection_sql(selection, "id");
    let mut report = BatchReport::default();
    let mut after = 0_i64;
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    loop {
        let ids: Vec<i64> = db_run!(&issuer.db, |pool| sqlx::query_scalar(&sql)
            .bind(&arg)
            .bind(after)
            .bind(BATCH)
            .fetch_all(pool)
            .await)?;
        let Some(&last) = ids.last() else {
            break;
        };
        after = last;
        let at = now();
        let mut batch = Vec::with_capacity(ids.len());
        for id in &ids {
            report.contracts += 1;
            let facts = load_facts(&issuer.db, *id).await?;
            match prepare_from(issuer, &facts, semester, options, at).await {
                Ok(Some(p)) => batch.push(p),
                Ok(None) => report.already_issued += 1,
                Err(e) => hold(&mut report, &facts, semester, e)?,
            }
        }
        // Render on every core: each thread takes a share of the batch.
        let chunk = batch.len().div_ceil(workers).max(1);
        let mut tasks = Vec::new();
        let seal = if batch.is_empty() {
            None
        } else {
            Some(issuer.seal().await?)
        };
        while let Some(seal) = seal.clone().filter(|_| !batch.is_empty()) {
            let part: Vec<Prepared> = batch.drain(..chunk.min(batch.len())).collect();
            tasks.push(tokio::task::spawn_blocking(move || {
                part.into_iter()
                    .map(|p| {
                        let r = render(&p, &seal);
                        (p, r)
                    })
                    .collect::<Vec<_>>()
            }));
        }
        let mut done = Vec::new();
        for task in tasks {
            done.extend(task.await?);
        }
        let mut tx = issuer.db.begin_write().await?;
        for (prepared, rendered) in &done {
            let rendered = match rendered {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = ?e, contract = prepared.facts.frame.id, "certificate rendering failed");
                    report.failed.push(held(
                        &prepared.facts,
                        semester,
                        "erreur interne pendant le rendu du PDF".to_owned(),
                    ));
                    continue;
                }
            };
            match store(issuer, &mut tx, prepared, rendered, at).await {
                Ok(issued) => report.issued += issued.len() as u64,
                Err(IssueError::Failed(AppError::Internal(e))) => return Err(e),
                Err(IssueError::Failed(AppError::Conflict(m))) => {
                    report.failed.push(held(&prepared.facts, semester, m))
                }
                Err(IssueError::Failed(e)) => return Err(anyhow::anyhow!("{e}")),
                Err(other) => {
                    report.failed.push(held(
                        &prepared.facts,
                        semester,
                        AppError::from(other).public_message(),
                    ));
                }
            }
        }
        tx.commit().await?;
        progress(report.contracts);
    }
    Ok(report)
}

fn held(f: &ContractFacts, semester: Semester, reason: String) -> HeldStudent {
    HeldStudent {
        student_id: f.frame.student_id,
        contract_id: f.frame.id,
        student: f.student_name(),
        semester,
        academic_year: f.frame.academic_year.clone(),
        reason,
        unsigned_roll_calls: None,
        first_unsigned_day: None,
    }
}

/// Files a contract that could not be prepared under the right heading of the report.
fn hold(
    report: &mut BatchReport,
    facts: &ContractFacts,
    semester: Semester,
    e: IssueError,
) -> anyhow::Result<()> {
    match e {
        IssueError::NoSemester(_) => report.no_semester += 1,
        IssueError::NotEnded { .. } => report.not_ended += 1,
        IssueError::AlreadyIssued(_) => report.already_issued += 1,
        IssueError::UnsignedRollCalls {
            count, first_day, ..
        }
        | IssueError::UnsignedPresences {
            count, first_day, ..
        } => {
            let mut h = held(facts, semester, AppError::from(e).public_message());
            h.unsigned_roll_calls = Some(count);
            h.first_unsigned_day = Some(first_day);
            report.blocked.push(h);
        }
        IssueError::MissingField(_) => {
            report
                .failed
                .push(held(facts, semester, AppError::from(e).public_message()));
        }
        IssueError::Failed(AppError::Internal(e)) => return Err(e),
        IssueError::Failed(e) => return Err(anyhow::anyhow!("{e}")),
    }
    Ok(())
}

/// The office's mail listing students whose due certificates wait for unsigned roll calls
/// or for a fact to print.
pub async fn queue_blocked_report(
    issuer: &Issuer,
    tx: &mut Tx,
    blocked: &[HeldStudent],
    failed: &[HeldStudent],
    dedup: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let office: Option<(String, String)> = tx_run!(tx, |conn| sqlx::query_as(
        "SELECT name, office_email FROM school WHERE id = 1"
    )
    .fetch_optional(&mut *conn)
    .await)?;
    let (Some((school, office_email)), false) = (office, blocked.is_empty() && failed.is_empty())
    else {
        return Ok(false);
    };
    let url = |b: &HeldStudent| format!("{}/students/{}", issuer.public_url, b.student_id);
    let context = json!({
        "school": school,
        "blocked": blocked.iter().map(|b| json!({
            "student": b.student,
            "semester": b.semester,
            "academic_year": b.academic_year,
            "unsigned": b.unsigned_roll_calls.unwrap_or(0),
            "first_day": b.first_unsigned_day.map(date_fr).unwrap_or_default(),
            "url": url(b),
        })).collect::<Vec<_>>(),
        "failed": failed.iter().map(|f| json!({
            "student": f.student,
            "semester": f.semester,
            "academic_year": f.academic_year,
            "reason": f.reason,
            "url": url(f),
        })).collect::<Vec<_>>(),
        "audit_url": format!("{}/audit", issuer.public_url),
    });
    let rendered = issuer
        .mail
        .render("certificates_blocked", Lang::Fr, &context)?;
    Ok(outbox::enqueue(
        tx,
        issuer.mail.from_address().email.domain(),
        &NewMail {
            kind: "certificates_blocked",
            dedup_key: dedup.to_owned(),
            recipient: office_email,
            lang: Lang::Fr,
            rendered,
            reason: format!(
                "{} attestation(s) bloquée(s) par des appels non signés, {} impossible(s) à émettre",
                blocked.len(),
                failed.len()
            ),
            student_id: None,
        },
        now,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

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
