//! Faults: the database going away and coming back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use crate::helpers::*;

/// A TCP proxy in front of PostgreSQL that can be cut (every connection dropped, new ones
/// closed at once, as when the server restarts), made to hang (new connections accepted and
/// never answered, as when the server's machine is gone) and restored.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    hang: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accepting: AbortHandle,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let hang = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accepting = tokio::spawn({
            let (up, hang, connections) = (up.clone(), hang.clone(), connections.clone());
            async move {
                let mut held = Vec::new();
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if hang.load(Ordering::SeqCst) {
                        held.push(inbound); // open, silent
                        continue;
                    }
                    held.clear();
                    if !up.load(Ordering::SeqCst) {
                        continue; // dropped: the client sees the connection closed
                    }
                    let target = target.clone();
                    let relay = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(&target).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    connections.lock().unwrap().push(relay.abort_handle());
                }
            }
        })
        .abort_handle();
        Proxy {
            port,
            up,
            hang,
            connections,
            accepting,
        }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for relay in self.connections.lock().unwrap().drain(..) {
            relay.abort();
        }
    }

    fn hang(&self) {
        self.cut();
        self.hang.store(true, Ordering::SeqCst);
    }

    fn restore(&self) {
        self.hang.store(false, Ordering::SeqCst);
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accepting.abort();
    }
}

#[tokio::test]
async fn a_database_outage_answers_503_quickly_and_the_service_recovers_by_itself() {
    if engine() != "postgres" {
        // A SQLite file cannot go away from under its process; the PostgreSQL run covers this.
        eprintln!("skipped on SQLite: the outage is a PostgreSQL server going away");
        return;
    }
    let database = fresh_database().await;
    let (before, after) = database
        .url
        .split_once("@")
        .map(|(b, a)| (b.to_owned(), a.to_owned()))
        .unwrap();
    let (server, path) = after.split_once('/').unwrap();
    let proxy = Proxy::start(server.to_owned()).await;
    let proxied = database.reached_at(format!("{before}@127.0.0.1:{}/{path}", proxy.port));
    let app = TestConfig::default().on(&proxied).spawn().await;
    let admin = app.admin_token().await;
    assert_eq!(
        app.get("/api/v1/teachers", &admin).await.status,
        StatusCode::OK
    );

    proxy.cut();
    for attempt in 0..3 {
        let started = Instant::now();
        let read = app.get("/api/v1/teachers", &admin).await;
        assert_eq!(
            read.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            read.text
        );
        assert_eq!(read.json()["error"], "unavailable", "{}", read.text);
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "attempt {attempt}: answered after {:?}",
            started.elapsed()
        );
    }
    let write = app
        .post(
            "/api/v1/teachers",
            &admin,
            json!({"last_name": "Panne", "first_name": "Léon", "email": "leon@school.test"}),
        )
        .await;
    assert_eq!(
        write.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        write.text
    );
    let started = Instant::now();
    let ready = app.request(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let alive = app.request(Method::GET, "/healthz", None, None).await;
    assert_eq!(alive.status, StatusCode::OK, "the process itself stays up");

    // The server's machine gone: connections hang; the pool's wait (5 s) bounds the answer.
    proxy.hang();
    let started = Instant::now();
    let read = app.get("/api/v1/teachers", &admin).await;
    assert_eq!(
        read.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        read.text
    );
    assert!(
        started.elapsed() < Duration::from_secs(7),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    let ready = app.request(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // Back: the pool reconnects without a restart.
    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = app.request(Method::GET, "/readyz", None, None).await;
        if ready.status == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not ready 20 s after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let read = app.get("/api/v1/teachers", &admin).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert!(
        !read.text.contains("leon@school.test"),
        "the write refused during the outage left nothing"
    );
    let write = app
        .post(
            "/api/v1/teachers",
            &admin,
            json!({"last_name": "Retour", "first_name": "Léa", "email": "lea@school.test"}),
        )
        .await;
    assert_eq!(write.status, StatusCode::CREATED, "{}", write.text);
}

/// Teachers saving roll calls as fast as they can when the process is killed (SIGKILL):
/// after a restart every roll call is one of the versions sent, whole, and its history
/// leads to what is recorded.
#[tokio::test]
async fn a_process_killed_during_roll_calls_leaves_each_one_whole() {
    const DAY: &str = "2026-02-10";
    const GROUPS: usize = 6;
    let database = fresh_database().await;
    let url = database.url.clone();
    let generated = tokio::task::spawn_blocking(move || {
        crate::cli::assidu(
            &url,
            &["demo", "generate", "--students", "150", "--as-of", DAY],
            None,
        )
    })
    .await
    .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        crate::cli::text(&generated.stderr)
    );
    let env = [("ASSIDU_PRETEND_NOW", "2026-02-10T09:30:00Z")];
    let server = crate::mail::serve_binary(&database.url, &env).await;
    let base = format!("http://{}", server.1);
    let client = reqwest::Client::new();
    // Each group's morning teacher, their 08:30 session and its two versions of the roll call.
    let mut work = Vec::new();
    for g in 0..GROUPS {
        let login: serde_json::Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": format!("enseignant{}.20252026@generated.test", g * 2), "password": "demo-password"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"].as_str().unwrap().to_owned();
        let me = get_json(&client, format!("{base}/api/v1/me"), &token).await;
        let teacher = me["linked"]["id"].as_i64().unwrap();
        let sessions = get_json(
            &client,
            format!("{base}/api/v1/sessions?teacher_id={teacher}&from={DAY}&to={DAY}&limit=1"),
            &token,
        )
        .await;
        let session = sessions["items"][0]["id"].as_i64().unwrap();
        let sheet = get_json(
            &client,
            format!("{base}/api/v1/sessions/{session}/attendance"),
            &token,
        )
        .await;
        let students: Vec<i64> = sheet["roster"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["student_id"].as_i64().unwrap())
            .collect();
        assert_eq!(students.len(), 25);
        work.push((token, session, students));
    }
    let version = |students: &[i64], late: bool| {
        json!({"marks": students.iter().enumerate().map(|(i, s)| if late && i < 5 {
            json!({"student_id": s, "status": "late", "minutes_missed": 10})
        } else {
            json!({"student_id": s, "status": "present"})
        }).collect::<Vec<_>>()})
    };
    let mut writers = tokio::task::JoinSet::new();
    for (token, session, students) in work.clone() {
        let client = client.clone();
        let url = format!("{base}/api/v1/sessions/{session}/attendance");
        let bodies = [version(&students, false), version(&students, true)];
        writers.spawn(async move {
            let mut saved = 0;
            for i in 0.. {
                match client
                    .put(&url)
                    .bearer_auth(&token)
                    .json(&bodies[i % 2])
                    .send()
                    .await
                {
                    Ok(answer) if answer.status().is_success() => saved += 1,
                    _ => break, // the process is gone
                }
            }
            saved
        });
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut server = server;
    server.0.kill().unwrap(); // SIGKILL
    server.0.wait().unwrap();
    let mut saved = 0;
    while let Some(done) = writers.join_next().await {
        saved += done.unwrap();
    }
    assert!(
        saved > GROUPS,
        "roll calls were being saved when the process died: {saved}"
    );

    // Restart: the service opens the same database and answers.
    let server = crate::mail::serve_binary(&database.url, &env).await;
    let base = format!("http://{}", server.1);
    for (token, session, students) in &work {
        let sheet = get_json(
            &client,
            format!("{base}/api/v1/sessions/{session}/attendance"),
            token,
        )
        .await;
        let marks: Vec<(i64, String)> = sheet["roster"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| !l["mark"].is_null())
            .map(|l| {
                (
                    l["student_id"].as_i64().unwrap(),
                    l["mark"]["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let as_sent = |late: bool| -> Vec<(i64, String)> {
            students
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    (
                        *s,
                        if late && i < 5 { "late" } else { "present" }.to_owned(),
                    )
                })
                .collect()
        };
        assert!(
            marks.is_empty() || marks == as_sent(false) || marks == as_sent(true),
            "session {session}: a roll call cut in half: {marks:?}"
        );
        // The evidence trail ends on what is recorded, for every student.
        let history = get_json(
            &client,
            format!("{base}/api/v1/sessions/{session}/attendance/history"),
            token,
        )
        .await;
        let history = history.as_array().expect("a list of changes");
        for (student, status) in &marks {
            let last = history
                .iter()
                .filter(|h| h["student_id"].as_i64() == Some(*student))
                .max_by_key(|h| h["id"].as_i64())
                .expect("each mark has its history");
            assert_eq!(
                last["new_status"].as_str(),
                Some(status.as_str()),
                "session {session}, student {student}"
            );
        }
    }
    drop(server);
}

async fn get_json(client: &reqwest::Client, url: String, token: &str) -> serde_json::Value {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
