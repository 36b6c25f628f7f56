//! Load run of the roll call over HTTP: `cargo bench --bench rollcall`.
//!
//! The service is started in this process exactly as `assidu serve` builds it
//! (`ApiContext::new`, `Application::bind`, `serve_until`) on a fresh database, its clock put
//! on a school morning with `pretend_now`. Everything is seeded through the JSON API (accounts
//! excepted: they are created with `auth::create_user`, then log in through the API), and the
//! load is sent over loopback with reqwest (HTTP/1, keep-alive).
//!
//! 1. **Roll-call writes.** `TEACHERS` teachers, each with their own group of
//!    `STUDENTS_PER_GROUP` students and their own session under way, each with their own HTTP
//!    client, loop `PUT /api/v1/sessions/{id}/attendance` with their whole roster for
//!    `BENCH_SECONDS` seconds (10 by default). They alternate between two roll calls that
//!    differ on a few lines (everyone present / some late, some absent), so every save writes
//!    marks and their history. One unmeasured save per teacher comes first (the first insert).
//!    Reported: roll calls and marks per second, latency percentiles, errors (any non-200).
//! 2. **Student summary.** One student whose group has `SUMMARY_SESSIONS` sessions, all with a
//!    mark; `GET /api/v1/students/{id}/summary` is timed `SUMMARY_REQUESTS` times in sequence
//!    as that student over loopback, then the same handler function in-process (no HTTP, no
//!    token check), which is the server-side part.
//!
//! 1b. The same teachers in open loop: `BENCH_RATE` roll calls per second offered between them
//!    (1,000 by default, the target), each latency counted from its due time.
//!
//! Engines:
//!
//! ```text
//! cargo bench --bench rollcall                     # SQLite, a file in a temporary directory
//! ASSIDU_BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench rollcall
//! ```
//!
//! On PostgreSQL a database `assidu_bench_<random>` is created from that URL and dropped at the
//! end. Other knobs: `BENCH_SECONDS`, `ASSIDU_DB_MAX_CONNECTIONS` (pool size, 10 like the
//! service), `RUST_LOG` (the service's logs on stderr, `warn` by default so that database
//! errors and pool time-outs show). The load generator shares the machine and the tokio
//! runtime with the service: on a small machine its CPU is part of what is measured.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assidu::db::Db;
use assidu::domain::roles::Role;
use chrono::{Datelike, NaiveDate, Weekday};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{Barrier, Semaphore};
use tokio::task::JoinSet;

mod support;
use support::*;

/// Teachers taking their roll call at the same time.
const TEACHERS: usize = 50;
/// Students in each group, all marked by each roll call.
const STUDENTS_PER_GROUP: usize = 40;
/// Lines of the second roll call that differ from « everyone present ».
const LATE_LINES: usize = 5;
const ABSENT_LINES: usize = 3;
/// Length of the write load when `BENCH_SECONDS` is not set.
const DEFAULT_SECONDS: u64 = 10;
/// Recorded sessions of the student whose summary is timed.
const SUMMARY_SESSIONS: usize = 300;
/// Sequential summary requests timed (after `SUMMARY_WARMUP` untimed ones).
const SUMMARY_REQUESTS: usize = 1_000;
const SUMMARY_WARMUP: usize = 20;
/// Requests in flight while seeding.
const SEED_CONCURRENCY: usize = 16;
/// Connections in the service's pool unless `ASSIDU_DB_MAX_CONNECTIONS` says otherwise.
const DEFAULT_POOL: u32 = 10;
const PASSWORD: &str = "a long bench password";

/// The academic year: every weekday a school day, weekends holidays.
const YEAR_START: &str = "2025-09-01";
const YEAR_END: &str = "2026-08-30";
const CONTRACT_END: &str = "2026-08-28";
const CALENDAR_CSV: &str = "\
# bench: every weekday of the year at school
kind,from,to,note
school,2025-W36,2026-W35,
";
/// The service's clock: Monday 15 June 2026, 10:00 in Paris, during the load sessions.
const NOW: &str = "2026-06-15T10:00:00+02:00";
const LOAD_DAY: &str = "2026-06-15";
const MORNING: (&str, &str) = ("08:30", "12:00");
const AFTERNOON: (&str, &str) = ("13:30", "17:00");

/// What the issue asks for.
const TARGET_ROLL_CALLS_PER_SEC: f64 = 1_000.0;
const TARGET_P99_MS: f64 = 20.0;
const TARGET_SUMMARY_MS: f64 = 1.0;

fn main() {
    run_bench("rollcall", run);
}

// ---- the HTTP client used for seeding ---------------------------------------------------

#[derive(Clone)]
struct Api {
    base: Arc<str>,
    client: reqwest::Client,
}

impl Api {
    fn new(base: &str) -> Api {
        Api {
            base: base.into(),
            client: reqwest::Client::new(),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, String) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: request failed: {e}"));
        let status = res.status();
        let text = res
            .text()
            .await
            .unwrap_or_else(|e| panic!("{path}: body unreadable: {e}"));
        (status, text)
    }

    /// POSTs a new resource and answers its id; anything but 201 stops the bench.
    async fn create(&self, token: &str, path: &str, body: Value) -> i64 {
        let (status, text) = self
            .send(Method::POST, path, Some(token), Some(&body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "POST {path} {body}: {text}");
        let created: Value = serde_json::from_str(&text).expect("JSON answer to a POST");
        created["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("POST {path}: no id in {text}"))
    }

    /// PUTs JSON and answers the body; anything but 200 stops the bench.
    async fn put(&self, token: &str, path: &str, body: Value) -> String {
        let (status, text) = self.send(Method::PUT, path, Some(token), Some(&body)).await;
        assert_eq!(status, StatusCode::OK, "PUT {path}: {text}");
        text
    }

    /// Creates an account linked to `link`, then logs in through the API; answers the token.
    async fn account(
        &self,
        db: &Db,
        hash: &str,
        role: Role,
        email: &str,
        link: Option<i64>,
    ) -> String {
        assidu::auth::create_user(db, role, email, email, link, hash)
            .await
            .unwrap_or_else(|e| panic!("create the account {email}: {e:#}"));
        let body = json!({"email": email, "password": PASSWORD});
        let (status, text) = self
            .send(Method::POST, "/api/v1/auth/login", None, Some(&body))
            .await;
        assert_eq!(status, StatusCode::OK, "login {email}: {text}");
        let outcome: Value = serde_json::from_str(&text).expect("JSON login answer");
        outcome["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login {email}: no token in {text}"))
            .to_owned()
    }
}

/// Runs `f` on every item, at most `limit` at a time; answers the results in the items' order.
async fn concurrently<T, R, F, Fut>(items: Vec<T>, limit: usize, f: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = R> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit));
    let mut tasks = JoinSet::new();
    let count = items.len();
    for (i, item) in items.into_iter().enumerate() {
        let permits = permits.clone();
        let work = f(item);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore open");
            (i, work.await)
        });
    }
    let mut results: Vec<Option<R>> = (0..count).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((i, r)) => results[i] = Some(r),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("seeding task: {e}"),
        }
    }
    results
        .into_iter()
        .map(|r| r.expect("every seeding task answered"))
        .collect()
}

// ---- seeding ----------------------------------------------------------------------------

/// What every group shares, and the admin's token.
#[derive(Clone)]
struct School {
    admin: Arc<str>,
    year: i64,
    calendar: i64,
    programme: i64,
    module: i64,
    company: i64,
    tutor: i64,
}

struct Group {
    id: i64,
    students: Vec<i64>,
}

#[derive(Clone)]
struct LoadTeacher {
    token: String,
    session: i64,
    students: Vec<i64>,
}

struct SummaryStudent {
    id: i64,
    token: String,
}

async fn seed_school(api: &Api, db: &Db, hash: &str) -> School {
    let admin = api
        .account(db, hash, Role::Admin, "admin@school.bench", None)
        .await;
    let year = api
        .create(
            &admin,
            "/api/v1/academic-years",
            json!({"name": "2025-2026", "starts_on": YEAR_START, "ends_on": YEAR_END}),
        )
        .await;
    let calendar = api
        .create(
            &admin,
            "/api/v1/calendars",
            json!({"academic_year_id": year, "name": "Calendrier bench"}),
        )
        .await;
    let res = api
        .client
        .put(format!("{}/api/v1/calendars/{calendar}/file", api.base))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(CALENDAR_CSV)
        .send()
        .await
        .expect("calendar import sent");
    let status = res.status();
    let text = res.text().await.expect("calendar import answer");
    assert_eq!(status, StatusCode::OK, "calendar import: {text}");
    let programme = api
        .create(
            &admin,
            "/api/v1/programmes",
            json!({
            "department": "2IA", "department_name": "Informatique et Intelligence Artificielle",
            "option_name": "Ingénierie logicielle",
            "qualification": "Ingénieur diplômé de l'École nationale supérieure des mines d'Alès",
            "rncp": "RNCP38677"}),
        )
        .await;
    let module = api
        .create(
            &admin,
            "/api/v1/modules",
            json!({"programme_id": programme, "name": "Ingénierie logicielle"}),
        )
        .await;
    let company = api
        .create(
            &admin,
            "/api/v1/companies",
            json!({"legal_name": "Entreprise Bench",
            "siret": "18009202500113", "address": "1 rue de la Paix, 30100 Alès"}),
        )
        .await;
    let tutor = api
        .create(
            &admin,
            "/api/v1/tutors",
            json!({"company_id": company, "last_name": "Tuteur",
            "first_name": "Paul", "function": "Chef de projet", "email": "tutor@company.bench"}),
        )
        .await;
    School {
        admin: admin.into(),
        year,
        calendar,
        programme,
        module,
        company,
        tutor,
    }
}

/// Groups named after `names`, each with `STUDENTS_PER_GROUP` students under contract for
/// the whole year.
async fn seed_groups(api: &Api, school: &School, names: Vec<String>) -> Vec<Group> {
    let ids = concurrently(names, SEED_CONCURRENCY, |name| {
        let (api, s) = (api.clone(), school.clone());
        async move {
            api.create(
                &s.admin,
                "/api/v1/groups",
                json!({"name": name, "academic_year_id": s.year,
                "calendar_id": s.calendar, "programme_id": s.programme}),
            )
            .await
        }
    })
    .await;
    let members: Vec<(i64, usize)> = ids
        .iter()
        .flat_map(|&g| (0..STUDENTS_PER_GROUP).map(move |i| (g, i)))
        .collect();
    let students = concurrently(members, SEED_CONCURRENCY, |(group, i)| {
        let (api, s) = (api.clone(), school.clone());
        async move {
            let student = api
                .create(
                    &s.admin,
                    "/api/v1/students",
                    json!({
                    "last_name": format!("Élève {group}-{i:02}"), "first_name": "Zoé",
                    "email": format!("s{group}-{i}@student.bench"),
                    "birth_date": "2003-02-01", "birth_place": "Nîmes"}),
                )
                .await;
            api.create(
                &s.admin,
                "/api/v1/contracts",
                json!({
                "student_id": student, "company_id": s.company, "tutor_id": s.tutor,
                "programme_id": s.programme, "academic_year_id": s.year, "group_id": group,
                "start_date": YEAR_START, "end_date": CONTRACT_END, "defence_date": CONTRACT_END,
                "place": "Alès", "planned_hours_s9": 300, "planned_hours_s10": 250,
                "price_s9_cents": 450000, "price_s10_cents": 350000,
                "opco_name": "OPCO Atlas", "subrogation": true}),
            )
            .await;
            student
        }
    })
    .await;
    ids.iter()
        .zip(students.chunks(STUDENTS_PER_GROUP))
        .map(|(&id, students)| Group {
            id,
            students: students.to_vec(),
        })
        .collect()
}

async fn seed_teacher(api: &Api, s: &School, n: usize) -> i64 {
    api.create(
        &s.admin,
        "/api/v1/teachers",
        json!({"last_name": format!("Prof {n:02}"), "first_name": "Anne",
            "email": format!("t{n}@school.bench")}),
    )
    .await
}

fn session_body(s: &School, group: i64, teacher: i64, day: &str, slot: (&str, &str)) -> Value {
    json!({"group_id": group, "module_id": s.module, "teacher_id": teacher, "day": day,
        "starts_at": slot.0, "ends_at": slot.1})
}

/// The write load's cast: one teacher, group and morning session under way each.
async fn seed_load(api: &Api, db: &Db, hash: &Arc<str>, school: &School) -> Vec<LoadTeacher> {
    let names = (0..TEACHERS).map(|t| format!("Groupe {t:02}")).collect();
    let groups = seed_groups(api, school, names).await;
    let cast: Vec<(usize, Group)> = groups.into_iter().enumerate().collect();
    concurrently(cast, SEED_CONCURRENCY, |(n, group)| {
        let (api, db, hash, s) = (api.clone(), db.clone(), hash.clone(), school.clone());
        async move {
            let teacher = seed_teacher(&api, &s, n).await;
            let session = api
                .create(
                    &s.admin,
                    "/api/v1/sessions",
                    session_body(&s, group.id, teacher, LOAD_DAY, MORNING),
                )
                .await;
            let email = format!("t{n}@school.bench");
            let token = api
                .account(&db, &hash, Role::Teacher, &email, Some(teacher))
                .await;
            LoadTeacher {
                token,
                session,
                students: group.students,
            }
        }
    })
    .await
}

/// The first `count` half-days of the year, morning then afternoon of each weekday.
fn half_days(count: usize) -> Vec<(String, (&'static str, &'static str))> {
    let start = NaiveDate::parse_from_str(YEAR_START, "%Y-%m-%d").expect("YEAR_START");
    start
        .iter_days()
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .flat_map(|d| [(d.to_string(), MORNING), (d.to_string(), AFTERNOON)])
        .take(count)
        .collect()
}

/// A varied but deterministic mark: mostly present, some late, left early, absent, excused.
fn varied_mark(session: usize, student: usize, id: i64) -> Value {
    match (session * 7 + student * 3) % 20 {
        0..=13 => json!({"student_id": id, "status": "present"}),
        14 | 15 => {
            json!({"student_id": id, "status": "late", "minutes_missed": 5 + (session % 40)})
        }
        16 => json!({"student_id": id, "status": "left_early", "minutes_missed": 30}),
        17 | 18 => json!({"student_id": id, "status": "absent"}),
        _ => json!({"student_id": id, "status": "excused", "note": "certificat médical"}),
    }
}

/// A group whose `SUMMARY_SESSIONS` past sessions all have their roll call (written by the
/// admin with a reason, the teacher's window being over); answers its first student.
async fn seed_summary(api: &Api, db: &Db, hash: &str, school: &School) -> SummaryStudent {
    let group = seed_groups(api, school, vec!["Groupe résumé".to_owned()])
        .await
        .pop()
        .expect("the summary group");
    let teacher = seed_teacher(api, school, TEACHERS).await;
    let slots = half_days(SUMMARY_SESSIONS);
    assert_eq!(slots.len(), SUMMARY_SESSIONS, "enough school days");
    let (group_id, students) = (group.id, Arc::new(group.students));
    let sessions = concurrently(slots, SEED_CONCURRENCY, |(day, slot)| {
        let (api, s) = (api.clone(), school.clone());
        async move {
            api.create(
                &s.admin,
                "/api/v1/sessions",
                session_body(&s, group_id, teacher, &day, slot),
            )
            .await
        }
    })
    .await;
    let calls: Vec<(usize, i64)> = sessions.into_iter().enumerate().collect();
    concurrently(calls, SEED_CONCURRENCY, |(k, session)| {
        let (api, s, students) = (api.clone(), school.clone(), students.clone());
        async move {
            let marks: Vec<Value> = students
                .iter()
                .enumerate()
                .map(|(j, &id)| varied_mark(k, j, id))
                .collect();
            let body = json!({"marks": marks, "reason": "saisie des feuilles papier"});
            let path = format!("/api/v1/sessions/{session}/attendance");
            api.put(&s.admin, &path, body).await;
        }
    })
    .await;
    let id = students[0];
    let email = format!("s{group_id}-0@student.bench");
    let token = api.account(db, hash, Role::Student, &email, Some(id)).await;
    SummaryStudent { id, token }
}

// ---- 1. the roll-call write load --------------------------------------------------------

#[derive(Deserialize)]
struct Saved {
    changed: usize,
}

/// What one teacher's loop saw.
#[derive(Default)]
struct TeacherRun {
    latencies_us: Vec<u64>,
    errors: usize,
    first_error: Option<String>,
    /// Successful saves that did not change exactly the expected number of lines.
    unexpected_changes: usize,
    changed: usize,
    finished: Option<Instant>,
}

struct LoadOutcome {
    elapsed: Duration,
    latencies_us: Vec<u64>,
    errors: usize,
    first_error: Option<String>,
    unexpected_changes: usize,
    changed: usize,
}

/// The two roll calls a teacher alternates: everyone present, then a few late and absent.
fn roll_calls(students: &[i64]) -> [String; 2] {
    let present: Vec<Value> = students
        .iter()
        .map(|id| json!({"student_id": id, "status": "present"}))
        .collect();
    let mixed: Vec<Value> = students
        .iter()
        .enumerate()
        .map(|(i, id)| match i {
            i if i < LATE_LINES => {
                json!({"student_id": id, "status": "late", "minutes_missed": 10 + 5 * i})
            }
            i if i < LATE_LINES + ABSENT_LINES => json!({"student_id": id, "status": "absent"}),
            _ => json!({"student_id": id, "status": "present"}),
        })
        .collect();
    [json!({"marks": present}), json!({"marks": mixed})].map(|body| body.to_string())
}

async fn save(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &str,
) -> Result<usize, String> {
    let res = client
        .put(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = res.status();
    let bytes = res
        .bytes()
        .await
        .map_err(|e| format!("{status}, body unreadable: {e}"))?;
    if status != StatusCode::OK {
        let text = String::from_utf8_lossy(&bytes);
        return Err(format!(
            "{status}: {}",
            text.chars().take(400).collect::<String>()
        ));
    }
    serde_json::from_slice::<Saved>(&bytes)
        .map(|s| s.changed)
        .map_err(|e| format!("200 without `changed` ({e})"))
}

/// How each teacher paces their roll calls.
#[derive(Debug, Clone, Copy)]
enum Pace {
    /// The next as soon as the last is answered: the service's capacity.
    Closed,
    /// One every `period`, whatever the answers do (latency counted from the due time, so
    /// that a slow service cannot hide its queue); teachers spread over the period.
    Open { period: Duration, phase: Duration },
}

async fn teacher_loop(
    base: Arc<str>,
    teacher: LoadTeacher,
    start: Arc<Barrier>,
    duration: Duration,
    pace: Pace,
) -> TeacherRun {
    let client = reqwest::Client::new();
    let url = format!("{base}/api/v1/sessions/{}/attendance", teacher.session);
    let bodies = roll_calls(&teacher.students);
    // Unmeasured: the first save inserts every mark; later ones change a few lines.
    let first = save(&client, &url, &teacher.token, &bodies[0]).await;
    // A fresh session stores every line; a later phase finds it already written.
    assert!(
        first
            .as_ref()
            .is_ok_and(|c| [teacher.students.len(), 0, LATE_LINES + ABSENT_LINES].contains(c)),
        "first roll call of session {}: {first:?}",
        teacher.session
    );
    let mut run = TeacherRun::default();
    let mut stored = 0;
    start.wait().await;
    let deadline = Instant::now() + duration;
    let mut ticks = match pace {
        Pace::Closed => None,
        Pace::Open { period, phase } => {
            let mut t = tokio::time::interval_at(tokio::time::Instant::now() + phase, period);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            Some(t)
        }
    };
    while Instant::now() < deadline {
        let next = 1 - stored;
        let sent = match ticks.as_mut() {
            Some(t) => t.tick().await.into_std(),
            None => Instant::now(),
        };
        if sent >= deadline {
            break;
        }
        let outcome = save(&client, &url, &teacher.token, &bodies[next]).await;
        run.latencies_us.push(sent.elapsed().as_micros() as u64);
        match outcome {
            Ok(changed) => {
                stored = next;
                run.changed += changed;
                if changed != LATE_LINES + ABSENT_LINES {
                    run.unexpected_changes += 1;
                }
            }
            Err(e) => {
                run.errors += 1;
                run.first_error.get_or_insert(e);
            }
        }
    }
    run.finished = Some(Instant::now());
    run
}

async fn roll_call_load(
    base: &str,
    teachers: Vec<LoadTeacher>,
    duration: Duration,
    rate: Option<f64>,
) -> LoadOutcome {
    let start = Arc::new(Barrier::new(teachers.len() + 1));
    let base: Arc<str> = base.into();
    let mut tasks = JoinSet::new();
    let count = teachers.len();
    for (i, teacher) in teachers.into_iter().enumerate() {
        let pace = match rate {
            None => Pace::Closed,
            Some(rate) => {
                let period = Duration::from_secs_f64(count as f64 / rate);
                Pace::Open {
                    period,
                    phase: period.mul_f64(i as f64 / count as f64),
                }
            }
        };
        tasks.spawn(teacher_loop(
            base.clone(),
            teacher,
            start.clone(),
            duration,
            pace,
        ));
    }
    start.wait().await;
    let began = Instant::now();
    let mut outcome = LoadOutcome {
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
        errors: 0,
        first_error: None,
        unexpected_changes: 0,
        changed: 0,
    };
    while let Some(joined) = tasks.join_next().await {
        let run = match joined {
            Ok(run) => run,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("teacher task: {e}"),
        };
        if let Some(end) = run.finished {
            outcome.elapsed = outcome.elapsed.max(end - began);
        }
        outcome.latencies_us.extend(run.latencies_us);
        outcome.errors += run.errors;
        outcome.unexpected_changes += run.unexpected_changes;
        outcome.changed += run.changed;
        if outcome.first_error.is_none() {
            outcome.first_error = run.first_error;
        }
    }
    outcome.latencies_us.sort_unstable();
    outcome
}

// ---- 2. the student summary -------------------------------------------------------------

struct SummaryOutcome {
    over_http_us: Vec<u64>,
    in_process_us: Vec<u64>,
    errors: usize,
    /// Sessions the summary counted (all semesters), as a check of the seeding.
    sessions_counted: u64,
}

async fn summary_timing(server: &Server, student: &SummaryStudent) -> SummaryOutcome {
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/students/{}/summary", server.base, student.id);
    let get = || client.get(&url).bearer_auth(&student.token).send();
    let first = get().await.expect("summary request sent");
    assert_eq!(first.status(), StatusCode::OK, "summary of the student");
    let first: Value = first.json().await.expect("summary JSON");
    let sessions_counted = first["semesters"]
        .as_array()
        .expect("semesters in the summary")
        .iter()
        .filter_map(|s| s["session_count"].as_u64())
        .sum();
    for _ in 0..SUMMARY_WARMUP {
        get().await.expect("summary request sent");
    }
    let mut over_http_us = Vec::with_capacity(SUMMARY_REQUESTS);
    let mut errors = 0;
    for _ in 0..SUMMARY_REQUESTS {
        let sent = Instant::now();
        let res = get().await.expect("summary request sent");
        let ok = res.status() == StatusCode::OK;
        res.bytes().await.expect("summary body");
        over_http_us.push(sent.elapsed().as_micros() as u64);
        errors += usize::from(!ok);
    }
    over_http_us.sort_unstable();

    let caller = assidu::auth::caller_for_token(
        &server.db,
        &server.ctx.cache,
        &student.token,
        server.ctx.clock.now(),
    )
    .await
    .expect("token lookup")
    .expect("the student's token is valid");
    let mut in_process_us = Vec::with_capacity(SUMMARY_REQUESTS);
    for _ in 0..SUMMARY_REQUESTS {
        let sent = Instant::now();
        let summary =
            assidu::attendance::hours::student_summary(&server.ctx, &caller, student.id, None)
                .await
                .expect("summary in-process");
        std::hint::black_box(summary);
        in_process_us.push(sent.elapsed().as_micros() as u64);
    }
    in_process_us.sort_unstable();
    SummaryOutcome {
        over_http_us,
        in_process_us,
        errors,
        sessions_counted,
    }
}

// ---- the run and its report -------------------------------------------------------------

async fn run(url: String, location: String) {
    let seconds: u64 = env_number("BENCH_SECONDS", DEFAULT_SECONDS);
    let pool: u32 = env_number("ASSIDU_DB_MAX_CONNECTIONS", DEFAULT_POOL);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let server = start_server(&url, pool, NOW).await;
    let api = Api::new(&server.base);
    println!("assidu roll-call load run");
    println!(
        "  engine     {} ({location}), pool of {pool} connections",
        engine_version(&server.db).await
    );
    println!("  machine    {cores} cores; load generator and service in one process");
    println!("  clock      service at {NOW} (pretend_now)");

    let seeding = Instant::now();
    let hash: Arc<str> = tokio::task::spawn_blocking(|| assidu::auth::hash_password(PASSWORD))
        .await
        .expect("hashing task")
        .expect("argon2 hash")
        .into();
    let school = seed_school(&api, &server.db, &hash).await;
    let teachers = seed_load(&api, &server.db, &hash, &school).await;
    let load_seeded = seeding.elapsed();
    let summary_seeding = Instant::now();
    let student = seed_summary(&api, &server.db, &hash, &school).await;
    let summary_seeded = summary_seeding.elapsed();
    println!();
    println!(
        "seeding, all through the API (accounts: create_user + API login)  {:>7.1} s",
        seeding.elapsed().as_secs_f64()
    );
    println!(
        "  school, {TEACHERS} teachers + logins, {TEACHERS} groups × {STUDENTS_PER_GROUP} students \
         + contracts, {TEACHERS} sessions  {:>6.1} s",
        load_seeded.as_secs_f64()
    );
    println!(
        "  summary: {STUDENTS_PER_GROUP} students + contracts, {SUMMARY_SESSIONS} sessions, \
         {SUMMARY_SESSIONS} roll calls × {STUDENTS_PER_GROUP} marks  {:>6.1} s",
        summary_seeded.as_secs_f64()
    );

    let history_before = count_rows(&server.db, "attendance_history").await;
    let load = roll_call_load(
        &server.base,
        teachers.clone(),
        Duration::from_secs(seconds),
        None,
    )
    .await;
    let history_after = count_rows(&server.db, "attendance_history").await;
    report_load(
        "1. roll-call writes, closed loop (each teacher saves again as soon as answered)",
        &load,
        seconds,
        history_after - history_before,
        false,
    );
    // The target's situation: 50 teachers sending 1,000 roll calls a second between them.
    let rate: f64 = env_number("BENCH_RATE", TARGET_ROLL_CALLS_PER_SEC);
    let history_before = count_rows(&server.db, "attendance_history").await;
    let load = roll_call_load(
        &server.base,
        teachers,
        Duration::from_secs(seconds),
        Some(rate),
    )
    .await;
    let history_after = count_rows(&server.db, "attendance_history").await;
    report_load(
        &format!(
            "1b. roll-call writes, open loop: {rate:.0}/s offered, latency from each due time"
        ),
        &load,
        seconds,
        history_after - history_before,
        true,
    );

    let summary = summary_timing(&server, &student).await;
    report_summary(&summary);
    server.stop().await;
}

fn report_load(title: &str, load: &LoadOutcome, seconds: u64, history_rows: i64, open: bool) {
    // In open loop the rate is what was served of what the window offered; the last answers
    // arrive after the window and must not count as a slower rate.
    let secs = if open {
        seconds as f64
    } else {
        load.elapsed.as_secs_f64()
    };
    let total = load.latencies_us.len();
    let ok = total - load.errors;
    let per_sec = ok as f64 / secs;
    let lat = |p| percentile(&load.latencies_us, p);
    println!();
    println!(
        "{title}: {TEACHERS} teachers × {STUDENTS_PER_GROUP} marks, {seconds} s \
         ({:.2} s measured)",
        secs
    );
    println!(
        "  roll calls   {ok} saved, {per_sec:.0}/s  (target ≥ {TARGET_ROLL_CALLS_PER_SEC:.0}/s: {})",
        verdict(per_sec >= TARGET_ROLL_CALLS_PER_SEC)
    );
    println!(
        "  marks        {:.0}/s sent; {:.0}/s changed ({} of {STUDENTS_PER_GROUP} lines differ \
         between the two roll calls)",
        per_sec * STUDENTS_PER_GROUP as f64,
        load.changed as f64 / secs,
        LATE_LINES + ABSENT_LINES
    );
    println!(
        "  latency      p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (target p99 < \
         {TARGET_P99_MS:.0} ms: {})",
        lat(50.0),
        lat(95.0),
        lat(99.0),
        lat(100.0),
        verdict(lat(99.0) < TARGET_P99_MS)
    );
    println!(
        "  errors       {} of {total}{}",
        load.errors,
        load.first_error
            .as_deref()
            .map(|e| format!("; first: {e}"))
            .unwrap_or_default()
    );
    println!(
        "  checks       {} saves changed an unexpected number of lines; {history_rows} history \
         rows written for {} changes answered",
        load.unexpected_changes, load.changed
    );
}

fn report_summary(s: &SummaryOutcome) {
    println!();
    println!(
        "2. student summary: {} sessions counted, {SUMMARY_REQUESTS} sequential requests as the \
         student",
        s.sessions_counted
    );
    let line = |label: &str, v: &[u64]| {
        println!(
            "  {label:<12} p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
            percentile(v, 50.0),
            percentile(v, 99.0),
            percentile(v, 100.0)
        );
    };
    line("over HTTP", &s.over_http_us);
    line("in-process", &s.in_process_us);
    println!(
        "  target       < {TARGET_SUMMARY_MS:.0} ms server-side: {} (in-process p99); errors {}",
        verdict(percentile(&s.in_process_us, 99.0) < TARGET_SUMMARY_MS),
        s.errors
    );
}
