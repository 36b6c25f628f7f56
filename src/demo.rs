//! The demo school year, loaded from the data files under `demo/` (compiled in).
//!
//! Everything goes through the same validation as the API, so the demo also proves that its
//! data obey the rules. Loading is idempotent: a marker in `app_meta` records it, and the
//! claim on that marker keeps two instances starting together from loading it twice. A load
//! is one transaction ([`Db::one_transaction`]): one that fails leaves the database as it
//! found it, and the next start tries again.
//!
//! The demo's years are fixed (2025-2026 from the convention, 2026-2027 invented); when
//! today has no demo session, [`clock_for`] picks the instant the service's clock starts
//! from so that the demo still has sessions to call around « today ».

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use serde::Deserialize;

use crate::auth;
use crate::db::Db;
use crate::db::records::seed;
use crate::domain::hours::Minutes;
use crate::domain::roles::Role;
use crate::error::{AppError, AppResult};
use crate::records::calendars::{self, CalendarInput, Calendars};
use crate::records::contracts::{ContractInput, Contracts};
use crate::records::create;
use crate::records::parties::{
    Companies, CompanyInput, StudentInput, Students, TeacherInput, Teachers, TutorInput, Tutors,
};
use crate::records::programmes::{
    GroupInput, Groups, ModuleInput, Modules, ProgrammeInput, Programmes,
};
use crate::records::sessions::{SessionInput, Sessions};
use crate::records::years::{AcademicYearInput, Years};
use crate::school::{self, SchoolInput};

pub const DEMO_PASSWORD: &str = "demo-password";
const MARKER: &str = "demo";

const DEMO_TOML: &str = include_str!("../demo/demo.toml");
/// The files `demo.toml` refers to, by their path relative to `demo/`.
const DEMO_FILES: &[(&str, &str)] = &[
    (
        "calendars/2025-2026.csv",
        include_str!("../demo/calendars/2025-2026.csv"),
    ),
    (
        "calendars/2026-2027.csv",
        include_str!("../demo/calendars/2026-2027.csv"),
    ),
    (
        "sessions/2025-2026.csv",
        include_str!("../demo/sessions/2025-2026.csv"),
    ),
    (
        "sessions/2026-2027.csv",
        include_str!("../demo/sessions/2026-2027.csv"),
    ),
];

/// The pictures `demo.toml` refers to (drawn by `scripts/demo-pictures.py`).
const DEMO_PICTURES: &[(&str, &[u8])] = &[
    ("stamp.png", include_bytes!("../demo/stamp.png")),
    ("signature.png", include_bytes!("../demo/signature.png")),
];

/// The school's stamp and signatory's signature, drawn on the certificates.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSeal {
    stamp: String,
    signature: String,
}

fn demo_picture(name: &str) -> AppResult<&'static [u8]> {
    DEMO_PICTURES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
        .ok_or_else(|| bad(format!("demo picture {name} is not compiled in")))
}

#[derive(Deserialize)]
struct DemoFile {
    school: SchoolInput,
    #[serde(default)]
    seal: Option<DemoSeal>,
    programmes: Vec<Keyed<ProgrammeInput>>,
    modules: Vec<DemoModule>,
    years: Vec<DemoYear>,
    companies: Vec<Keyed<CompanyInput>>,
    tutors: Vec<DemoTutor>,
    teachers: Vec<Keyed<TeacherInput>>,
    students: Vec<Keyed<StudentInput>>,
    groups: Vec<DemoGroup>,
    contracts: Vec<DemoContract>,
    admin: DemoAdmin,
    #[serde(default)]
    marks: Vec<DemoMark>,
    /// Companies' HR contacts (issue 19): an account of role company each.
    #[serde(default)]
    company_contacts: Vec<DemoCompanyContact>,
}

#[derive(Deserialize)]
struct DemoCompanyContact {
    company: String,
    email: String,
    name: String,
}

/// A record with the key other records of the file use to point at it.
#[derive(Deserialize)]
struct Keyed<T> {
    key: String,
    #[serde(flatten)]
    value: T,
}

#[derive(Deserialize)]
struct DemoModule {
    key: String,
    programme: String,
    name: String,
    teacher: String,
}

#[derive(Deserialize)]
struct DemoYear {
    name: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    calendar: String,
    calendar_file: String,
    sessions_file: String,
}

#[derive(Deserialize)]
struct DemoTutor {
    key: String,
    company: String,
    last_name: String,
    first_name: String,
    #[serde(default)]
    function: String,
    email: String,
    #[serde(default)]
    phone: String,
    /// The language of their mail; French unless said.
    #[serde(default)]
    lang: Option<String>,
}

#[derive(Deserialize)]
struct DemoGroup {
    key: String,
    name: String,
    year: String,
    programme: String,
}

#[derive(Deserialize)]
struct DemoContract {
    student: String,
    company: String,
    tutor: String,
    programme: String,
    group: String,
    year: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    defence_date: Option<NaiveDate>,
    place: String,
    planned_hours_s9: f64,
    planned_hours_s10: f64,
    price_s9_cents: i64,
    price_s10_cents: i64,
    #[serde(default)]
    opco_name: String,
    #[serde(default)]
    opco_email: String,
    #[serde(default)]
    subrogation: bool,
    subrogation_received_on: Option<NaiveDate>,
    opco_agreement_on: Option<NaiveDate>,
    opco_hourly_cents: Option<i64>,
    termination_date: Option<NaiveDate>,
    termination_reason: Option<String>,
}

#[derive(Deserialize)]
struct DemoAdmin {
    email: String,
    name: String,
}

#[derive(Deserialize)]
struct DemoMark {
    student: String,
    date: NaiveDate,
    start: String,
    status: String,
    #[serde(default)]
    minutes_missed: i64,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
struct SessionLine {
    date: NaiveDate,
    start: String,
    end: String,
    group: String,
    module: String,
    teacher: String,
}

pub struct Outcome {
    pub loaded_now: bool,
    pub summary: String,
}

fn bad(what: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("données de démo : {what}"))
}

fn time(raw: &str) -> AppResult<NaiveTime> {
    NaiveTime::parse_from_str(raw, "%H:%M").map_err(|_| bad(format!("heure invalide « {raw} »")))
}

fn file(name: &str) -> AppResult<&'static str> {
    DEMO_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
        .ok_or_else(|| bad(format!("fichier inconnu « {name} »")))
}

/// Key → id of the records created so far, per kind.
#[derive(Default)]
struct Ids(HashMap<(&'static str, String), i64>);

impl Ids {
    fn put(&mut self, kind: &'static str, key: &str, id: i64) {
        self.0.insert((kind, key.to_owned()), id);
    }
    fn get(&self, kind: &'static str, key: &str) -> AppResult<i64> {
        self.0
            .get(&(kind, key.to_owned()))
            .copied()
            .ok_or_else(|| bad(format!("{kind} « {key} » inconnu")))
    }
}

fn far_future() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Where `serve --demo` starts the service's clock when no `--pretend-now` is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoClock {
    /// The instant the clock starts from; `None` when today has demo sessions: the real
    /// clock will do.
    pub start: Option<DateTime<Utc>>,
    /// What to tell the person starting the demo, in French.
    pub note: String,
}

/// The first and last days of a demo year.
type YearSpan = (NaiveDate, NaiveDate);

/// The demo's school days (days with sessions) and the first and last days of its years.
fn school_days() -> AppResult<(Vec<NaiveDate>, Vec<YearSpan>)> {
    let demo: DemoFile = toml::from_str(DEMO_TOML).map_err(bad)?;
    let mut days = Vec::new();
    for y in &demo.years {
        let mut reader = csv::Reader::from_reader(file(&y.sessions_file)?.as_bytes());
        for line in reader.deserialize::<SessionLine>() {
            days.push(line.map_err(bad)?.date);
        }
    }
    days.sort();
    days.dedup();
    let years = demo
        .years
        .iter()
        .map(|y| (y.starts_on, y.ends_on))
        .collect();
    Ok((days, years))
}

/// Picks the demo's clock so that it always has something to do: if today (Paris) has
/// demo sessions, the real clock; otherwise the school day of the demo nearest to today's
/// place in its school year — today itself when it falls within the demo's years, else
/// today moved by whole 52-week steps into the nearest demo year (same weekday, same time of
/// the year) — at the same time of day (10:00 outside 08:00–18:00). Sessions before that
/// day have their roll call, that day's and later ones wait for theirs.
pub fn clock_for(now: DateTime<Utc>) -> AppResult<DemoClock> {
    let (days, years) = school_days()?;
    let paris = chrono_tz::Europe::Paris;
    let local = now.with_timezone(&paris);
    let today = local.date_naive();
    if days.binary_search(&today).is_ok() {
        return Ok(DemoClock {
            start: None,
            note: format!(
                "horloge de démonstration : l’horloge réelle (le {} a des séances dans la démo)",
                crate::format::date(today)
            ),
        });
    }
    let first = years
        .iter()
        .map(|y| y.0)
        .min()
        .ok_or_else(|| bad("aucune année"))?;
    let last = years
        .iter()
        .map(|y| y.1)
        .max()
        .ok_or_else(|| bad("aucune année"))?;
    let step = 364;
    let reference = if today > last {
        let k = ((today - last).num_days() + step - 1) / step;
        today - Duration::days(k * step)
    } else if today < first {
        let k = ((first - today).num_days() + step - 1) / step;
        today + Duration::days(k * step)
    } else {
        today
    };
    // Within the school year of the reference day when it has sessions, else anywhere.
    let year = years
        .iter()
        .find(|(from, to)| *from <= reference && reference <= *to)
        .copied();
    let in_year = |d: &&NaiveDate| year.is_none_or(|(from, to)| from <= **d && **d <= to);
    let candidates: Vec<&NaiveDate> = if days.iter().any(|d| in_year(&d)) {
        days.iter().filter(in_year).collect()
    } else {
        days.iter().collect()
    };
    let day = candidates
        .into_iter()
        .min_by_key(|d| ((**d - reference).num_days().abs(), **d < reference))
        .copied()
        .ok_or_else(|| bad("aucune séance"))?;
    let time = if (8..18).contains(&local.hour()) {
        local.time()
    } else {
        NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default()
    };
    let start = paris
        .from_local_datetime(&day.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| bad(format!("heure inexistante le {day}")))?;
    Ok(DemoClock {
        start: Some(start),
        note: format!(
            "horloge de démonstration : aujourd’hui ({}) n’a pas de séance dans la démo ; \
             le service se place au {} à {} (heure de Paris), jour de cours le plus proche, \
             et son horloge avance à partir de là (--pretend-now pour choisir un autre instant)",
            crate::format::date(today),
            crate::format::date(day),
            crate::format::paris_time(start),
        ),
    })
}

pub async fn is_loaded(db: &Db) -> AppResult<bool> {
    Ok(seed::marker(db, MARKER).await?.is_some())
}

/// The demo accounts, for printing.
pub async fn accounts(db: &Db) -> AppResult<Vec<(String, String)>> {
    Ok(seed::demo_accounts(db).await?)
}

pub async fn load(db: &Db) -> AppResult<Outcome> {
    load_as_of(db, crate::clock::Clock::system().today()).await
}

/// Loads the demo as if today were `today`: attendance is recorded for the sessions before it.
/// Loads the demo as if today were `today`: attendance is recorded for the sessions before it.
/// All of it or nothing: the load runs in one transaction.
pub async fn load_as_of(db: &Db, today: NaiveDate) -> AppResult<Outcome> {
    let tx = db.one_transaction().await?;
    match load_claimed(&tx.db, today).await {
        Ok(outcome) if outcome.loaded_now => {
            tx.commit().await?;
            Ok(outcome)
        }
        Ok(outcome) => {
            tx.rollback().await;
            Ok(outcome)
        }
        Err(e) => {
            tx.rollback().await;
            Err(e)
        }
    }
}

/// Inside the load's transaction: claims the marker (another instance's load waits for
/// this one, then finds it claimed), loads, marks the demo loaded.
async fn load_claimed(db: &Db, today: NaiveDate) -> AppResult<Outcome> {
    if seed::claim_marker(db, MARKER).await? == 0 {
        return Ok(Outcome {
            loaded_now: false,
            summary: String::new(),
        });
    }
    let summary = load_data(db, today).await?;
    seed::mark_loaded(db, MARKER).await?;
    Ok(Outcome {
        loaded_now: true,
        summary,
    })
}

async fn load_data(db: &Db, today: NaiveDate) -> AppResult<String> {
    let demo: DemoFile = toml::from_str(DEMO_TOML).map_err(bad)?;
    let mut ids = Ids::default();

    // The profile's change date is when the demo was loaded, whatever day it plays.
    let now = crate::clock::Clock::system().now();
    school::save(db, &demo.school.validate()?, now).await?;
    if let Some(seal) = &demo.seal {
        school::set_picture(
            db,
            school::SealPicture::Stamp,
            Some(demo_picture(&seal.stamp)?),
            now,
        )
        .await?;
        school::set_picture(
            db,
            school::SealPicture::Signature,
            Some(demo_picture(&seal.signature)?),
            now,
        )
        .await?;
    }
    for p in &demo.programmes {
        let id = create::<Programmes>(db, &p.value).await?;
        ids.put("programme", &p.key, id);
    }
    for t in &demo.teachers {
        let id = create::<Teachers>(db, &t.value).await?;
        ids.put("teacher", &t.key, id);
    }
    for m in &demo.modules {
        let input = ModuleInput {
            programme_id: Some(ids.get("programme", &m.programme)?),
            name: m.name.clone(),
        };
        let id = create::<Modules>(db, &input).await?;
        ids.put("module", &m.key, id);
        ids.get("teacher", &m.teacher)?;
    }
    for y in &demo.years {
        let input = AcademicYearInput {
            name: y.name.clone(),
            starts_on: y.starts_on,
            ends_on: y.ends_on,
        };
        let year_id = create::<Years>(db, &input).await?;
        ids.put("year", &y.name, year_id);
        let cal = CalendarInput {
            academic_year_id: year_id,
            name: y.calendar.clone(),
        };
        let cal_id = create::<Calendars>(db, &cal).await?;
        ids.put("calendar", &y.name, cal_id);
        calendars::import(db, cal_id, file(&y.calendar_file)?).await?;
    }
    for c in &demo.companies {
        let id = create::<Companies>(db, &c.value).await?;
        ids.put("company", &c.key, id);
    }
    for t in &demo.tutors {
        let input = TutorInput {
            company_id: ids.get("company", &t.company)?,
            last_name: t.last_name.clone(),
            first_name: t.first_name.clone(),
            function: t.function.clone(),
            email: t.email.clone(),
            phone: t.phone.clone(),
            lang: t.lang.clone().unwrap_or_else(|| "fr".to_owned()),
        };
        let id = create::<Tutors>(db, &input).await?;
        ids.put("tutor", &t.key, id);
    }
    for s in &demo.students {
        let id = create::<Students>(db, &s.value).await?;
        ids.put("student", &s.key, id);
    }
    for g in &demo.groups {
        let input = GroupInput {
            name: g.name.clone(),
            academic_year_id: ids.get("year", &g.year)?,
            calendar_id: ids.get("calendar", &g.year)?,
            programme_id: Some(ids.get("programme", &g.programme)?),
        };
        let id = create::<Groups>(db, &input).await?;
        ids.put("group", &g.key, id);
    }
    for c in &demo.contracts {
        let hours = |h: f64| {
            Minutes::from_hours_decimal(h).ok_or_else(|| bad(format!("heures invalides {h}")))
        };
        let input = ContractInput {
            student_id: ids.get("student", &c.student)?,
            company_id: ids.get("company", &c.company)?,
            tutor_id: ids.get("tutor", &c.tutor)?,
            programme_id: ids.get("programme", &c.programme)?,
            academic_year_id: ids.get("year", &c.year)?,
            group_id: Some(ids.get("group", &c.group)?),
            kind: "contrat de professionnalisation".to_owned(),
            start_date: c.start_date,
            end_date: c.end_date,
            defence_date: c.defence_date,
            place: c.place.clone(),
            planned_hours_s9: hours(c.planned_hours_s9)?,
            planned_hours_s10: hours(c.planned_hours_s10)?,
            price_s9_cents: c.price_s9_cents,
            price_s10_cents: c.price_s10_cents,
            opco_name: c.opco_name.clone(),
            opco_email: c.opco_email.clone(),
            subrogation: c.subrogation,
            subrogation_received_on: c.subrogation_received_on,
            opco_agreement_on: c.opco_agreement_on,
            opco_hourly_cents: c.opco_hourly_cents,
            termination_date: None,
            termination_reason: None,
        };
        let id = create::<Contracts>(db, &input).await?;
        // A termination is recorded through its own action, which mails the OPCO and the
        // DREETS; the demo's predates the service, so it is written as a fact, unsent.
        if let Some(date) = c.termination_date {
            let reason = c.termination_reason.as_deref();
            seed::record_termination(db, id, date, reason.unwrap_or("rupture anticipée")).await?;
        }
    }

    let mut session_count = 0;
    for y in &demo.years {
        let mut reader = csv::Reader::from_reader(file(&y.sessions_file)?.as_bytes());
        for (n, line) in reader.deserialize::<SessionLine>().enumerate() {
            let line =
                line.map_err(|e| bad(format!("{} ligne {} : {e}", y.sessions_file, n + 2)))?;
            let input = SessionInput {
                group_id: ids.get("group", &line.group)?,
                module_id: ids.get("module", &line.module)?,
                teacher_id: ids.get("teacher", &line.teacher)?,
                day: line.date,
                starts_at: time(&line.start)?,
                ends_at: time(&line.end)?,
                room: String::new(),
            };
            create::<Sessions>(db, &input).await.map_err(|e| match e {
                AppError::Validation(f) => {
                    bad(format!("{} ligne {} : {:?}", y.sessions_file, n + 2, f))
                }
                e => e,
            })?;
            session_count += 1;
        }
    }

    let user_count = create_accounts(db, &demo, &ids).await?;
    let mark_count = record_past_attendance(db, &demo, &ids, today).await?;
    Ok(format!(
        "{} années, {} contrats, {session_count} séances, {mark_count} présences enregistrées, {user_count} comptes",
        demo.years.len(),
        demo.contracts.len()
    ))
}

async fn create_accounts(db: &Db, demo: &DemoFile, ids: &Ids) -> AppResult<usize> {
    // One hash for every demo account: they share the password anyway.
    let hash = tokio::task::spawn_blocking(|| auth::hash_password(DEMO_PASSWORD))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let mut accounts = vec![(
        Role::Admin,
        demo.admin.email.clone(),
        demo.admin.name.clone(),
        None,
    )];
    for t in &demo.teachers {
        let name = format!("{} {}", t.value.first_name, t.value.last_name);
        accounts.push((
            Role::Teacher,
            t.value.email.clone(),
            name,
            Some(ids.get("teacher", &t.key)?),
        ));
    }
    for s in &demo.students {
        let name = format!("{} {}", s.value.first_name, s.value.last_name);
        accounts.push((
            Role::Student,
            s.value.email.clone(),
            name,
            Some(ids.get("student", &s.key)?),
        ));
    }
    for t in &demo.tutors {
        let name = format!("{} {}", t.first_name, t.last_name);
        accounts.push((
            Role::Tutor,
            t.email.clone(),
            name,
            Some(ids.get("tutor", &t.key)?),
        ));
    }
    for c in &demo.company_contacts {
        accounts.push((
            Role::Company,
            c.email.clone(),
            c.name.clone(),
            Some(ids.get("company", &c.company)?),
        ));
    }
    for (role, email, name, link) in &accounts {
        auth::create_user(db, *role, email, name, *link, &hash).await?;
    }
    Ok(accounts.len())
}

/// Every session before today gets a signed roll call: everyone present but the exceptions
/// listed in the demo file. An exception must fall on a session of its student (whatever
/// today is); it is recorded once its session is past.
async fn record_past_attendance(
    db: &Db,
    demo: &DemoFile,
    ids: &Ids,
    today: NaiveDate,
) -> AppResult<usize> {
    let all_sessions = seed::sessions_before(db, far_future()).await?;
    let enrolments = seed::enrolments(db).await?;
    let mut exceptions = HashMap::new();
    for m in &demo.marks {
        exceptions.insert(
            (ids.get("student", &m.student)?, m.date, time(&m.start)?),
            m,
        );
    }
    let attended = |student: i64, day: NaiveDate, start: NaiveTime| {
        all_sessions.iter().any(|s| {
            s.day == day
                && s.starts_at == start
                && enrolments.iter().any(|e| {
                    e.student_id == student
                        && e.group_id == s.group_id
                        && e.start_date <= day
                        && day <= e.last_day
                })
        })
    };
    let stray = exceptions
        .keys()
        .filter(|(student, day, start)| !attended(*student, *day, *start))
        .count();
    if stray > 0 {
        return Err(bad(format!(
            "{stray} exception(s) de présence ne tombent sur aucune séance de leur élève"
        )));
    }
    let sessions: Vec<_> = all_sessions.into_iter().filter(|s| s.day < today).collect();

    let paris = chrono_tz::Europe::Paris;
    let mut rows = Vec::new();
    for s in &sessions {
        let recorded_at = paris
            .from_local_datetime(&s.day.and_time(s.ends_at))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| bad(format!("heure inexistante le {}", s.day)))?;
        for e in enrolments
            .iter()
            .filter(|e| e.group_id == s.group_id && e.start_date <= s.day && s.day <= e.last_day)
        {
            let (status, missed, note) = match exceptions.get(&(e.student_id, s.day, s.starts_at)) {
                Some(m) => (m.status.clone(), m.minutes_missed, m.note.clone()),
                None => ("present".to_owned(), 0, String::new()),
            };
            rows.push((
                s.id,
                e.student_id,
                status,
                missed,
                note,
                s.teacher_user,
                recorded_at,
            ));
        }
    }
    seed::record_past_attendance(db, &rows, &sessions).await?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn day_of(clock: &DemoClock) -> NaiveDate {
        crate::format::paris_day(clock.start.expect("a moved clock"))
    }

    #[test]
    fn the_demo_clock_always_stands_on_a_school_day() {
        let (days, _) = school_days().unwrap();
        // A school day of the demo: the real clock.
        let real = clock_for(at("2025-09-01T09:00:00+02:00")).unwrap();
        assert_eq!(real.start, None, "{}", real.note);
        // A company week: the nearest school day of the same year, at the same time.
        let company = clock_for(at("2026-12-03T15:48:00+01:00")).unwrap();
        assert_eq!(
            day_of(&company),
            NaiveDate::from_ymd_opt(2026, 11, 12).unwrap()
        );
        assert_eq!(crate::format::paris_time(company.start.unwrap()), "15:48");
        assert!(company.note.contains("12/11/2026"), "{}", company.note);
        // At night, 10:00; in summer, after the demo's years, before them: a school day.
        for now in [
            "2026-12-03T23:30:00+01:00",
            "2027-07-20T10:00:00+02:00",
            "2031-02-11T10:00:00+01:00",
            "2024-03-05T10:00:00+01:00",
            "2029-10-14T10:00:00+02:00",
        ] {
            let clock = clock_for(at(now)).unwrap();
            let day = day_of(&clock);
            assert!(days.contains(&day), "{now} → {day}");
            let hour = crate::format::paris_time(clock.start.unwrap());
            assert!(
                ("08:00".."18:00").contains(&hour.as_str()),
                "{now} → {hour}"
            );
        }
        // Years later, the same time of the school year: mid-October stays in the autumn.
        let later = day_of(&clock_for(at("2029-10-14T10:00:00+02:00")).unwrap());
        assert!(
            later >= NaiveDate::from_ymd_opt(2026, 9, 28).unwrap()
                && later <= NaiveDate::from_ymd_opt(2026, 11, 13).unwrap(),
            "{later}"
        );
    }
}
