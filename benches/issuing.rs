//! Issuing a whole year's certificates in bulk: `cargo bench --bench issuing`.
//!
//! A fresh SQLite database (a file in a temporary directory, migrations applied) gets one
//! school year with `BENCH_STUDENTS` students (10,000 by default) in groups of 100, each
//! group with 20 signed S9 sessions of 3 h 30 and every student marked on each (one in ten
//! absent once, one in ten 30 minutes late once). The data is seeded with plain SQL: only
//! issuing is measured. Then `certificates::issue_many` runs exactly as
//! `assidu certificates issue --semester S9 --year 2025-2026 --kind attestation` does: batches
//! read, rendered on every core, written with the mails in one transaction each.
//!
//! Reported: wall time, documents per second, the resident memory (VmRSS) sampled after each
//! batch at 10 %, 50 % and 100 % of the run (flat when it does not grow with the count),
//! the database's size, and the PDF size. `BENCH_KIND=all` issues both documents per student.
//! Then the year's billing statements are read and written as CSV, as
//! `GET /api/v1/years/{id}/billing/statements.csv` does.

use std::sync::Arc;
use std::time::Instant;

use assidu::certificates::{self, Existing, IssueOptions, Issuer, Selection};
use assidu::config::MailSettings;
use assidu::db::Db;
use assidu::domain::semester::Semester;
use assidu::mail::MailService;

const GROUP_SIZE: i64 = 100;
const SESSIONS_PER_GROUP: i64 = 20;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

async fn seed(db: &Db, students: i64) -> anyhow::Result<()> {
    let Db::Sqlite(sqlite) = db else {
        anyhow::bail!("SQLite only");
    };
    let pool = &sqlite.pool;
    let groups = (students + GROUP_SIZE - 1) / GROUP_SIZE;
    let now = "2026-01-05 09:00:00";
    let statements = [
        format!(
            "INSERT INTO school (id, name, legal_entity, address, phone, office_email, siret, ape_code, \
             activity_number, datadock_id, signatory_name, signatory_title, city, updated_at) VALUES \
             (1, 'IMT Mines Alès', 'Institut Mines-Télécom', '6 avenue de Clavières, 30100 Alès', '', \
             'office@bench.test', '18009202500113', '8542Z', '76300411830', '', 'Assia TRIA', \
             'directrice', 'Alès', '{now}')"
        ),
        "INSERT INTO academic_years (id, name, starts_on, ends_on) VALUES (1, '2025-2026', '2025-09-01', '2026-08-31')".to_owned(),
        "INSERT INTO calendars (id, academic_year_id, name) VALUES (1, 1, 'bench')".to_owned(),
        "INSERT INTO programmes (id, department, department_name, option_name, qualification, rncp) VALUES \
         (1, '2IA', 'Informatique et Intelligence Artificielle', 'Ingénierie logicielle', \
         'Ingénieur diplômé de l''École nationale supérieure des mines d''Alès de l''Institut Mines-Télécom', 'RNCP38677')".to_owned(),
        "INSERT INTO modules (id, programme_id, name) VALUES (1, 1, 'Ingénierie logicielle')".to_owned(),
        "INSERT INTO teachers (id, last_name, first_name, email) VALUES (1, 'Prof', 'Anne', 'anne@bench.test')".to_owned(),
        "INSERT INTO companies (id, legal_name, siret, address) VALUES (1, 'Énergies du Gard SAS', '73282932000074', '1 rue de la Paix, 30100 Alès')".to_owned(),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {tutors}) \
             INSERT INTO tutors (id, company_id, last_name, first_name, function, email) \
             SELECT i, 1, 'Tuteur' || i, 'Paul', 'Chef de projet', 'tutor' || i || '@bench.test' FROM n",
            tutors = (students + 9) / 10
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {students}) \
             INSERT INTO students (id, last_name, first_name, email, birth_date, birth_place) \
             SELECT i, 'Élève' || i, 'Zoé', 'student' || i || '@bench.test', '2003-02-01', 'Nîmes' FROM n"
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {groups}) \
             INSERT INTO student_groups (id, name, academic_year_id, calendar_id, programme_id) \
             SELECT i, 'G' || i, 1, 1, 1 FROM n"
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {students}) \
             INSERT INTO contracts (id, student_id, company_id, tutor_id, programme_id, academic_year_id, \
             group_id, start_date, end_date, defence_date, place, planned_minutes_s9, planned_minutes_s10, \
             price_s9_cents, price_s10_cents) \
             SELECT i, i, 1, (i - 1) / 10 + 1, 1, 1, (i - 1) / {GROUP_SIZE} + 1, '2025-09-01', \
             '2026-08-31', '2026-08-28', 'Alès', 16200, 12600, 450000, 350000 FROM n"
        ),
        // 20 sessions per group on the school days of September 2025, signed.
        format!(
            "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {groups}), \
             k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < {last}) \
             INSERT INTO training_sessions (group_id, module_id, teacher_id, day, starts_at, ends_at, signed_at, signed_by) \
             SELECT i, 1, 1, date('2025-09-01', '+' || ((j / 2) / 5 * 7 + (j / 2) % 5) || ' days'), \
             CASE WHEN j % 2 = 0 THEN '08:30:00' ELSE '13:30:00' END, \
             CASE WHEN j % 2 = 0 THEN '12:00:00' ELSE '17:00:00' END, '2025-09-30 18:00:00', 1 FROM g, k",
            last = SESSIONS_PER_GROUP - 1
        ),
        format!(
            "INSERT INTO attendance_marks (session_id, student_id, status, minutes_missed, note, source, recorded_by, recorded_at) \
             SELECT s.id, c.student_id, \
             CASE WHEN c.student_id % 10 = 1 AND s.id % {SESSIONS_PER_GROUP} = 3 THEN 'absent' \
                  WHEN c.student_id % 10 = 2 AND s.id % {SESSIONS_PER_GROUP} = 5 THEN 'late' ELSE 'present' END, \
             CASE WHEN c.student_id % 10 = 2 AND s.id % {SESSIONS_PER_GROUP} = 5 THEN 30 ELSE 0 END, \
             '', 'teacher', 1, '2025-09-30 18:00:00' \
             FROM training_sessions s JOIN contracts c ON c.group_id = s.group_id"
        ),
    ];
    for sql in statements {
        sqlx::query(&sql).execute(pool).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let students: i64 = std::env::var("BENCH_STUDENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let kinds = assidu::certificates::parse_kinds(Some(
        &std::env::var("BENCH_KIND").unwrap_or_else(|_| "attestation".to_owned()),
    ))
    .map_err(|e| anyhow::anyhow!(e))?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.db");
    let db = Db::connect(&format!("sqlite:{}", path.display()), 10).await?;
    db.migrate().await?;
    let seeding = Instant::now();
    seed(&db, students).await?;
    eprintln!(
        "seeded {students} students in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let mail = MailService::new(MailSettings {
        mail_dir: dir.path().join("mail"),
        ..MailSettings::default()
    })?;
    let issuer = Issuer {
        db: db.clone(),
        mail: Arc::new(mail),
        public_url: "https://assidu.example.fr".into(),
        signing: Arc::new(assidu::signing::Signing::new(None)),
        mail_links: None,
    };
    let options = IssueOptions {
        kinds,
        existing: Existing::Skip,
        force_reason: None,
        issued_by: None,
    };
    let selection = Selection::Year {
        year: "2025-2026".to_owned(),
        semester: Semester::S9,
    };
    let total = certificates::count(&db, &selection).await?;
    let rss_before = rss_kib();
    let mut samples: Vec<(u64, u64)> = Vec::new();
    let started = Instant::now();
    let report = certificates::issue_many(
        &issuer,
        &selection,
        &options,
        || {
            "2026-01-05T09:00:00Z"
                .parse()
                .unwrap_or_else(|_| chrono::Utc::now())
        },
        |done| samples.push((done, rss_kib())),
    )
    .await?;
    let elapsed = started.elapsed().as_secs_f64();
    let at = |share: f64| {
        let target = (total as f64 * share) as u64;
        samples
            .iter()
            .find(|(done, _)| *done >= target)
            .map_or(0, |(_, rss)| *rss)
    };
    let (pdf_bytes, docs): (i64, i64) = match &db {
        Db::Sqlite(s) => {
            sqlx::query_as("SELECT COALESCE(SUM(LENGTH(pdf)), 0), COUNT(*) FROM certificates")
                .fetch_one(&s.pool)
                .await?
        }
        Db::Postgres(_) => (0, 0),
    };
    let db_size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.path().join("bench.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!("issuing: {}", report.summary_fr());
    println!(
        "issuing: {docs} documents for {total} students in {elapsed:.1} s ({:.0} documents/s, {} cores)",
        docs as f64 / elapsed,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "issuing: resident memory before {} MiB, at 10 % {} MiB, 50 % {} MiB, 100 % {} MiB",
        rss_before / 1024,
        at(0.1) / 1024,
        at(0.5) / 1024,
        at(1.0) / 1024
    );
    println!(
        "issuing: PDF {} bytes on average; database {} MiB",
        pdf_bytes / docs.max(1),
        db_size / (1024 * 1024)
    );
    // The finance office's export of the same year: every statement, then the CSV.
    let started = Instant::now();
    let now = "2026-01-05T09:00:00Z".parse()?;
    let statements = assidu::billing::year_statements(&db, 1, now).await?;
    let read = started.elapsed().as_secs_f64();
    let csv = assidu::billing::statements_csv(&statements).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!(
        "billing: {} statements in {read:.1} s, CSV ({} KiB) in {:.1} s in all",
        statements.len(),
        csv.len() / 1024,
        started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(
        report.failed.is_empty() && report.blocked.is_empty(),
        "students held: {:?} {:?}",
        report.failed.first(),
        report.blocked.first()
    );
    Ok(())
}
