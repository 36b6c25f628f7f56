use assidu::config::AuthSettings;
use assidu::domain::roles::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn login_me_and_logout() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let token = app
        .user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;

    let me = app.get("/api/v1/me", &token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    let me = me.json();
    assert_eq!(me["role"], "student");
    assert_eq!(me["email"], "zoe@student.test");
    assert_eq!(me["linked"]["id"], b.student);
    assert_eq!(me["linked"]["first_name"], "Zoé");

    let out = app
        .request(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = app.get("/api/v1/me", &token).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.json()["error"], "unauthorized");
    assert_eq!(after.headers["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn wrong_credentials_do_not_say_which_part_was_wrong() {
    let app = TestConfig::default().spawn().await;
    app.admin_token().await;
    let wrong_password = app.login("admin@school.test", "not the password").await;
    let unknown_email = app.login("nobody@school.test", PASSWORD).await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.text, unknown_email.text);
    // Emails are case-insensitive.
    assert_eq!(
        app.login("ADMIN@school.test", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn repeated_failures_are_slowed_down() {
    let app = TestConfig::default()
        .auth(AuthSettings {
            login_free_failures: 3,
            ..AuthSettings::default()
        })
        .spawn()
        .await;
    app.admin_token().await;
    for _ in 0..3 {
        assert_eq!(
            app.login("admin@school.test", "bad").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let slowed = app.login("admin@school.test", PASSWORD).await;
    assert_eq!(
        slowed.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        slowed.text
    );
    assert!(slowed.headers.contains_key("retry-after"));
    assert_eq!(slowed.json()["error"], "too_many_requests");
    // The right password works again once the wait is over.
    app.ctx.clock.advance(chrono::Duration::milliseconds(2100));
    assert_eq!(
        app.login("admin@school.test", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn tokens_expire() {
    let app = TestConfig::default()
        .auth(AuthSettings {
            token_ttl: std::time::Duration::from_secs(1),
            ..AuthSettings::default()
        })
        .spawn()
        .await;
    let token = app.admin_token().await;
    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::OK);
    app.ctx.clock.advance(chrono::Duration::milliseconds(1500));
    assert_eq!(
        app.get("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    let app = TestConfig::default().spawn().await;
    let token = app.admin_token().await;
    let stored: Vec<String> = assidu::db_run!(&app.db, |pool| sqlx::query_scalar(
        "SELECT token_hash FROM auth_tokens"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert!(!stored[0].contains(&token));
    let hashes: Vec<String> = assidu::db_run!(&app.db, |pool| sqlx::query_scalar(
        "SELECT password_hash FROM users"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    assert!(hashes[0].starts_with("$argon2"));
}

#[tokio::test]
async fn malformed_login_bodies() {
    let app = TestConfig::default().spawn().await;
    let a = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = a.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
    let missing = app
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "a@b.test"})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.fields(), vec!["password"]);
}

#[tokio::test]
async fn one_address_trying_many_accounts_is_slowed_down_too() {
    let app = TestConfig::default()
        .auth(AuthSettings {
            login_free_failures: 2,
            ..AuthSettings::default()
        })
        .spawn()
        .await;
    app.admin_token().await;
    // An address gets four times the free failures of one account: 8 here.
    for n in 0..8 {
        let a = app.login(&format!("guess{n}@school.test"), "bad").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let a = app.login("admin@school.test", PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.text);
}

/// Logs in through a trusted proxy that saw `address`.
async fn login_from(app: &TestApp, email: &str, password: &str, address: &str) -> Answer {
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", address)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("request sent");
    Answer {
        status: res.status(),
        headers: res.headers().clone(),
        text: res.text().await.expect("body"),
    }
}

async fn behind_a_proxy() -> TestApp {
    let app = TestConfig::default()
        .auth(AuthSettings {
            trust_forwarded_for: true,
            ..AuthSettings::default()
        })
        .spawn()
        .await;
    app.admin_token().await;
    app
}

#[tokio::test]
async fn parallel_guesses_are_counted_one_by_one() {
    let app = behind_a_proxy().await;
    // The back-off's first wait is 2 s: on a loaded machine the 150 requests may take longer
    // than that, and a guess that waited its turn may rightly be checked. The clock stands
    // still so that the count alone is measured.
    app.ctx.clock.freeze();
    // 150 guesses at once from one address: the count is taken before each password is
    // checked, so exactly the free failures (5) reach the check.
    let guesses = (0..150).map(|n| {
        let app = &app;
        async move {
            login_from(
                app,
                "admin@school.test",
                &format!("guess {n}"),
                "203.0.113.7",
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|a| a.status == StatusCode::UNAUTHORIZED)
        .count();
    let refused = answers
        .iter()
        .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, refused), (5, 145));
    assert!(
        answers
            .iter()
            .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
            .all(|a| a.headers.contains_key("retry-after"))
    );
    // The guesser's address stays locked, even with the right password.
    let again = login_from(&app, "admin@school.test", PASSWORD, "203.0.113.7").await;
    assert_eq!(
        again.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        again.text
    );
}

#[tokio::test]
async fn the_right_password_from_another_address_gets_in_while_a_guesser_is_locked() {
    let app = behind_a_proxy().await;
    let guesser = async {
        let guesses =
            (0..150).map(|n| {
                let app = &app;
                async move {
                    login_from(app, "admin@school.test", &format!("g{n}"), "198.51.100.66").await
                }
            });
        futures_util::future::join_all(guesses).await
    };
    let owner = async {
        // Meanwhile, from the office.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        login_from(&app, "admin@school.test", PASSWORD, "192.0.2.10").await
    };
    let (guesses, owner) = tokio::join!(guesser, owner);
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.text);
    assert!(
        guesses
            .iter()
            .any(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
    );
    let after = login_from(&app, "admin@school.test", PASSWORD, "192.0.2.11").await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text);
}

#[tokio::test]
async fn one_wrong_guess_every_quarter_hour_never_locks_the_owner_out() {
    let app = behind_a_proxy().await;
    // The owner's usual place.
    let usual = login_from(&app, "admin@school.test", PASSWORD, "192.0.2.10").await;
    assert_eq!(usual.status, StatusCode::OK, "{}", usual.text);
    // A slow guesser from ever new addresses, for a day: every guess is checked (no address
    // or account-from-address lock is reached), the account-wide count keeps growing.
    for n in 0..96 {
        let guess = login_from(
            &app,
            "admin@school.test",
            "not it",
            &format!("10.9.{}.{}", n / 200, n % 200 + 1),
        )
        .await;
        assert_eq!(
            guess.status,
            StatusCode::UNAUTHORIZED,
            "guess {n}: {}",
            guess.text
        );
        app.ctx.clock.advance(chrono::Duration::minutes(15));
    }
    // Right after a guess, a new address waits a bounded minute at most…
    let guess = login_from(&app, "admin@school.test", "not it", "10.9.9.9").await;
    assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    let fresh = login_from(&app, "admin@school.test", PASSWORD, "192.0.2.99").await;
    assert_eq!(
        fresh.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        fresh.text
    );
    let wait: u64 = fresh.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "waits {wait} s");
    // …while the usual place gets in at once…
    let usual = login_from(&app, "admin@school.test", PASSWORD, "192.0.2.10").await;
    assert_eq!(usual.status, StatusCode::OK, "{}", usual.text);
    // …and the right password cleared the account: the new address gets in too.
    let fresh = login_from(&app, "admin@school.test", PASSWORD, "192.0.2.99").await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
    // However fast the guesses came, the wait stays bounded by a minute.
    for n in 0..20 {
        let guess = login_from(
            &app,
            "admin@school.test",
            "not it",
            &format!("10.8.0.{}", n + 1),
        )
        .await;
        assert_eq!(
            guess.status,
            StatusCode::UNAUTHORIZED,
            "guess {n}: {}",
            guess.text
        );
        app.ctx.clock.advance(chrono::Duration::seconds(61));
    }
    let guess = login_from(&app, "admin@school.test", "not it", "10.8.1.1").await;
    assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    let fresh = login_from(&app, "admin@school.test", PASSWORD, "192.0.2.200").await;
    assert_eq!(
        fresh.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        fresh.text
    );
    app.ctx.clock.advance(chrono::Duration::seconds(61));
    let fresh = login_from(&app, "admin@school.test", PASSWORD, "192.0.2.200").await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
}

#[tokio::test]
async fn a_class_behind_one_address_logs_in_together() {
    let app = behind_a_proxy().await;
    let hash = assidu::auth::hash_password(PASSWORD).unwrap();
    for n in 0..30 {
        let email = format!("eleve{n}@school.test");
        assidu::auth::create_user(&app.db, Role::Admin, &email, &email, None, &hash)
            .await
            .unwrap();
    }
    let logins = (0..30).map(|n| {
        let app = &app;
        async move {
            login_from(
                app,
                &format!("eleve{n}@school.test"),
                PASSWORD,
                "192.0.2.50",
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(logins).await;
    assert!(answers.iter().all(|a| a.status == StatusCode::OK));
}

#[tokio::test]
async fn oversized_passwords_are_refused_before_hashing() {
    let app = TestConfig::default().spawn().await;
    app.admin_token().await;
    let long = "x".repeat(1025);
    let started = std::time::Instant::now();
    let a = app.login("admin@school.test", &long).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(a.fields(), vec!["password"]);
    assert!(started.elapsed() < std::time::Duration::from_millis(500));
    // A page form carrying a megabyte is stopped by the body limit, before anything else.
    let res = app
        .client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email=admin%40school.test&password={}",
            "y".repeat(1 << 20)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// The value of a hidden input, as the browser would send it back.
fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"))
        + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#x3f;", "?")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn a_file_link_opened_logged_out_leads_to_the_login_and_back_to_the_file() {
    let app = TestConfig::default()
        .at("2025-09-15T17:30:00+02:00")
        .spawn()
        .await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let school = app.put("/api/v1/school", &admin, school_body()).await;
    assert_eq!(school.status, StatusCode::OK, "{}", school.text);
    app.user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    let issued = app
        .post(
            &format!("/api/v1/students/{}/certificates", b.student),
            &admin,
            json!({"semester": "S9", "force": true, "reason": "test du lien"}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let number = issued.json()["number"].as_str().unwrap().to_owned();
    let file = format!("/api/v1/certificates/{number}.pdf");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    const NAVIGATION: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let login_at = format!(
        "/login?next={}",
        form_urlencoded_path(&format!("{file}?lang=fr"))
    );

    // The mail's link, opened in a browser: the login page, which will come back to it.
    let res = browser
        .get(app.url(&format!("{file}?lang=fr")))
        .header("accept", NAVIGATION)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], login_at.as_str());
    // An expired or unknown session cookie is the same as none.
    let res = browser
        .get(app.url(&file))
        .header("accept", NAVIGATION)
        .header("cookie", "assidu_session=no-such-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // An API client (no HTML in Accept) still gets 401 JSON, and so do writes.
    for accept in [None, Some("application/json"), Some("*/*")] {
        let mut req = browser.get(app.url(&file));
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{accept:?}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized", "{accept:?}");
    }
    let res = browser
        .post(app.url("/api/v1/justifications"))
        .header("accept", NAVIGATION)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A page opened logged out: the login page with the way back, whatever Accept says.
    let record = format!("/students/{}?lang=en", b.student);
    let res = browser.get(app.url(&record)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("/login?next={}", form_urlencoded_path(&record)).as_str()
    );

    // The login page keeps the way back; logging in goes back to the file, which opens.
    let res = browser.get(app.url(&login_at)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csrf_cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("assidu_login_csrf="))
        .expect("the login form's cookie");
    let html = res.text().await.unwrap();
    let next = hidden_value(&html, "next");
    assert_eq!(next, format!("{file}?lang=fr"));
    let res = browser
        .post(app.url("/login"))
        .header("cookie", &csrf_cookie)
        .form(&[
            ("email", "zoe@student.test"),
            ("password", PASSWORD),
            ("csrf", &hidden_value(&html, "csrf")),
            ("next", &next),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("{file}?lang=fr").as_str()
    );
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("assidu_session="))
        .expect("a session cookie");
    let res = browser
        .get(app.url(&format!("{file}?lang=fr")))
        .header("accept", NAVIGATION)
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF-"));
}

/// A path and query as the login link carries it.
fn form_urlencoded_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
