use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

pub fn assidu(database_url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_assidu"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run assidu");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn user_add_reads_or_generates_the_password() {
    let database = fresh_database().await;
    let url = database.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        let migrate = assidu(&url, &["migrate"], None);
        assert!(migrate.status.success(), "{}", text(&migrate.stderr));
        let typed = assidu(
            &url,
            &[
                "user",
                "add",
                "--role",
                "admin",
                "--email",
                "Office@School.test",
            ],
            Some("a typed password\n"),
        );
        assert!(typed.status.success(), "{}", text(&typed.stderr));
        let generated = assidu(
            &url,
            &[
                "user",
                "add",
                "--role",
                "admin",
                "--email",
                "second@school.test",
            ],
            Some(""),
        );
        assert!(generated.status.success(), "{}", text(&generated.stderr));
        let again = assidu(
            &url,
            &[
                "user",
                "add",
                "--role",
                "admin",
                "--email",
                "office@school.test",
            ],
            Some("another password\n"),
        );
        assert!(!again.status.success());
        assert!(
            text(&again.stderr).contains("existe déjà"),
            "{}",
            text(&again.stderr)
        );
        let bad_role = assidu(
            &url,
            &[
                "user",
                "add",
                "--role",
                "janitor",
                "--email",
                "x@school.test",
            ],
            Some("password password\n"),
        );
        assert!(!bad_role.status.success());
        let no_record = assidu(
            &url,
            &[
                "user",
                "add",
                "--role",
                "student",
                "--email",
                "ghost@school.test",
            ],
            Some("password password\n"),
        );
        assert!(!no_record.status.success());
        assert!(
            text(&no_record.stderr).contains("--link"),
            "{}",
            text(&no_record.stderr)
        );
        let short = assidu(
            &url,
            &[
                "user",
                "add",
                "--role",
                "admin",
                "--email",
                "short@school.test",
            ],
            Some("short\n"),
        );
        assert!(!short.status.success());
        generated
    })
    .await
    .unwrap();
    let stdout = text(&out.stdout);
    let password = stdout
        .lines()
        .find_map(|l| l.split(" : ").nth(1).filter(|_| l.contains("mot de passe")))
        .expect(&stdout)
        .trim()
        .to_owned();
    assert_eq!(password.len(), 16);

    let app = TestConfig::default().on(&database).spawn().await;
    assert_eq!(
        app.login("office@school.test", "a typed password")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.login("second@school.test", &password).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.login("short@school.test", "short").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn calendar_import_and_export_round_trip_through_the_binary() {
    let database = fresh_database().await;
    let app = TestConfig::default().on(&database).spawn().await;
    let admin = app.admin_token().await;
    app.create(
        &admin,
        "/api/v1/academic-years",
        json!({"name": "2025-2026", "starts_on": "2025-09-01", "ends_on": "2026-02-27"}),
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calendar.csv");
    std::fs::write(&file, SMALL_CALENDAR).unwrap();
    let exported = dir.path().join("exported.csv");
    let url = database.url.clone();
    let (file2, exported2) = (file.clone(), exported.clone());
    tokio::task::spawn_blocking(move || {
        let import = assidu(
            &url,
            &[
                "calendar",
                "import",
                file2.to_str().unwrap(),
                "--year",
                "2025-2026",
            ],
            None,
        );
        assert!(import.status.success(), "{}", text(&import.stderr));
        assert!(
            text(&import.stdout).contains("180 jours"),
            "{}",
            text(&import.stdout)
        );
        let export = assidu(
            &url,
            &[
                "calendar",
                "export",
                "--year",
                "2025-2026",
                "--output",
                exported2.to_str().unwrap(),
            ],
            None,
        );
        assert!(export.status.success(), "{}", text(&export.stderr));
        // The export imports back to the same days, and exports identically.
        let reimport = assidu(
            &url,
            &[
                "calendar",
                "import",
                exported2.to_str().unwrap(),
                "--year",
                "2025-2026",
            ],
            None,
        );
        assert!(reimport.status.success(), "{}", text(&reimport.stderr));
        let stdout_export = assidu(&url, &["calendar", "export", "--year", "2025-2026"], None);
        assert_eq!(
            text(&stdout_export.stdout),
            std::fs::read_to_string(&exported2).unwrap()
        );

        // A bad line: non-zero exit, the line number, nothing changed.
        let broken = std::fs::read_to_string(&file2)
            .unwrap()
            .replace("2025-W42", "2025-W99");
        std::fs::write(&file2, broken).unwrap();
        let bad = assidu(
            &url,
            &[
                "calendar",
                "import",
                file2.to_str().unwrap(),
                "--year",
                "2025-2026",
            ],
            None,
        );
        assert!(!bad.status.success());
        assert!(
            text(&bad.stderr).contains("line 6"),
            "{}",
            text(&bad.stderr)
        );
        let unknown_year = assidu(&url, &["calendar", "export", "--year", "1999-2000"], None);
        assert!(!unknown_year.status.success());
        assert!(
            text(&unknown_year.stderr).contains("2025-2026"),
            "known years are listed"
        );
    })
    .await
    .unwrap();
    let calendars = app.get("/api/v1/calendars", &admin).await.json();
    assert_eq!(calendars["total"], 1);
    assert_eq!(calendars["items"][0]["day_count"], 180);
    let csv = std::fs::read_to_string(&exported).unwrap();
    assert!(csv.contains("kind,from,to,note"));
    assert!(csv.contains("school,2025-W36,2025-W39"), "{csv}");
}

/// A server process, killed when dropped: the process, its address, and what it printed
/// before it listened.
pub struct Server(pub Child, pub String, pub Vec<String>);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(database_url: &str, args: &[&str]) -> Server {
    start_server_with(database_url, args, &[])
}

/// `assidu` with these arguments and extra environment, once it listens.
pub fn start_server_with(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_assidu"))
        .args(args)
        .envs(env.iter().copied())
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env(
            "ASSIDU_MAIL_DIR",
            std::env::temp_dir().join(format!("assidu-cli-mail-{}", std::process::id())),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start assidu serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut seen = Vec::new();
    while std::time::Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(rest) = line.split("écoute sur http://").nth(1) {
                let addr = rest.split('/').next().unwrap().to_owned();
                return Server(child, addr, seen);
            }
            seen.push(line);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start: {seen:?}");
}

#[tokio::test]
async fn serve_demo_starts_prints_the_accounts_and_keeps_data_across_restarts() {
    let database = fresh_database().await;
    let url = database.url.clone();
    let client = reqwest::Client::new();
    let mut counts = Vec::new();
    for _ in 0..2 {
        let server = tokio::task::spawn_blocking({
            let url = url.clone();
            move || start_server(&url, &["serve", "--demo", "--bind", "127.0.0.1:0"])
        })
        .await
        .unwrap();
        let base = format!("http://{}", server.1);
        assert_eq!(
            client
                .get(format!("{base}/healthz"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        assert_eq!(
            client
                .get(format!("{base}/readyz"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        let login: serde_json::Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": "admin@demo.test", "password": "demo-password"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"]
            .as_str()
            .expect("demo admin logs in")
            .to_owned();
        let mut here = Vec::new();
        for path in ["students", "contracts", "sessions", "companies"] {
            let page: serde_json::Value = client
                .get(format!("{base}/api/v1/{path}?limit=1"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            here.push(page["total"].as_i64().unwrap());
        }
        counts.push(here);
        drop(server);
    }
    assert_eq!(
        counts[0], counts[1],
        "a second start neither loses nor duplicates data"
    );
    assert!(
        counts[0][0] >= 8 && counts[0][1] >= 8 && counts[0][3] >= 2,
        "{counts:?}"
    );
}
