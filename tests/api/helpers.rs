use std::net::SocketAddr;

use assidu::app::{ApiContext, Application};
use assidu::config::{AttendanceSettings, AuthSettings, JobSettings, MailSettings};
use assidu::db::Db;
use assidu::domain::roles::Role;
use assidu::mail::MailService;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const PASSWORD: &str = "a long test password";

/// Which engine the suite runs on.
pub fn engine() -> String {
    std::env::var("ASSIDU_TEST_DB").unwrap_or_else(|_| "sqlite".to_owned())
}

/// A fresh, empty database URL for one test, and what keeps it alive.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database this test created (admin URL, name), dropped with it.
    created: Option<(String, String)>,
}

impl TestDatabase {
    /// The same database reached at another URL (through a proxy, say); not dropped with it.
    pub fn reached_at(&self, url: String) -> TestDatabase {
        TestDatabase {
            url,
            _dir: None,
            created: None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.created.take() else {
            return;
        };
        // Often dropped inside the test's runtime: a thread and a runtime of its own. FORCE
        // closes the connections an instance may still hold.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(Db::Postgres(pool)) = Db::connect(&admin_url, 1).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .execute(&pool)
                            .await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}

pub async fn fresh_database() -> TestDatabase {
    if engine() == "postgres" {
        let admin_url = std::env::var("ASSIDU_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let name = format!(
            "assidu_t_{}",
            assidu::auth::random_secret()
                .to_lowercase()
                .replace(['-', '_'], "")[..16]
                .to_owned()
        );
        let admin = Db::connect(&admin_url, 1)
            .await
            .expect("PostgreSQL reachable for tests");
        if let Db::Postgres(pool) = &admin {
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(pool)
                .await
                .expect("create test database");
        }
        admin.close().await;
        let (base, _) = admin_url
            .rsplit_once('/')
            .expect("database URL with a path");
        TestDatabase {
            url: format!("{base}/{name}"),
            _dir: None,
            created: Some((admin_url.clone(), name)),
        }
    } else {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("assidu.db").display());
        TestDatabase {
            url,
            _dir: Some(dir),
            created: None,
        }
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub db: Db,
    pub ctx: ApiContext,
    pub client: reqwest::Client,
    /// Where mail goes when the test configured no SMTP server.
    pub mail_dir: std::path::PathBuf,
    _mail_dir: tempfile::TempDir,
    _database: TestDatabase,
    _stop: tokio::sync::oneshot::Sender<()>,
    _worker: Option<Worker>,
}

/// The background worker of a test instance, stopped with it.
struct Worker(tokio::task::JoinHandle<()>);

impl Drop for Worker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Everything a test may set on its instance.
pub struct TestConfig {
    pub auth: AuthSettings,
    pub attendance: AttendanceSettings,
    /// `mail_dir` is replaced by a temporary folder unless `smtp_url` is set.
    pub mail: MailSettings,
    pub jobs: JobSettings,
    /// Run the background worker (notices, jobs, outbox).
    pub worker: bool,
    /// Sign with this PKCS#12 file and password instead of the installation's key.
    pub signing_p12: Option<(std::path::PathBuf, String)>,
    /// Start on this existing database (its URL) instead of a fresh one.
    pub database: Option<String>,
}

impl Default for TestConfig {
    fn default() -> Self {
        TestConfig {
            auth: AuthSettings::default(),
            attendance: AttendanceSettings::default(),
            mail: MailSettings {
                absence_notice_delay: std::time::Duration::ZERO,
                worker_interval: std::time::Duration::from_millis(50),
                mail_retry_max: std::time::Duration::from_millis(500),
                ..MailSettings::default()
            },
            // Tests issue certificates when they mean to (one test checks the start-up run).
            jobs: JobSettings {
                certificates_at_start: false,
                // The monthly payroll statement mails tutors: only the tests that mean it.
                statement_cron: "0 0 3 1 8 *".to_owned(),
                // The timetable sync fetches URLs: only the tests that mean it.
                timetable_cron: "0 0 3 1 8 *".to_owned(),
                ..JobSettings::default()
            },
            worker: true,
            signing_p12: None,
            database: None,
        }
    }
}

impl TestConfig {
    /// The clock started at `now` (RFC 3339).
    pub fn at(mut self, now: &str) -> Self {
        self.attendance.pretend_now = Some(
            chrono::DateTime::parse_from_rfc3339(now)
                .expect("RFC 3339 instant")
                .to_utc(),
        );
        self
    }
}

impl TestConfig {
    pub fn auth(mut self, auth: AuthSettings) -> Self {
        self.auth = auth;
        self
    }

    pub fn attendance(mut self, attendance: AttendanceSettings) -> Self {
        self.attendance = attendance;
        self
    }

    /// On a database another instance or a CLI step also uses (which keeps it).
    pub fn on(mut self, database: &TestDatabase) -> Self {
        self.database = Some(database.url.clone());
        self
    }

    /// Starts the instance; see [`spawn`].
    pub async fn spawn(self) -> TestApp {
        spawn(self).await
    }
}

/// Starts an instance as `config` says: on a fresh database, or on the one given to
/// [`TestConfig::on`].
pub async fn spawn(config: TestConfig) -> TestApp {
    let database = match &config.database {
        Some(url) => TestDatabase {
            url: url.clone(),
            _dir: None,
            created: None,
        },
        None => fresh_database().await,
    };
    serve(database, config).await
}

async fn serve(database: TestDatabase, mut config: TestConfig) -> TestApp {
    // `ASSIDU_TEST_LOG=debug` shows the server's log (internal errors included) in a failing test.
    if let Ok(filter) = std::env::var("ASSIDU_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
    let db = Db::connect(&database.url, 5).await.expect("connect");
    db.migrate().await.expect("migrate");
    let mail_dir = tempfile::tempdir().expect("mail dir");
    config.mail.mail_dir = mail_dir.path().to_owned();
    let mail = MailService::new(config.mail).expect("mail settings");
    let ctx = ApiContext::new(
        db.clone(),
        config.auth,
        config.attendance,
        mail,
        config.jobs,
        "http://assidu.test",
    )
    .await
    .expect("context");
    let ctx = match &config.signing_p12 {
        Some((path, password)) => ctx.with_signing(assidu::signing::Signing::new(
            assidu::config::SigningSettings {
                signing_p12: Some(path.clone()),
                signing_p12_password: Some(password.clone()),
            }
            .load()
            .expect("the PKCS#12 file opens"),
        )),
        None => ctx,
    };
    let worker = config
        .worker
        .then(|| Worker(assidu::worker::spawn(ctx.clone())));
    let app = Application::bind(ctx.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("bind");
    let addr = app.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.serve_until(async move {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        db,
        ctx,
        client: reqwest::Client::new(),
        mail_dir: mail_dir.path().to_owned(),
        _mail_dir: mail_dir,
        _database: database,
        _stop: stop,
        _worker: worker,
    }
}

/// An HTTP answer, its JSON body parsed when there is one.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    /// The field names of a validation error.
    pub fn fields(&self) -> Vec<String> {
        self.json()["fields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| f["field"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts a 422 naming `field` alone and answers its message.
    pub fn refusal_of(&self, field: &str) -> String {
        assert_eq!(
            self.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            self.text
        );
        assert_eq!(self.fields(), [field], "{}", self.text);
        self.json()["fields"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl TestApp {
    /// Stops this instance and hands its database over, to start another one on it.
    pub fn stop(self) -> TestDatabase {
        self._database
    }

    /// The same database, for another instance (this one keeps it).
    pub fn database(&self) -> TestDatabase {
        TestDatabase {
            url: self._database.url.clone(),
            _dir: None,
            created: None,
        }
    }

    pub fn db_url(&self) -> String {
        self._database.url.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        Answer {
            status,
            headers,
            text,
        }
    }

    /// Moves the service's clock (handlers and worker alike) forward, instead of sleeping.
    pub fn advance(&self, by: chrono::Duration) {
        self.ctx.clock.advance(by);
    }

    /// Runs one round of the background work now (due notices, jobs, the outbox), as the
    /// worker would on its next pass.
    pub async fn run_pending_work(&self) {
        assidu::worker::round(&self.ctx).await;
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.request(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }
    pub async fn put(&self, path: &str, token: &str, body: Value) -> Answer {
        self.request(Method::PUT, path, Some(token), Some(body))
            .await
    }

    /// Creates through the API and answers the new id (panics on anything but 201).
    pub async fn create(&self, token: &str, path: &str, body: Value) -> i64 {
        let a = self.post(path, token, body).await;
        assert_eq!(a.status, StatusCode::CREATED, "POST {path}: {}", a.text);
        a.json()["id"].as_i64().expect("id")
    }

    pub async fn login(&self, email: &str, password: &str) -> Answer {
        self.request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await
    }

    /// Creates an account directly and answers a token for it.
    pub async fn user_token(&self, role: Role, email: &str, link: Option<i64>) -> String {
        let hash = assidu::auth::hash_password(PASSWORD).unwrap();
        let now = self.ctx.clock.now();
        assidu::auth::create_user_at(&self.db, role, email, email, link, &hash, now)
            .await
            .expect("create user");
        let a = self.login(email, PASSWORD).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.json()["token"].as_str().unwrap().to_owned()
    }

    /// A token for an account that already exists (created by [`TestApp::user_token`]).
    pub async fn token_of(&self, email: &str) -> String {
        let a = self.login(email, PASSWORD).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        a.json()["token"].as_str().unwrap().to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.user_token(Role::Admin, "admin@school.test", None)
            .await
    }
}

/// A small but complete school: every admin resource once, through the API.
pub struct Basics {
    pub year: i64,
    pub calendar: i64,
    pub programme: i64,
    pub module: i64,
    pub company: i64,
    pub tutor: i64,
    pub student: i64,
    pub teacher: i64,
    pub group: i64,
    pub contract: i64,
}

/// September–December 2025 plus January–February 2026: weeks 36–39 school, week 40
/// Monday–Tuesday school then company to 10 October, the rest company except holidays.
pub const SMALL_CALENDAR: &str = "\
# test calendar
kind,from,to,note
school,2025-W36,2025-W39,
school,2025-09-29,2025-09-30,convention
company,2025-10-01,2025-10-10,convention
company,2025-W42,2025-W51,
holiday,2025-W52,2026-W01,Noël
school,2026-W02,2026-W09,
";

pub const VALID_SIRET: &str = "18009202500113";

pub async fn seed_basics(app: &TestApp, token: &str) -> Basics {
    let year = app
        .create(
            token,
            "/api/v1/academic-years",
            json!({"name": "2025-2026", "starts_on": "2025-09-01", "ends_on": "2026-02-27"}),
        )
        .await;
    let calendar = app
        .create(
            token,
            "/api/v1/calendars",
            json!({"academic_year_id": year, "name": "Calendrier test"}),
        )
        .await;
    let a = app
        .client
        .put(app.url(&format!("/api/v1/calendars/{calendar}/file")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(SMALL_CALENDAR)
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), StatusCode::OK, "{}", a.text().await.unwrap());
    let programme = app
        .create(token, "/api/v1/programmes", json!({
            "department": "2IA", "department_name": "Informatique et Intelligence Artificielle",
            "option_name": "Ingénierie logicielle",
            "qualification": "Ingénieur diplômé de l’École nationale supérieure des mines d’Alès de l’Institut Mines-Télécom",
            "rncp": "RNCP38677"}))
        .await;
    let module = app
        .create(
            token,
            "/api/v1/modules",
            json!({"programme_id": programme, "name": "Ingénierie logicielle"}),
        )
        .await;
    let company = app
        .create(token, "/api/v1/companies", json!({"legal_name": "Entreprise Test", "siret": VALID_SIRET, "address": "1 rue de la Paix, 30100 Alès"}))
        .await;
    let tutor = app
        .create(token, "/api/v1/tutors", json!({"company_id": company, "last_name": "Tuteur", "first_name": "Paul", "function": "Chef de projet", "email": "tutor@company.test"}))
        .await;
    let student = app
        .create(token, "/api/v1/students", json!({"last_name": "Élève", "first_name": "Zoé", "email": "zoe@student.test", "birth_date": "2003-02-01", "birth_place": "Nîmes"}))
        .await;
    let teacher = app
        .create(
            token,
            "/api/v1/teachers",
            json!({"last_name": "Prof", "first_name": "Anne", "email": "anne@school.test"}),
        )
        .await;
    let group = app
        .create(token, "/api/v1/groups", json!({"name": "2IA-IL", "academic_year_id": year, "calendar_id": calendar, "programme_id": programme}))
        .await;
    let contract = app
        .create(
            token,
            "/api/v1/contracts",
            contract_body(student, company, tutor, programme, year, group),
        )
        .await;
    Basics {
        year,
        calendar,
        programme,
        module,
        company,
        tutor,
        student,
        teacher,
        group,
        contract,
    }
}

/// A second student of the basics' group, Léo Martin, with a contract under `tutor`.
pub async fn add_second_student(app: &TestApp, admin: &str, b: &Basics, tutor: i64) -> i64 {
    let student = app
        .create(admin, "/api/v1/students", json!({"last_name": "Martin", "first_name": "Léo", "email": "leo@student.test", "birth_date": "2002-05-06", "birth_place": "Alès"}))
        .await;
    app.create(
        admin,
        "/api/v1/contracts",
        contract_body(student, b.company, tutor, b.programme, b.year, b.group),
    )
    .await;
    student
}

/// Mail through the test's SMTP server; absence notices held back for a year, and no
/// scheduled job by itself: a service restarted months later would catch up every missed
/// due time, so each test runs the jobs it means to, through the API.
pub fn mail_config(smtp: &crate::smtp::SmtpServer, now: &str) -> TestConfig {
    let mut config = TestConfig::default().at(now);
    config.mail.smtp_url = Some(smtp.url());
    config.mail.mail_from = "assidu <assidu@school.test>".to_owned();
    config.mail.absence_notice_delay = std::time::Duration::from_secs(3600 * 24 * 365);
    let never = "0 0 3 1 8 *".to_owned();
    config.jobs.digest_cron = never.clone();
    config.jobs.reminder_cron = never.clone();
    config.jobs.alert_cron = never.clone();
    config.jobs.certificates_cron = never;
    config
}

/// A complete school profile (the one of the convention), its DREETS included.
pub fn school_body() -> Value {
    json!({
        "name": "IMT Mines Alès", "legal_entity": "Institut Mines-Télécom",
        "address": "6 avenue de Clavières, 30100 Alès", "phone": "04 66 78 50 00",
        "office_email": "contrats-pro@school.test", "dreets_email": "dreets@occitanie.test",
        "siret": "180 092 025 00113", "ape_code": "8542Z",
        "activity_number": "763 004 118 30", "signatory_name": "Assia TRIA",
        "signatory_title": "directrice", "city": "Alès"
    })
}

/// Records a termination through its own action, which needs the school's DREETS and the
/// contract's OPCO addresses: both are set first (`contract` is the contract's body).
pub async fn terminate(app: &TestApp, admin: &str, id: i64, mut contract: Value, date: &str) {
    let put = app.put("/api/v1/school", admin, school_body()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    contract["opco_email"] = json!("contrats@opco-atlas.test");
    let put = app
        .put(&format!("/api/v1/contracts/{id}"), admin, contract)
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let a = app
        .post(
            &format!("/api/v1/contracts/{id}/termination"),
            admin,
            json!({"date": date, "reason": "rupture d’un commun accord"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
}

pub fn contract_body(
    student: i64,
    company: i64,
    tutor: i64,
    programme: i64,
    year: i64,
    group: i64,
) -> Value {
    json!({
        "student_id": student, "company_id": company, "tutor_id": tutor, "programme_id": programme,
        "academic_year_id": year, "group_id": group,
        "start_date": "2025-09-01", "end_date": "2026-02-27", "defence_date": "2026-02-27",
        "place": "Alès", "planned_hours_s9": 14, "planned_hours_s10": 7,
        "price_s9_cents": 450000, "price_s10_cents": 350000,
        "opco_name": "OPCO Atlas", "subrogation": true
    })
}

pub fn session_body(b: &Basics, day: &str, start: &str, end: &str) -> Value {
    json!({"group_id": b.group, "module_id": b.module, "teacher_id": b.teacher, "day": day, "starts_at": start, "ends_at": end})
}

/// One integer from the test's database, on either engine.
pub async fn scalar(app: &TestApp, sql: &str) -> i64 {
    match &app.db {
        Db::Sqlite(assidu::db::SqliteDb { pool: p, .. }) => {
            sqlx::query_scalar(sql).fetch_one(p).await.unwrap()
        }
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

/// Runs a statement without parameters, on either engine.
pub async fn execute_plain(app: &TestApp, sql: &str) {
    let done = match &app.db {
        Db::Sqlite(assidu::db::SqliteDb { pool: p, .. }) => {
            sqlx::query(sql).execute(p).await.map(|_| ())
        }
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    };
    done.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A column of text from the test's database, on either engine.
pub async fn texts(app: &TestApp, sql: &str) -> Vec<String> {
    match &app.db {
        Db::Sqlite(assidu::db::SqliteDb { pool: p, .. }) => {
            sqlx::query_scalar(sql).fetch_all(p).await.unwrap()
        }
        Db::Postgres(p) => sqlx::query_scalar(sql).fetch_all(p).await.unwrap(),
    }
}

/// Runs a statement with one instant bound to `$1`, on either engine.
pub async fn execute(app: &TestApp, sql: &str, at: chrono::DateTime<chrono::Utc>) {
    match &app.db {
        Db::Sqlite(assidu::db::SqliteDb { pool: p, .. }) => {
            sqlx::query(sql).bind(at).execute(p).await.map(|_| ())
        }
        Db::Postgres(p) => sqlx::query(sql).bind(at).execute(p).await.map(|_| ()),
    }
    .unwrap()
}

/// A file's status, content type and bytes.
pub async fn download(app: &TestApp, path: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, res.bytes().await.unwrap().to_vec())
}

pub fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    pdf_extract::extract_text_from_mem(bytes).expect("text extracted")
}

/// The first mail to `address` whose subject holds `subject`, waiting for it.
pub async fn mail_to(
    smtp: &crate::smtp::SmtpServer,
    address: &str,
    subject: &str,
) -> crate::smtp::ReceivedMail {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let found = smtp
            .messages()
            .into_iter()
            .find(|m| m.envelope_to.iter().any(|t| t == address) && m.subject.contains(subject));
        if let Some(mail) = found {
            return mail;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no mail to {address} about « {subject} »: {:?}",
            smtp.messages()
                .iter()
                .map(|m| (m.envelope_to.clone(), m.subject.clone()))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
