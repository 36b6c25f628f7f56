//! `assidu demo generate`: a whole school year of generated contracts, to measure assidu at
//! the size of a school network (issue 7).
//!
//! On top of the demo (school, years, calendars, programmes), it adds N students in groups of
//! `GROUP_SIZE`, each with a company, a tutor and a contract covering the year; every group
//! gets four sessions on each school day of its calendar (08:30–17:15, 7 h a day), so a
//! contract's planned hours are its scheduled hours. Sessions before `as_of` are signed and
//! every student is marked on them (about 2 % absent, 2 % late), except about one in a hundred
//! left without a roll call, as a real year has. Students, tutors and teachers get accounts
//! sharing one password (one argon2 hash: hashing 15,000 passwords would take minutes).
//!
//! Rows go in by multi-row INSERTs and the marks by one INSERT … SELECT, in one transaction:
//! a failed run leaves nothing. A marker in `app_meta` keeps a year from being generated twice.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::clock::Clock;
use crate::db::records::seed;
use crate::db::{self, Db, Value};
use crate::domain::semester::{ContractDates, Semester, semesters};
use crate::domain::siret::luhn_valid;

pub const GROUP_SIZE: usize = 25;
const STUDENTS_PER_COMPANY: usize = 10;
const STUDENTS_PER_TUTOR: usize = 5;
/// Rows per INSERT: under SQLite's 32,766 bound parameters with the widest row (20 columns).
const BATCH: usize = 1_000;
const SESSION_MINUTES: i64 = 105;
const SLOTS: [((u32, u32), (u32, u32)); 4] = [
    ((8, 30), (10, 15)),
    ((10, 30), (12, 15)),
    ((13, 30), (15, 15)),
    ((15, 30), (17, 15)),
];
const MODULES: [&str; 4] = [
    "Génie logiciel",
    "Gestion de projet",
    "Anglais professionnel",
    "Mathématiques appliquées",
];
const LAST_NAMES: [&str; 20] = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "García",
    "Bertrand",
    "Roux",
    "Fournier",
    "Müller",
    "N’Diaye",
];
const FIRST_NAMES: [&str; 20] = [
    "Léa",
    "Chloé",
    "Émile",
    "Zoé",
    "Noé",
    "Anaïs",
    "Hélène",
    "Jérôme",
    "François",
    "Gaëlle",
    "Loïc",
    "Maëlys",
    "Inès",
    "Théo",
    "Clément",
    "Célia",
    "Raphaël",
    "Agnès",
    "Océane",
    "Joël",
];

pub struct Options {
    pub students: usize,
    pub year: String,
    /// Sessions before this day have their roll call.
    pub as_of: NaiveDate,
    /// The password of every generated account.
    pub password: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub students: usize,
    pub groups: usize,
    pub teachers: usize,
    pub companies: usize,
    pub sessions: usize,
    pub marks: u64,
    pub seconds: f64,
}

impl Report {
    pub fn summary_fr(&self) -> String {
        format!(
            "{} contrat(s) générés : {} groupe(s), {} enseignant·e(s), {} entreprise(s), \
             {} séance(s), {} émargement(s), en {:.1} s",
            self.students,
            self.groups,
            self.teachers,
            self.companies,
            self.sessions,
            self.marks,
            self.seconds
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("le nombre d’élèves doit être compris entre 1 et 1 000 000 (reçu {0})")]
    Count(usize),
    #[error("année scolaire inconnue : « {0} » (assidu demo load crée 2025-2026 et 2026-2027)")]
    UnknownYear(String),
    #[error("l’année « {0} » n’a pas de calendrier")]
    NoCalendar(String),
    #[error("l’année « {0} » n’a aucun jour d’école dans son calendrier")]
    NoSchoolDay(String),
    #[error("aucune formation (programme) en base : chargez d’abord la démo")]
    NoProgramme,
    #[error("des contrats ont déjà été générés pour l’année « {0} »")]
    AlreadyGenerated(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// The 14th digit that makes `base13` a SIRET whose Luhn key checks.
fn siret(base13: &str) -> String {
    (0..10)
        .map(|d| format!("{base13}{d}"))
        .find(|s| luhn_valid(s))
        .unwrap_or_else(|| format!("{base13}0"))
}

fn person(i: usize) -> (&'static str, &'static str) {
    (
        LAST_NAMES[i % LAST_NAMES.len()],
        FIRST_NAMES[(i / LAST_NAMES.len() + i) % FIRST_NAMES.len()],
    )
}

/// A stable hash of a few small numbers (splitmix64's finaliser), for the generated gaps: no
/// randomness, so two runs with the same options produce the same year.
fn mix(values: &[u64]) -> u64 {
    let mut z = values
        .iter()
        .fold(0x9e37_79b9_7f4a_7c15_u64, |h, v| h.rotate_left(21) ^ v);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

struct Year {
    id: i64,
    calendar_id: i64,
    starts_on: NaiveDate,
    programme_id: i64,
    start: NaiveDate,
    end: NaiveDate,
    defence: NaiveDate,
    school_days: Vec<NaiveDate>,
}

async fn year(db: &Db, name: &str) -> Result<Year, GenerateError> {
    let year = crate::db::years::by_name(db, name)
        .await?
        .ok_or_else(|| GenerateError::UnknownYear(name.into()))?;
    let (id, starts_on, ends_on) = (year.id, year.starts_on, year.ends_on);
    let calendar_id = db::calendars::first_of_year(db, id).await?;
    let calendar_id = calendar_id.ok_or_else(|| GenerateError::NoCalendar(name.into()))?;
    // The programme and dates of the year's existing contracts, as the demo has them.
    let programme_id = db::programmes::of_year_or_first(db, id).await?;
    let programme_id = programme_id.ok_or(GenerateError::NoProgramme)?;
    let dates = db::records::contract_span_of_year(db, id).await?;
    let start = dates.0.unwrap_or(starts_on);
    let end = dates.1.unwrap_or(ends_on);
    let defence = dates.2.unwrap_or(end);
    let school_days = db::calendars::school_days(db, calendar_id, start, defence).await?;
    if school_days.is_empty() {
        return Err(GenerateError::NoSchoolDay(name.into()));
    }
    Ok(Year {
        id,
        calendar_id,
        starts_on,
        programme_id,
        start,
        end,
        defence,
        school_days,
    })
}

/// A generated session before it is written; `signed` is when and by which account.
struct SessionRow {
    group: i64,
    module: i64,
    teacher: i64,
    day: NaiveDate,
    slot: usize,
    signed: Option<(DateTime<Utc>, i64)>,
}

fn time(hm: (u32, u32)) -> NaiveTime {
    NaiveTime::from_hms_opt(hm.0, hm.1, 0).unwrap_or(NaiveTime::MIN)
}

/// Creates the generated year. The demo must be loaded (or the year, its calendar and a
/// programme created) first.
pub async fn generate(db: &Db, options: &Options) -> Result<Report, GenerateError> {
    let started = Instant::now();
    let n = options.students;
    if n == 0 || n > 1_000_000 {
        return Err(GenerateError::Count(n));
    }
    let year = year(db, &options.year).await?;
    let tag = options
        .year
        .replace(|c: char| !c.is_ascii_alphanumeric(), "");
    let marker = format!("generated:{}", options.year);
    let password_hash = crate::auth::hash_password(&options.password)?;
    let now = Clock::system().now();

    let dates = ContractDates {
        academic_year_start: year.starts_on,
        start: year.start,
        end: year.end,
        defence: Some(year.defence),
        termination: None,
    };
    let periods = semesters(&dates);
    let planned = |semester: Semester| -> i64 {
        periods
            .iter()
            .filter(|p| p.semester == semester)
            .map(|p| year.school_days.iter().filter(|d| p.contains(**d)).count() as i64)
            .sum::<i64>()
            * SESSION_MINUTES
            * SLOTS.len() as i64
    };
    let (planned_s9, planned_s10) = (planned(Semester::S9), planned(Semester::S10));

    let groups = n.div_ceil(GROUP_SIZE);
    let companies = n.div_ceil(STUDENTS_PER_COMPANY);
    let tutors = n.div_ceil(STUDENTS_PER_TUTOR);
    let teachers = groups * 2;
    let mut report = Report {
        students: n,
        groups,
        teachers,
        companies,
        ..Report::default()
    };

    // One transaction: a failed run leaves nothing.
    let mut write = db.begin_write().await?;
    let tx = &mut write;
    if seed::claim_in(tx, &marker, &n.to_string()).await? == 0 {
        return Err(GenerateError::AlreadyGenerated(options.year.clone()));
    }

    // Modules, one per slot of the day.
    let mut module_ids = Vec::with_capacity(MODULES.len());
    for name in MODULES {
        let name = format!("{name} ({})", options.year);
        module_ids.push(seed::insert_module_in(tx, year.programme_id, &name).await?);
    }

    // Companies, each with a SIRET whose key checks.
    let mut company_ids: HashMap<String, i64> = HashMap::with_capacity(companies);
    let sirets: Vec<String> = (0..companies)
        .map(|i| siret(&format!("9{:04}{i:08}", year.id % 10_000)))
        .collect();
    for chunk in sirets.chunks(BATCH) {
        let values: Vec<Vec<Value>> = chunk
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let (last, first) = person(k + 7);
                vec![
                    format!("Entreprise générée {s}").into(),
                    s.as_str().into(),
                    "12 rue de la République, 30100 Alès".into(),
                    format!("{first} {last}").into(),
                    "Directeur·rice".into(),
                ]
            })
            .collect();
        let rows = seed::insert_rows_in(
            tx,
            "INSERT INTO companies (legal_name, siret, address, representative_name, \
             representative_role) ",
            &values,
            Some(" RETURNING id, siret"),
        )
        .await?;
        company_ids.extend(rows.into_iter().map(|(id, s)| (s, id)));
    }
    let company_of = |student: usize| -> i64 {
        company_ids
            .get(&sirets[student / STUDENTS_PER_COMPANY])
            .copied()
            .unwrap_or_default()
    };

    // Tutors (two per company), teachers (two per group: mornings and afternoons),
    // students: keyed by their e-mail.
    let tutor_email = |t: usize| format!("tuteur{t}.{tag}@generated.test");
    let teacher_email = |t: usize| format!("enseignant{t}.{tag}@generated.test");
    let student_email = |s: usize| format!("eleve{s}.{tag}@generated.test");
    let mut tutor_ids = HashMap::with_capacity(tutors);
    for chunk in (0..tutors).collect::<Vec<_>>().chunks(BATCH) {
        let values: Vec<Vec<Value>> = chunk
            .iter()
            .map(|t| {
                let (last, first) = person(t + 3);
                vec![
                    company_of(t * STUDENTS_PER_TUTOR).into(),
                    last.into(),
                    first.into(),
                    "Responsable d’équipe".into(),
                    tutor_email(*t).into(),
                ]
            })
            .collect();
        let rows = seed::insert_rows_in(
            tx,
            "INSERT INTO tutors (company_id, last_name, first_name, function, email) ",
            &values,
            Some(" RETURNING id, email"),
        )
        .await?;
        tutor_ids.extend(rows.into_iter().map(|(id, e)| (e, id)));
    }
    let mut teacher_ids = HashMap::with_capacity(teachers);
    for chunk in (0..teachers).collect::<Vec<_>>().chunks(BATCH) {
        let values: Vec<Vec<Value>> = chunk
            .iter()
            .map(|t| {
                let (last, first) = person(t + 11);
                vec![last.into(), first.into(), teacher_email(*t).into()]
            })
            .collect();
        let rows = seed::insert_rows_in(
            tx,
            "INSERT INTO teachers (last_name, first_name, email) ",
            &values,
            Some(" RETURNING id, email"),
        )
        .await?;
        teacher_ids.extend(rows.into_iter().map(|(id, e)| (e, id)));
    }
    let mut student_ids = HashMap::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(BATCH) {
        let values: Vec<Vec<Value>> = chunk
            .iter()
            .map(|s| {
                let (last, first) = person(*s);
                let born = NaiveDate::from_ymd_opt(2001 + (*s % 4) as i32, 1 + (*s % 12) as u32, 1)
                    .unwrap_or(year.starts_on);
                vec![
                    last.to_uppercase().into(),
                    first.into(),
                    student_email(*s).into(),
                    "3 place de l’Hôtel de Ville, 30000 Nîmes".into(),
                    born.into(),
                    "Nîmes".into(),
                ]
            })
            .collect();
        let rows = seed::insert_rows_in(
            tx,
            "INSERT INTO students (last_name, first_name, email, address, birth_date, \
             birth_place) ",
            &values,
            Some(" RETURNING id, email"),
        )
        .await?;
        student_ids.extend(rows.into_iter().map(|(id, e)| (e, id)));
    }
    let id_of = |ids: &HashMap<String, i64>, email: String| -> i64 {
        ids.get(&email).copied().unwrap_or_default()
    };

    // Groups.
    let mut group_ids = Vec::with_capacity(groups);
    for chunk in (0..groups).collect::<Vec<_>>().chunks(BATCH) {
        let values: Vec<Vec<Value>> = chunk
            .iter()
            .map(|g| {
                vec![
                    format!("GEN-{g:05}").into(),
                    year.id.into(),
                    year.calendar_id.into(),
                    year.programme_id.into(),
                ]
            })
            .collect();
        let rows = seed::insert_rows_in(
            tx,
            "INSERT INTO student_groups (name, academic_year_id, calendar_id, programme_id) ",
            &values,
            Some(" RETURNING id, name"),
        )
        .await?;
        let by_name: HashMap<String, i64> = rows.into_iter().map(|(id, n)| (n, id)).collect();
        group_ids.extend(
            chunk
                .iter()
                .map(|g| by_name.get(&format!("GEN-{g:05}")).copied().unwrap_or(0)),
        );
    }

    // Contracts: most with subrogation; one in ten partly covered, one in ten without.
    let hourly = |price: i64, minutes: i64| price * 60 / minutes.max(1);
    for chunk in (0..n).collect::<Vec<_>>().chunks(BATCH) {
        let values: Vec<Vec<Value>> = chunk
            .iter()
            .map(|s| {
                let subrogation = s % 10 != 9;
                let coverage = (s % 10 == 8).then(|| hourly(450_000, planned_s9) * 4 / 5);
                vec![
                    id_of(&student_ids, student_email(*s)).into(),
                    company_of(*s).into(),
                    id_of(&tutor_ids, tutor_email(s / STUDENTS_PER_TUTOR)).into(),
                    year.programme_id.into(),
                    year.id.into(),
                    group_ids[s / GROUP_SIZE].into(),
                    year.start.into(),
                    year.end.into(),
                    year.defence.into(),
                    "Alès".into(),
                    planned_s9.into(),
                    planned_s10.into(),
                    450_000_i64.into(),
                    350_000_i64.into(),
                    if subrogation { "OPCO Atlas" } else { "" }.into(),
                    if subrogation {
                        "financement@opco-atlas.generated.test"
                    } else {
                        ""
                    }
                    .into(),
                    subrogation.into(),
                    subrogation.then_some(year.start).into(),
                    subrogation.then_some(year.start).into(),
                    coverage.into(),
                ]
            })
            .collect();
        seed::insert_rows_in(
            tx,
            "INSERT INTO contracts (student_id, company_id, tutor_id, programme_id, \
             academic_year_id, group_id, start_date, end_date, defence_date, place, \
             planned_minutes_s9, planned_minutes_s10, price_s9_cents, price_s10_cents, \
             opco_name, opco_email, subrogation, subrogation_received_on, \
             opco_agreement_on, opco_hourly_cents) ",
            &values,
            None,
        )
        .await?;
    }

    // Accounts, all with the same password hash.
    let mut accounts: Vec<(String, &str, String, [Option<i64>; 3])> = Vec::new();
    for t in 0..teachers {
        let (last, first) = person(t + 11);
        let email = teacher_email(t);
        let id = id_of(&teacher_ids, email.clone());
        accounts.push((
            email,
            "teacher",
            format!("{first} {last}"),
            [Some(id), None, None],
        ));
    }
    for s in 0..n {
        let (last, first) = person(s);
        let email = student_email(s);
        let id = id_of(&student_ids, email.clone());
        accounts.push((
            email,
            "student",
            format!("{first} {last}"),
            [None, Some(id), None],
        ));
    }
    for t in 0..tutors {
        let (last, first) = person(t + 3);
        let email = tutor_email(t);
        let id = id_of(&tutor_ids, email.clone());
        accounts.push((
            email,
            "tutor",
            format!("{first} {last}"),
            [None, None, Some(id)],
        ));
    }
    let mut user_ids = HashMap::with_capacity(accounts.len());
    for chunk in accounts.chunks(BATCH) {
        let values: Vec<Vec<Value>> = chunk
            .iter()
            .map(|(email, role, name, links)| {
                vec![
                    email.as_str().into(),
                    password_hash.as_str().into(),
                    (*role).into(),
                    name.as_str().into(),
                    links[0].into(),
                    links[1].into(),
                    links[2].into(),
                    "fr".into(),
                    true.into(),
                    now.into(),
                ]
            })
            .collect();
        let rows = seed::insert_rows_in(
            tx,
            "INSERT INTO users (email, password_hash, role, display_name, teacher_id, \
             student_id, tutor_id, locale, active, created_at) ",
            &values,
            Some(" RETURNING id, email"),
        )
        .await?;
        user_ids.extend(rows.into_iter().map(|(id, e)| (e, id)));
    }

    // Sessions: four per school day and group; the morning teacher takes the first two.
    // Each teacher's record and account, looked up once rather than per session.
    let teacher_ref: Vec<(i64, i64)> = (0..teachers)
        .map(|t| {
            let email = teacher_email(t);
            (id_of(&teacher_ids, email.clone()), id_of(&user_ids, email))
        })
        .collect();
    let mut rows: Vec<SessionRow> =
        Vec::with_capacity(groups * year.school_days.len() * SLOTS.len());
    for (g, group_id) in group_ids.iter().enumerate() {
        for (d, day) in year.school_days.iter().enumerate() {
            for slot in 0..SLOTS.len() {
                let (teacher_id, teacher_user) = teacher_ref[g * 2 + slot / 2];
                let missing = mix(&[g as u64, d as u64, slot as u64]).is_multiple_of(100);
                let signed = (*day < options.as_of && !missing).then(|| {
                    let at = day
                        .and_time(time(SLOTS[slot].1))
                        .and_utc()
                        .checked_add_signed(chrono::Duration::minutes(5))
                        .unwrap_or(DateTime::UNIX_EPOCH);
                    (at, teacher_user)
                });
                rows.push(SessionRow {
                    group: *group_id,
                    module: module_ids[slot],
                    teacher: teacher_id,
                    day: *day,
                    slot,
                    signed,
                });
            }
        }
    }
    for chunk in rows.chunks(BATCH) {
        let values: Vec<Vec<Value>> = chunk
            .iter()
            .map(
                |SessionRow {
                     group,
                     module,
                     teacher,
                     day,
                     slot,
                     signed,
                 }| {
                    vec![
                        (*group).into(),
                        (*module).into(),
                        (*teacher).into(),
                        (*day).into(),
                        time(SLOTS[*slot].0).into(),
                        time(SLOTS[*slot].1).into(),
                        format!("Salle {}", 100 + slot).into(),
                        Value::Timestamp(signed.map(|s| s.0)),
                        signed.map(|s| s.1).into(),
                    ]
                },
            )
            .collect();
        seed::insert_rows_in(
            tx,
            "INSERT INTO training_sessions (group_id, module_id, teacher_id, day, starts_at, \
             ends_at, room, signed_at, signed_by) ",
            &values,
            None,
        )
        .await?;
    }
    report.sessions = rows.len();

    // Marks of every signed session of the generated groups.
    let marks = seed::mark_generated_sessions_in(tx, year.id).await?;
    write.commit().await?;
    report.marks = marks;
    seed::analyze(db).await?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_sirets_check() {
        for i in 0..1000 {
            let s = siret(&format!("9{:04}{i:08}", 1));
            assert_eq!(s.len(), 14);
            assert!(crate::domain::siret::Siret::parse(&s).is_ok(), "{s}");
        }
    }

    #[test]
    fn names_vary_and_keep_their_accents() {
        let names: std::collections::HashSet<_> = (0..400).map(person).collect();
        assert_eq!(names.len(), 400);
        assert_eq!(person(2), ("Dubois", "Émile"));
    }
}
