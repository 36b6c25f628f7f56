//! The pure half of the audit bundle: the names of its files, its CSV dialect, the manifest
//! and the LISEZMOI that describe it, and the ZIP itself, all from values already read.
//! Same input, same bytes: an auditor who asks twice gets the same archive.

use std::collections::HashSet;
use std::io::{Cursor, Write};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use super::readme::lisezmoi;

pub const MANIFEST: &str = "manifest.json";
pub const README: &str = "LISEZMOI.txt";
pub const HISTORY: &str = "emargement/historique.csv";
pub const DECISIONS: &str = "justificatifs/decisions.csv";
pub const NOTICES: &str = "avis-absence.csv";
/// The notices sent to the tutor and their acknowledgement (issue 19).
pub const ACKNOWLEDGEMENTS: &str = "avis-absence-prises-de-connaissance.csv";
/// The contract's follow-up record (issue 19, Qualiopi indicators 12 and 13).
pub const LIVRET: &str = "livret-de-suivi.pdf";

/// Identifies the layout of the manifest, should it ever change.
pub const FORMAT: &str = "assidu-dossier-opco/1";

/// How long after the contract's last day a mail about its absences is still its own
/// (a correction or a resend comes later than the absence).
pub const NOTICE_TAIL_DAYS: i64 = 31;

/// Lower-case ASCII words joined by `-`, at most `max` characters: names that every unzip
/// tool and every file system take as they are.
pub fn slug(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
            'æ' => "ae",
            'ç' => "c",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' | 'ì' => "i",
            'ñ' => "n",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' | 'ø' => "o",
            'œ' => "oe",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'ÿ' | 'ý' => "y",
            'ß' => "ss",
            c if c.is_ascii_alphanumeric() => {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push(c);
                continue;
            }
            _ => {
                dash = true;
                continue;
            }
        };
        if dash && !out.is_empty() {
            out.push('-');
        }
        dash = false;
        out.push_str(folded);
    }
    if out.len() > max {
        out.truncate(max);
        while out.ends_with('-') {
            out.pop();
        }
    }
    out
}

/// `emargement/AAAA-MM-JJ-HHhMM-{module}.pdf`: sorted by name, the sheets are in order.
pub fn sheet_path(day: NaiveDate, starts_at: NaiveTime, module: &str) -> String {
    let module = match slug(module, 60) {
        m if m.is_empty() => "seance".to_owned(),
        m => m,
    };
    format!(
        "emargement/{}-{:02}h{:02}-{module}.pdf",
        day.format("%Y-%m-%d"),
        starts_at.hour(),
        starts_at.minute()
    )
}

/// The name the certificate's own download gives it.
pub fn certificate_path(kind: &str, semester: &str, number: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect()
    };
    format!(
        "certificats/{}-{}-{}.pdf",
        clean(kind),
        clean(semester),
        clean(number)
    )
}

/// A justification's file, named by its number and its checked type (the name the client
/// sent never becomes a path).
pub fn justification_path(id: i64, file_type: &str) -> String {
    let ext = match file_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        _ => "bin",
    };
    format!("justificatifs/justificatif-{id:04}.{ext}")
}

/// `audit-contrat-{id}-{nom}.zip`, ASCII so that it fits a header unquoted.
pub fn bundle_file_name(contract_id: i64, last_name: &str, first_name: &str) -> String {
    match slug(&format!("{last_name} {first_name}"), 60) {
        n if n.is_empty() => format!("audit-contrat-{contract_id}.zip"),
        n => format!("audit-contrat-{contract_id}-{n}.zip"),
    }
}

/// Makes every path unique, in order: a second `x.pdf` becomes `x-2.pdf`.
pub fn dedupe(paths: &mut [String]) {
    let mut seen: HashSet<String> = HashSet::new();
    for path in paths.iter_mut() {
        if seen.insert(path.clone()) {
            continue;
        }
        let (stem, ext) = match path.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() && !e.contains('/') => (s.to_owned(), format!(".{e}")),
            _ => (path.clone(), String::new()),
        };
        let mut n = 2;
        let mut candidate = format!("{stem}-{n}{ext}");
        while seen.contains(&candidate) {
            n += 1;
            candidate = format!("{stem}-{n}{ext}");
        }
        seen.insert(candidate.clone());
        *path = candidate;
    }
}

pub use crate::export::excel_csv;

/// « 15/09/2025 08:30:12 », Paris time: what a French reader expects in a log.
pub fn paris_fr(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

/// The days whose mail about the student's absences belongs to this contract: from its
/// first day to [`NOTICE_TAIL_DAYS`] after its last, but never into the student's next
/// contract. The end is exclusive.
pub fn notice_window(
    start: NaiveDate,
    last_day: NaiveDate,
    next_contract_start: Option<NaiveDate>,
) -> (NaiveDate, NaiveDate) {
    let tail = last_day + Duration::days(NOTICE_TAIL_DAYS + 1);
    let end = match next_contract_start {
        Some(next) if next > start => tail.min(next),
        _ => tail,
    };
    (start, end)
}

/// Something an auditor should look at twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// The teacher has not signed the session's roll call.
    UnsignedSheet,
    /// No mark for the student at a session that has begun.
    UnrecordedMark,
    /// The certificate was replaced by a corrected one.
    SupersededCertificate,
    /// The file's SHA-256 is not the one recorded when it was stored.
    StoredHashMismatch,
}

impl Flag {
    pub fn fr(self) -> &'static str {
        match self {
            Flag::UnsignedSheet => "feuille non signée par l’enseignant·e",
            Flag::UnrecordedMark => "présence non saisie",
            Flag::SupersededCertificate => "certificat remplacé",
            Flag::StoredHashMismatch => {
                "empreinte différente de celle enregistrée au dépôt ou à l’émission"
            }
        }
    }
}

/// One file to put in the archive, before it is hashed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub bytes: Vec<u8>,
    /// PDFs and images are compressed already: they are stored as they are.
    pub deflate: bool,
    pub flags: Vec<Flag>,
    pub about: About,
}

impl Entry {
    pub fn new(path: String, bytes: Vec<u8>, deflate: bool) -> Entry {
        Entry {
            path,
            bytes,
            deflate,
            flags: Vec::new(),
            about: About::default(),
        }
    }
}

/// What a file is evidence of, where it matters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct About {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification_id: Option<i64>,
}

/// A file of the archive as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    /// Hex.
    pub sha256: String,
    pub flags: Vec<Flag>,
    #[serde(flatten)]
    pub about: About,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Party {
    pub name: String,
    pub siret: String,
    pub address: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SchoolFacts {
    pub name: String,
    pub siret: String,
    pub address: String,
    /// Numéro de déclaration d'activité.
    pub activity_number: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Person {
    pub last_name: String,
    pub first_name: String,
}

impl Person {
    /// « Zoé ÉLÈVE », as the certificates print it.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name.to_uppercase())
    }
}

/// The contract the bundle is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractFacts {
    pub contract_id: i64,
    pub kind: String,
    pub academic_year: String,
    pub school: SchoolFacts,
    pub company: Party,
    pub student: Person,
    pub tutor: String,
    pub qualification: String,
    pub rncp: String,
    pub group: Option<String>,
    /// First and last day of training (the defence, or the termination).
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub end_date: NaiveDate,
    pub termination_date: Option<NaiveDate>,
    pub place: String,
    pub opco: String,
    pub subrogation: bool,
}

/// How many of each; the flags say which.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub sessions: usize,
    pub unsigned_sheets: usize,
    pub unrecorded_marks: usize,
    /// Sessions of the contract that had not begun when the bundle was made: no sheet yet.
    pub upcoming_sessions_not_included: usize,
    pub mark_changes: usize,
    pub certificates: usize,
    pub superseded_certificates: usize,
    pub justifications: usize,
    pub notices: usize,
    /// Notices sent to the tutor, and how many of them were acknowledged.
    pub tutor_notices: usize,
    pub tutor_notices_acknowledged: usize,
    /// Entries of the livret de suivi (issue 19).
    pub follow_ups: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub format: &'static str,
    pub contract: ContractFacts,
    pub generated_at: DateTime<Utc>,
    pub generated_by: String,
    pub counts: Counts,
    /// Every file of the archive but this manifest, sorted by path.
    pub files: Vec<FileEntry>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn file_entry(e: &Entry) -> FileEntry {
    FileEntry {
        path: e.path.clone(),
        size: e.bytes.len() as u64,
        sha256: sha256_hex(&e.bytes),
        flags: e.flags.clone(),
        about: e.about.clone(),
    }
}

/// The DOS date of the entries: the generation time in Paris, as an unzip tool shows it.
fn zip_time(at: DateTime<Utc>) -> zip::DateTime {
    let local = at.with_timezone(&chrono_tz::Europe::Paris);
    let clamp = |v: u32| u8::try_from(v).unwrap_or(0);
    zip::DateTime::from_date_and_time(
        u16::try_from(local.year()).unwrap_or(1980),
        clamp(local.month()),
        clamp(local.day()),
        clamp(local.hour()),
        clamp(local.minute()),
        clamp(local.second()),
    )
    .unwrap_or_default()
}

/// The archive: entries sorted by path, each dated `at`, the same bytes for the same input.
pub fn write_zip(entries: &[(&str, &[u8], bool)], at: DateTime<Utc>) -> anyhow::Result<Vec<u8>> {
    let mut sorted: Vec<&(&str, &[u8], bool)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let base = zip::write::SimpleFileOptions::default()
        .last_modified_time(zip_time(at))
        .system(zip::System::Unix)
        .unix_permissions(0o644);
    for (path, bytes, deflate) in sorted {
        let options = if *deflate {
            base.compression_method(zip::CompressionMethod::Deflated)
        } else {
            base.compression_method(zip::CompressionMethod::Stored)
        };
        w.start_file(*path, options)?;
        w.write_all(bytes)?;
    }
    Ok(w.finish()?.into_inner())
}

/// Hashes the entries, writes the LISEZMOI and the manifest, and zips it all.
pub fn assemble(
    facts: ContractFacts,
    counts: Counts,
    generated_at: DateTime<Utc>,
    generated_by: &str,
    mut entries: Vec<Entry>,
) -> anyhow::Result<(Manifest, Vec<u8>)> {
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let mut files: Vec<FileEntry> = entries.iter().map(file_entry).collect();
    let readme = lisezmoi(&facts, &counts, generated_at, generated_by, &files);
    let readme_entry = Entry::new(README.to_owned(), readme.into_bytes(), true);
    files.push(file_entry(&readme_entry));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        format: FORMAT,
        contract: facts,
        generated_at,
        generated_by: generated_by.to_owned(),
        counts,
        files,
    };
    let json = serde_json::to_vec_pretty(&manifest)?;
    let mut all: Vec<(&str, &[u8], bool)> = entries
        .iter()
        .map(|e| (e.path.as_str(), e.bytes.as_slice(), e.deflate))
        .collect();
    all.push((README, &readme_entry.bytes, true));
    all.push((MANIFEST, &json, true));
    let zip = write_zip(&all, generated_at)?;
    Ok((manifest, zip))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn facts() -> ContractFacts {
        ContractFacts {
            contract_id: 12,
            kind: "contrat de professionnalisation".into(),
            academic_year: "2025-2026".into(),
            school: SchoolFacts {
                name: "IMT Mines Alès".into(),
                siret: "180 092 025 00113".into(),
                address: "6 avenue de Clavières, 30100 Alès".into(),
                activity_number: "763 004 118 30".into(),
            },
            company: Party {
                name: "Entreprise Test".into(),
                siret: "18009202500113".into(),
                address: "1 rue de la Paix".into(),
            },
            student: Person {
                last_name: "Élève".into(),
                first_name: "Zoé".into(),
            },
            tutor: "Paul Tuteur".into(),
            qualification: "Ingénieur diplômé".into(),
            rncp: "RNCP38677".into(),
            group: Some("2IA-IL".into()),
            period_from: d("2025-09-01"),
            period_to: d("2026-08-28"),
            end_date: d("2026-08-28"),
            termination_date: None,
            place: "Alès".into(),
            opco: "OPCO Atlas".into(),
            subrogation: true,
        }
    }

    fn at() -> DateTime<Utc> {
        "2026-01-05T09:00:07Z".parse().unwrap()
    }

    #[test]
    fn slugs_are_plain_ascii_words() {
        assert_eq!(slug("Ingénierie logicielle", 60), "ingenierie-logicielle");
        assert_eq!(slug("  Œuvre — « Ça » / ../x  ", 60), "oeuvre-ca-x");
        assert_eq!(slug("ÉLÈVE Zoé", 60), "eleve-zoe");
        assert_eq!(slug("abc def ghi", 5), "abc-d");
        assert_eq!(slug("abc def", 4), "abc");
        assert_eq!(slug("«»", 10), "");
    }

    #[test]
    fn file_names_follow_the_day_and_cannot_escape_their_folder() {
        let t = NaiveTime::from_hms_opt(8, 30, 0).unwrap();
        assert_eq!(
            sheet_path(d("2025-09-15"), t, "Ingénierie logicielle"),
            "emargement/2025-09-15-08h30-ingenierie-logicielle.pdf"
        );
        assert_eq!(
            sheet_path(d("2025-09-15"), t, "../../etc"),
            "emargement/2025-09-15-08h30-etc.pdf"
        );
        assert_eq!(
            sheet_path(d("2025-09-15"), t, "—"),
            "emargement/2025-09-15-08h30-seance.pdf"
        );
        assert_eq!(
            certificate_path("attestation", "S9", "AP-2025-S9-7K3QM2XD9F"),
            "certificats/attestation-S9-AP-2025-S9-7K3QM2XD9F.pdf"
        );
        assert_eq!(
            certificate_path("a/../b", "S9", "X"),
            "certificats/ab-S9-X.pdf"
        );
        assert_eq!(
            justification_path(3, "image/jpeg"),
            "justificatifs/justificatif-0003.jpg"
        );
        assert_eq!(
            justification_path(12345, "text/html"),
            "justificatifs/justificatif-12345.bin"
        );
        assert_eq!(
            bundle_file_name(12, "Élève", "Zoé"),
            "audit-contrat-12-eleve-zoe.zip"
        );
        assert_eq!(bundle_file_name(7, "", "—"), "audit-contrat-7.zip");
    }

    #[test]
    fn duplicate_paths_get_a_number() {
        let mut p: Vec<String> = ["a/x.pdf", "a/x.pdf", "a/y.pdf", "a/x.pdf", "a/x-2.pdf"]
            .map(String::from)
            .to_vec();
        dedupe(&mut p);
        assert_eq!(
            p,
            [
                "a/x.pdf",
                "a/x-2.pdf",
                "a/y.pdf",
                "a/x-3.pdf",
                "a/x-2-2.pdf"
            ]
        );
        let unique: HashSet<&String> = p.iter().collect();
        assert_eq!(unique.len(), p.len());
    }

    #[test]
    fn csv_has_a_bom_semicolons_and_quotes_what_needs_it() {
        let bytes = excel_csv(
            &["Date", "Motif"],
            vec![
                vec!["15/09/2025".into(), "malade ; fièvre".into()],
                vec!["16/09/2025".into(), "dit « non »\nensuite".into()],
            ],
        )
        .unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(
            text,
            "Date;Motif\r\n15/09/2025;\"malade ; fièvre\"\r\n16/09/2025;\"dit « non »\nensuite\"\r\n"
        );
    }

    #[test]
    fn notices_belong_to_the_contract_until_a_month_after_or_the_next_one() {
        let (from, to) = notice_window(d("2025-09-01"), d("2026-08-28"), None);
        assert_eq!((from, to), (d("2025-09-01"), d("2026-09-29")));
        let (_, to) = notice_window(d("2025-09-01"), d("2026-08-28"), Some(d("2026-09-07")));
        assert_eq!(to, d("2026-09-07"));
        // A "next" contract that starts first does not shorten anything.
        let (_, to) = notice_window(d("2025-09-01"), d("2026-08-28"), Some(d("2025-01-01")));
        assert_eq!(to, d("2026-09-29"));
    }

    fn entries() -> Vec<Entry> {
        let mut sheet = Entry::new(
            "emargement/2025-09-15-13h30-x.pdf".into(),
            b"%PDF-sheet".to_vec(),
            false,
        );
        sheet.flags.push(Flag::UnsignedSheet);
        sheet.about.session_id = Some(4);
        let mut old = Entry::new(
            "certificats/attestation-S9-AP-1.pdf".into(),
            b"%PDF-old".to_vec(),
            false,
        );
        old.flags.push(Flag::SupersededCertificate);
        old.about.superseded_by = Some("AP-2".into());
        vec![
            Entry::new(NOTICES.into(), b"\xEF\xBB\xBFa;b\r\n".to_vec(), true),
            sheet,
            old,
        ]
    }

    fn counts() -> Counts {
        Counts {
            sessions: 1,
            unsigned_sheets: 1,
            certificates: 1,
            superseded_certificates: 1,
            ..Counts::default()
        }
    }

    #[test]
    fn the_manifest_hashes_every_file_and_the_zip_holds_them_sorted() {
        let (manifest, zip) =
            assemble(facts(), counts(), at(), "Admin (admin@x.test)", entries()).unwrap();
        let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                README,
                NOTICES,
                "certificats/attestation-S9-AP-1.pdf",
                "emargement/2025-09-15-13h30-x.pdf"
            ]
        );
        let mut archive = zip::ZipArchive::new(Cursor::new(zip.clone())).unwrap();
        let names: Vec<String> = archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "entries in name order");
        assert_eq!(names.len(), 5);
        for f in &manifest.files {
            let mut bytes = Vec::new();
            let mut file = archive.by_name(&f.path).unwrap();
            file.read_to_end(&mut bytes).unwrap();
            assert_eq!(f.sha256, sha256_hex(&bytes), "{}", f.path);
            assert_eq!(f.size, bytes.len() as u64);
            let when = file.last_modified().unwrap();
            // 09:00:07 UTC is 10:00:06 in Paris in January (DOS times count by two seconds).
            assert_eq!(
                (
                    when.year(),
                    when.month(),
                    when.day(),
                    when.hour(),
                    when.minute(),
                    when.second()
                ),
                (2026, 1, 5, 10, 0, 6)
            );
            let stored = f.path.ends_with(".pdf");
            assert_eq!(
                file.compression() == zip::CompressionMethod::Stored,
                stored,
                "{}",
                f.path
            );
        }
        let mut json = String::new();
        archive
            .by_name(MANIFEST)
            .unwrap()
            .read_to_string(&mut json)
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["format"], FORMAT);
        assert_eq!(v["contract"]["student"]["last_name"], "Élève");
        assert_eq!(v["generated_at"], "2026-01-05T09:00:07Z");
        let sheet = &v["files"][3];
        assert_eq!(sheet["flags"], serde_json::json!(["unsigned_sheet"]));
        assert_eq!(sheet["session_id"], 4);
        assert_eq!(v["files"][2]["superseded_by"], "AP-2");
        assert!(v["files"][1].get("session_id").is_none());
    }

    #[test]
    fn the_same_input_gives_the_same_bytes() {
        let (_, one) = assemble(facts(), counts(), at(), "A", entries()).unwrap();
        let mut shuffled = entries();
        shuffled.reverse();
        let (_, two) = assemble(facts(), counts(), at(), "A", shuffled).unwrap();
        assert_eq!(one, two);
        let later = at() + Duration::minutes(1);
        let (_, three) = assemble(facts(), counts(), later, "A", entries()).unwrap();
        assert_ne!(one, three);
    }

    #[test]
    fn the_readme_is_french_and_points_at_what_is_flagged() {
        let (manifest, _) = assemble(facts(), counts(), at(), "Anne Admin", entries()).unwrap();
        let text = lisezmoi(
            &manifest.contract,
            &manifest.counts,
            at(),
            "Anne Admin",
            &manifest.files,
        );
        for expected in [
            "DOSSIER DE CONTRÔLE OPCO — CONTRAT N° 12",
            "Salarié·e : Zoé ÉLÈVE",
            "du 01/09/2025 au 28/08/2026",
            "OPCO : OPCO Atlas (subrogation : oui)",
            "Dossier édité le 05/01/2026 10:00:07 (heure de Paris) par Anne Admin.",
            "- emargement/2025-09-15-13h30-x.pdf : feuille non signée par l’enseignant·e",
            "- certificats/attestation-S9-AP-1.pdf : certificat remplacé (remplacé par AP-2)",
            "groupe « 2IA-IL »",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from\n{text}");
        }
        let calm = lisezmoi(&facts(), &Counts::default(), at(), "A", &[]);
        assert!(calm.contains("POINTS D’ATTENTION\r\nAucun."), "{calm}");
    }
}
