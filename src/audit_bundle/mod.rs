//! The OPCO audit bundle: when the funder controls a contract, the school hands over one ZIP
//! with all its evidence — the émargement sheet of each half-day, the log of every change of
//! the student's marks, the certificates as issued, the justifications with their files and
//! decisions, the absence notices sent — and a manifest with the SHA-256 of every file.
//!
//! [`gather`] reads everything in a few queries; [`build`] renders and zips it without I/O,
//! on a blocking thread ([`generate`] does both). The API, the web page's link and the CLI
//! all go through [`generate`].

pub mod files;
mod readme;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::attendance::emargement::{Emargement, EmargementRow};
pub use crate::db::audit_bundle::{
    CertificateRow, HistoryRow, JustificationRow, NoticeRow, SessionRow,
};
use crate::db::{self, Db};
use crate::domain::attendance::{Mark, SessionTimes, Status, half_day_fr};
use crate::domain::contract_kind::ContractKind;
use crate::domain::semester::ContractDates;
use crate::domain::text::date_fr;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use files::{ContractFacts, Counts, Entry, Flag, Party, Person, SchoolFacts};

/// Everything the bundle holds, read from the database.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub facts: ContractFacts,
    /// « IMT Mines Alès — 6 avenue de Clavières, 30100 Alès », on top of each sheet.
    pub school_line: Option<String>,
    pub sessions: Vec<SessionRow>,
    pub history: Vec<HistoryRow>,
    pub certificates: Vec<CertificateRow>,
    /// Each with the absences it covers, as « 15/09/2025 08:30–12:00 Module ».
    pub justifications: Vec<(JustificationRow, Vec<String>)>,
    pub notices: Vec<NoticeRow>,
    /// The notices sent to the tutor, with their acknowledgement (issue 19).
    pub acknowledgements: Vec<crate::db::acknowledgements::NoticeRow>,
}

/// The archive and what it says of itself.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub manifest: files::Manifest,
}

/// Reads the evidence of one contract; an unknown contract is not found.
pub async fn gather(db: &Db, contract_id: i64) -> AppResult<Evidence> {
    let c = db::audit_bundle::contract(db, contract_id).await?;
    let c = c.ok_or(AppError::NotFound)?;
    let dates = ContractDates {
        academic_year_start: c.academic_year_start,
        start: c.start_date,
        end: c.end_date,
        defence: c.defence_date,
        termination: c.termination_date,
    };
    let (from, to) = (dates.start, dates.last_day());
    let school = crate::db::school::load(db).await?;
    // Without a group, or withdrawn before the start, the contract has no session.
    let group = c
        .group_id
        .filter(|_| !dates.is_withdrawn_before_start())
        .unwrap_or(0);

    let sessions = db::audit_bundle::sessions(db, c.student_id, group, from, to).await?;

    let history = db::audit_bundle::history(db, c.student_id, group, from, to).await?;

    let certificates = db::audit_bundle::certificates(db, c.id).await?;

    let justifications =
        db::audit_bundle::justifications(db, c.student_id, group, from, to).await?;
    let covered = db::audit_bundle::covered(db, c.student_id).await?;
    let mut by_justification: HashMap<i64, Vec<String>> = HashMap::new();
    for a in covered {
        by_justification
            .entry(a.justification_id)
            .or_default()
            .push(format!(
                "{} {}–{} {}",
                date_fr(a.day),
                a.starts_at.format("%H:%M"),
                a.ends_at.format("%H:%M"),
                a.module_name
            ));
    }
    let justifications = justifications
        .into_iter()
        .map(|j| {
            let covered = by_justification.remove(&j.id).unwrap_or_default();
            (j, covered)
        })
        .collect();

    let next_start = db::audit_bundle::next_start(db, c.student_id, c.start_date).await?;
    let (notice_from, notice_to) = files::notice_window(from, to, next_start);
    let midnight = |d: NaiveDate| crate::domain::attendance::paris_instant(d, NaiveTime::MIN);
    let notices =
        db::audit_bundle::notices(db, c.student_id, midnight(notice_from), midnight(notice_to))
            .await?;
    let acknowledgements = db::acknowledgements::of_contract(db, contract_id).await?;

    let school_line = school
        .as_ref()
        .map(|s| format!("{} — {}", s.name, s.address));
    let school = school
        .map(|s| SchoolFacts {
            name: s.name,
            siret: s.siret,
            address: s.address,
            activity_number: s.activity_number,
        })
        .unwrap_or_default();
    Ok(Evidence {
        facts: ContractFacts {
            contract_id: c.id,
            kind: c.kind,
            academic_year: c.academic_year,
            school,
            company: Party {
                name: c.company_name,
                siret: c.company_siret,
                address: c.company_address,
            },
            student: Person {
                last_name: c.student_last_name,
                first_name: c.student_first_name,
            },
            tutor: c.tutor_name,
            qualification: c.qualification,
            rncp: c.rncp,
            group: c.group_name,
            period_from: from,
            period_to: to,
            end_date: c.end_date,
            termination_date: c.termination_date,
            place: c.place,
            opco: c.opco_name,
            subrogation: c.subrogation,
        },
        school_line,
        sessions,
        history,
        certificates,
        justifications,
        notices,
        acknowledgements,
    })
}

fn status_fr(raw: &str) -> String {
    Status::parse(raw).map_or_else(|| raw.to_owned(), |s| s.label_fr().to_owned())
}

fn source_fr(raw: &str) -> &str {
    match raw {
        "self" => "émargement de l’alternant·e",
        "teacher" => "enseignant·e",
        "admin" => "administration",
        "import" => "import",
        other => other,
    }
}

fn notice_kind_fr(raw: &str) -> &str {
    match raw {
        "absence_notice" => "avis d’absence",
        "absence_correction" => "correction d’un avis d’absence",
        "threshold_warning" => "alerte de seuil d’absences",
        "dropout_alert" => "alerte de décrochage",
        other => other,
    }
}

fn mail_status_fr(raw: &str) -> &str {
    match raw {
        "pending" => "en attente",
        "sending" => "en cours d’envoi",
        "sent" => "envoyé",
        "failed" => "échec",
        other => other,
    }
}

fn decision_fr(raw: &str) -> &str {
    match raw {
        "pending" => "en attente",
        "accepted" => "accepté",
        "refused" => "refusé",
        other => other,
    }
}

fn times(starts_at: NaiveTime, ends_at: NaiveTime) -> String {
    format!("{}–{}", starts_at.format("%H:%M"), ends_at.format("%H:%M"))
}

/// The sheet of one session with the student's line, drawn by the émargement sheets' own
/// renderer: an auditor sees the same document as the office.
fn sheet(e: &Evidence, s: &SessionRow, generated_at: DateTime<Utc>) -> AppResult<Vec<u8>> {
    let f = &e.facts;
    let student = format!(
        "{} {}",
        f.student.last_name.to_uppercase(),
        f.student.first_name
    );
    let mut header_lines: Vec<String> = e.school_line.iter().cloned().collect();
    header_lines.push(format!(
        "Groupe : {} · Module : {} · Enseignant·e : {} · Salle : {}",
        s.group_name, s.module_name, s.teacher_name, s.room
    ));
    header_lines.push(format!(
        "{} : {student} · Contrat n° {} ({}) · {}",
        ContractKind::of_stored(&f.kind).learner_capitalized(),
        f.contract_id,
        f.academic_year,
        f.company.name
    ));
    Emargement {
        title: format!(
            "Feuille d’émargement — séance du {} ({})",
            date_fr(s.day),
            half_day_fr(s.starts_at)
        ),
        header_lines,
        rows: vec![EmargementRow {
            day: s.day,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            module: s.module_name.clone(),
            teacher: s.teacher_name.clone(),
            student,
            mark: s.status.as_deref().and_then(Status::parse).map(|st| Mark {
                status: st,
                minutes_missed: s.minutes_missed.unwrap_or(0),
                excused_minutes: s.excused_minutes.unwrap_or(0),
            }),
            self_signin: s
                .self_signed_at
                .map(|at| (at, s.with_code.unwrap_or(false))),
            teacher_signed_at: s.signed_at,
            kind: ContractKind::of_stored(&f.kind),
        }],
        lang: Lang::Fr,
        generated_at,
        file_stem: String::new(),
    }
    .pdf()
}

/// Renders the sheets, many at once: they are independent and the renderer is the slow part.
fn render_sheets(
    e: &Evidence,
    sessions: &[&SessionRow],
    generated_at: DateTime<Utc>,
) -> AppResult<Vec<Vec<u8>>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 4);
    let chunk = sessions.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = sessions
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|s| sheet(e, s, generated_at))
                        .collect::<AppResult<Vec<Vec<u8>>>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(sessions.len());
        for h in handles {
            let part = h
                .join()
                .map_err(|_| AppError::Internal(anyhow::anyhow!("rendu d’une feuille")))??;
            all.extend(part);
        }
        Ok(all)
    })
}

fn csv_err(e: anyhow::Error) -> AppError {
    AppError::Internal(e.context("CSV du dossier de contrôle"))
}

/// Renders and zips the evidence. No I/O: run it on a blocking thread.
pub fn build(e: &Evidence, generated_at: DateTime<Utc>, generated_by: &str) -> AppResult<Bundle> {
    build_with(e, None, generated_at, generated_by)
}

/// [`build`] with the contract's livret de suivi (its PDF and its number of entries).
pub fn build_with(
    e: &Evidence,
    livret: Option<(Vec<u8>, usize)>,
    generated_at: DateTime<Utc>,
    generated_by: &str,
) -> AppResult<Bundle> {
    let mut counts = Counts::default();
    let mut entries: Vec<Entry> = Vec::new();
    if let Some((pdf, n)) = livret {
        counts.follow_ups = n;
        entries.push(Entry::new(files::LIVRET.to_owned(), pdf, false));
    }

    // Sheets of the sessions that have begun; later ones have nothing to show yet.
    let (held, upcoming): (Vec<&SessionRow>, Vec<&SessionRow>) = e
        .sessions
        .iter()
        .partition(|s| SessionTimes::new(s.day, s.starts_at, s.ends_at).has_begun(generated_at));
    counts.sessions = held.len();
    counts.upcoming_sessions_not_included = upcoming.len();
    let pdfs = render_sheets(e, &held, generated_at)?;
    let mut paths: Vec<String> = held
        .iter()
        .map(|s| files::sheet_path(s.day, s.starts_at, &s.module_name))
        .collect();
    files::dedupe(&mut paths);
    for ((s, pdf), path) in held.iter().zip(pdfs).zip(paths) {
        let mut entry = Entry::new(path, pdf, false);
        entry.about.session_id = Some(s.id);
        if s.signed_at.is_none() {
            entry.flags.push(Flag::UnsignedSheet);
            counts.unsigned_sheets += 1;
        }
        if s.status.is_none() {
            entry.flags.push(Flag::UnrecordedMark);
            counts.unrecorded_marks += 1;
        }
        entries.push(entry);
    }

    counts.mark_changes = e.history.len();
    let history = files::excel_csv(
        &[
            "N° séance",
            "Date",
            "Horaires",
            "Module",
            "Ancien statut",
            "Anciennes minutes manquées",
            "Ancienne note",
            "Nouveau statut",
            "Nouvelles minutes manquées",
            "Nouvelle note",
            "Origine",
            "Modifié par",
            "Modifié le",
            "Motif",
            "Anciennes minutes justifiées",
            "Nouvelles minutes justifiées",
        ],
        e.history.iter().map(|h| {
            vec![
                h.session_id.to_string(),
                date_fr(h.day),
                times(h.starts_at, h.ends_at),
                h.module_name.clone(),
                h.old_status.as_deref().map(status_fr).unwrap_or_default(),
                h.old_minutes_missed
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                h.old_note.clone().unwrap_or_default(),
                status_fr(&h.new_status),
                h.new_minutes_missed.to_string(),
                h.new_note.clone(),
                source_fr(&h.source).to_owned(),
                h.changed_by.clone().unwrap_or_default(),
                files::paris_fr(h.changed_at),
                h.reason.clone(),
                h.old_excused_minutes
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                h.new_excused_minutes.to_string(),
            ]
        }),
    )
    .map_err(csv_err)?;
    entries.push(Entry::new(files::HISTORY.to_owned(), history, true));

    let mut certificate_paths: Vec<String> = e
        .certificates
        .iter()
        .map(|c| files::certificate_path(&c.kind, &c.semester, &c.number))
        .collect();
    files::dedupe(&mut certificate_paths);
    for (c, path) in e.certificates.iter().zip(certificate_paths) {
        let mut entry = Entry::new(path, c.pdf.clone(), false);
        entry.about.certificate_number = Some(c.number.clone());
        entry.about.verify_url = serde_json::from_str::<serde_json::Value>(&c.snapshot)
            .ok()
            .and_then(|v| v["verify_url"].as_str().map(str::to_owned));
        counts.certificates += 1;
        if c.superseded_at.is_some() {
            entry.flags.push(Flag::SupersededCertificate);
            entry.about.superseded_by = c.superseded_by.clone();
            counts.superseded_certificates += 1;
        }
        if files::sha256_hex(&c.pdf) != c.sha256 {
            entry.flags.push(Flag::StoredHashMismatch);
        }
        entries.push(entry);
    }

    let mut decisions = Vec::new();
    for (j, covered) in &e.justifications {
        let path = files::justification_path(j.id, &j.file_type);
        let mut entry = Entry::new(path.clone(), j.file_data.clone(), false);
        entry.about.justification_id = Some(j.id);
        if files::sha256_hex(&j.file_data) != j.file_sha256 {
            entry.flags.push(Flag::StoredHashMismatch);
        }
        entries.push(entry);
        decisions.push(vec![
            j.id.to_string(),
            files::paris_fr(j.submitted_at),
            j.submitted_by.clone(),
            j.reason.clone(),
            covered.join(" | "),
            path,
            decision_fr(&j.status).to_owned(),
            j.decided_by.clone().unwrap_or_default(),
            j.decided_at.map(files::paris_fr).unwrap_or_default(),
            j.decision_comment.clone(),
        ]);
    }
    counts.justifications = e.justifications.len();
    let decisions = files::excel_csv(
        &[
            "N°",
            "Déposé le",
            "Déposé par",
            "Motif",
            "Absences couvertes",
            "Fichier",
            "Décision",
            "Décidé par",
            "Décidé le",
            "Commentaire",
        ],
        decisions,
    )
    .map_err(csv_err)?;
    entries.push(Entry::new(files::DECISIONS.to_owned(), decisions, true));

    counts.notices = e.notices.len();
    let notices = files::excel_csv(
        &[
            "Type",
            "Destinataire",
            "Objet",
            "Motif",
            "Mis en file le",
            "Envoyé le",
            "Statut",
            "Tentatives",
        ],
        e.notices.iter().map(|n| {
            vec![
                notice_kind_fr(&n.kind).to_owned(),
                n.recipient.clone(),
                n.subject.clone(),
                n.reason.clone(),
                files::paris_fr(n.queued_at),
                n.sent_at.map(files::paris_fr).unwrap_or_default(),
                mail_status_fr(&n.status).to_owned(),
                n.attempts.to_string(),
            ]
        }),
    )
    .map_err(csv_err)?;
    entries.push(Entry::new(files::NOTICES.to_owned(), notices, true));

    counts.tutor_notices = e.acknowledgements.len();
    counts.tutor_notices_acknowledged = e
        .acknowledgements
        .iter()
        .filter(|n| n.acknowledged_at.is_some())
        .count();
    let acknowledgements = files::excel_csv(
        &[
            "N°",
            "Jour",
            "Type",
            "Séances",
            "Heures manquées",
            "Tuteur ou tutrice",
            "Envoyé le",
            "Pris connaissance le",
            "Pris connaissance par",
            "Rappel envoyé le",
        ],
        e.acknowledgements.iter().map(|n| {
            vec![
                n.id.to_string(),
                date_fr(n.day),
                if n.kind == "correction" {
                    "correction"
                } else {
                    "avis"
                }
                .to_owned(),
                n.summary.clone(),
                crate::format::hours(n.minutes_missed),
                n.tutor_name.clone(),
                files::paris_fr(n.sent_at),
                n.acknowledged_at.map(files::paris_fr).unwrap_or_default(),
                n.acknowledged_by_name.clone().unwrap_or_default(),
                n.reminded_at.map(files::paris_fr).unwrap_or_default(),
            ]
        }),
    )
    .map_err(csv_err)?;
    entries.push(Entry::new(
        files::ACKNOWLEDGEMENTS.to_owned(),
        acknowledgements,
        true,
    ));

    let (manifest, bytes) =
        files::assemble(e.facts.clone(), counts, generated_at, generated_by, entries)
            .map_err(|e| AppError::Internal(e.context("archive du dossier de contrôle")))?;
    Ok(Bundle {
        file_name: files::bundle_file_name(
            e.facts.contract_id,
            &e.facts.student.last_name,
            &e.facts.student.first_name,
        ),
        bytes,
        manifest,
    })
}

/// Reads, renders and zips the bundle of a contract, the CPU part on a blocking thread.
pub async fn generate(
    db: &Db,
    contract_id: i64,
    generated_at: DateTime<Utc>,
    generated_by: &str,
) -> AppResult<Bundle> {
    let evidence = gather(db, contract_id).await?;
    let livret = crate::follow_ups::bundle_livret(db, contract_id, generated_at).await?;
    let by = generated_by.to_owned();
    tokio::task::spawn_blocking(move || build_with(&evidence, Some(livret), generated_at, &by))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("génération interrompue : {e}")))?
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    /// A year of one contract: `n` half-days, the last one unsigned and unmarked.
    fn evidence(n: usize) -> Evidence {
        let first = d("2025-09-01");
        let sessions = (0..n)
            .map(|i| {
                let morning = i % 2 == 0;
                let day = first + chrono::Duration::days((i / 2) as i64);
                let signed = i + 1 < n;
                SessionRow {
                    id: i as i64 + 1,
                    day,
                    starts_at: if morning { t("08:30") } else { t("13:30") },
                    ends_at: if morning { t("12:00") } else { t("17:00") },
                    room: "B101".into(),
                    module_name: "Ingénierie logicielle".into(),
                    teacher_name: "Anne Prof".into(),
                    group_name: "2IA-IL".into(),
                    signed_at: signed.then(|| "2025-09-01T16:00:00Z".parse().unwrap()),
                    status: signed.then(|| "present".to_owned()),
                    minutes_missed: signed.then_some(0),
                    excused_minutes: signed.then_some(0),
                    self_signed_at: None,
                    with_code: None,
                }
            })
            .collect();
        Evidence {
            facts: ContractFacts {
                contract_id: 3,
                kind: "contrat de professionnalisation".into(),
                academic_year: "2025-2026".into(),
                school: SchoolFacts::default(),
                company: Party::default(),
                student: Person {
                    last_name: "Élève".into(),
                    first_name: "Zoé".into(),
                },
                tutor: "Paul Tuteur".into(),
                qualification: "Ingénieur".into(),
                rncp: "RNCP38677".into(),
                group: Some("2IA-IL".into()),
                period_from: first,
                period_to: d("2026-08-28"),
                end_date: d("2026-08-28"),
                termination_date: None,
                place: "Alès".into(),
                opco: String::new(),
                subrogation: false,
            },
            school_line: Some("IMT Mines Alès — Alès".into()),
            sessions,
            history: Vec::new(),
            certificates: Vec::new(),
            justifications: Vec::new(),
            notices: Vec::new(),
            acknowledgements: Vec::new(),
        }
    }

    #[test]
    fn a_year_of_sessions_is_one_sheet_each_quickly_and_reproducibly() {
        let at: DateTime<Utc> = "2026-09-01T08:00:00Z".parse().unwrap();
        let e = evidence(150);
        let started = std::time::Instant::now();
        let bundle = build(&e, at, "test").unwrap();
        let elapsed = started.elapsed();
        eprintln!(
            "150 sessions: {} bytes in {} ms",
            bundle.bytes.len(),
            elapsed.as_millis()
        );
        // Generous for an unoptimised build on a busy machine; the API test reports the time.
        assert!(elapsed.as_secs() < 20, "{elapsed:?}");
        assert_eq!(bundle.file_name, "audit-contrat-3-eleve-zoe.zip");
        assert_eq!(bundle.manifest.counts.sessions, 150);
        assert_eq!(bundle.manifest.counts.unsigned_sheets, 1);
        assert_eq!(bundle.manifest.counts.unrecorded_marks, 1);
        let sheets: Vec<&files::FileEntry> = bundle
            .manifest
            .files
            .iter()
            .filter(|f| f.path.starts_with("emargement/") && f.path.ends_with(".pdf"))
            .collect();
        assert_eq!(sheets.len(), 150);
        assert_eq!(
            sheets[0].path,
            "emargement/2025-09-01-08h30-ingenierie-logicielle.pdf"
        );
        let flagged: Vec<&str> = sheets
            .iter()
            .filter(|f| f.flags.contains(&Flag::UnsignedSheet))
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(
            flagged,
            ["emargement/2025-11-14-13h30-ingenierie-logicielle.pdf"]
        );

        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bundle.bytes.clone())).unwrap();
        let mut pdf = Vec::new();
        zip.by_name(flagged[0])
            .unwrap()
            .read_to_end(&mut pdf)
            .unwrap();
        let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
        for expected in ["14/11/2025", "ÉLÈVE Zoé", "non signée", "non saisi"] {
            assert!(text.contains(expected), "{expected:?} in {text}");
        }

        let again = build(&e, at, "test").unwrap();
        assert_eq!(
            again.bytes, bundle.bytes,
            "the same evidence, the same bytes"
        );
    }

    #[test]
    fn sessions_yet_to_begin_have_no_sheet() {
        let at: DateTime<Utc> = "2025-09-02T06:00:00Z".parse().unwrap();
        let bundle = build(&evidence(6), at, "test").unwrap();
        // 1 and 2 September, morning and afternoon: the 2nd's morning begins at 08:30 Paris.
        assert_eq!(bundle.manifest.counts.sessions, 2);
        assert_eq!(bundle.manifest.counts.upcoming_sessions_not_included, 4);
    }
}
