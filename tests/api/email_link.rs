//! Sign-in by a link sent by mail (issue 19, point 1) and the signed links in tutors' mails:
//! same answer for any address, one use, 15 minutes, dead when altered or deactivated,
//! throttled per email and per address; read-only pages through `?lien=`.

use assidu::domain::roles::Role;
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::web::Browser;

const NOW: &str = "2025-09-15T10:00:00+02:00";
const TUTOR: &str = "tutor@company.test";
const DEAD: &str = "Ce lien ne fonctionne plus";

struct Scene {
    app: TestApp,
    admin: String,
    b: Basics,
    tutor_user: i64,
}

async fn scene() -> Scene {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    app.user_token(Role::Tutor, TUTOR, Some(b.tutor)).await;
    app.user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    let tutor_user = assidu::db::users::id_by_email(&app.db, TUTOR)
        .await
        .unwrap()
        .unwrap();
    Scene {
        app,
        admin,
        b,
        tutor_user,
    }
}

async fn ask(app: &TestApp, email: &str) -> Answer {
    app.request(
        Method::POST,
        "/api/v1/auth/email-link",
        None,
        Some(json!({ "email": email })),
    )
    .await
}

/// The sign-in links mailed so far, oldest first, as paths of this site.
pub(crate) async fn mailed_links(app: &TestApp, to: &str) -> Vec<String> {
    texts(
        app,
        &format!(
            "SELECT body_text FROM outbox WHERE kind = 'login_link' AND recipient = '{to}' ORDER BY id"
        ),
    )
    .await
    .iter()
    .map(|body| {
        let start = body.find("http://assidu.test/auth/link/").expect("a link") + 18;
        body[start..].split_whitespace().next().unwrap().to_owned()
    })
    .collect()
}

async fn one_link(app: &TestApp) -> String {
    let a = ask(app, TUTOR).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    mailed_links(app, TUTOR).await.pop().expect("a mailed link")
}

#[tokio::test]
async fn any_address_gets_the_same_answer_and_only_a_tutor_gets_a_link() {
    let s = scene().await;
    let tutor = ask(&s.app, TUTOR).await;
    assert_eq!(tutor.status, StatusCode::ACCEPTED, "{}", tutor.text);
    assert!(tutor.text.contains("Si un compte existe"), "{}", tutor.text);
    // Unknown, the admin (staff), a student: the same status and body, no mail.
    for email in [
        "nobody@nowhere.test",
        "admin@school.test",
        "zoe@student.test",
    ] {
        let other = ask(&s.app, email).await;
        assert_eq!(other.status, tutor.status, "{email}");
        assert_eq!(other.text, tutor.text, "{email}");
    }
    // Upper case and spaces are the same address.
    assert_eq!(ask(&s.app, "  Tutor@Company.TEST ").await.text, tutor.text);
    let mails = texts(
        &s.app,
        "SELECT recipient FROM outbox WHERE kind = 'login_link' ORDER BY id",
    )
    .await;
    assert_eq!(mails, [TUTOR, TUTOR]);
    // Every request did the same work: one row each, only the tutor's bound to an account.
    assert_eq!(scalar(&s.app, "SELECT COUNT(*) FROM login_links").await, 5);
    assert_eq!(
        scalar(
            &s.app,
            "SELECT COUNT(*) FROM login_links WHERE user_id IS NOT NULL"
        )
        .await,
        2
    );
    // The mail is French, typographic, and holds the link, never stored in clear.
    let body = texts(
        &s.app,
        "SELECT body_text FROM outbox WHERE kind = 'login_link'",
    )
    .await;
    assert!(
        body[0].contains("valable 15 minutes, une seule fois"),
        "{}",
        body[0]
    );
    assert!(body[0].contains("n’avez rien demandé"), "{}", body[0]);
    let link = mailed_links(&s.app, TUTOR).await.remove(0);
    let token = link.trim_start_matches("/auth/link/");
    let stored = texts(&s.app, "SELECT token_hash FROM login_links").await;
    assert!(stored.iter().all(|h| h.len() == 64 && h != token));
    // A missing or absurd address names the field.
    let bad = ask(&s.app, "not-an-address").await;
    assert_eq!(bad.refusal_of("email"), "adresse électronique invalide");
}

#[tokio::test]
async fn a_link_signs_in_once_then_shows_the_dead_link_page() {
    let s = scene().await;
    let link = one_link(&s.app).await;
    // A mail filter checking the link with HEAD does not use it up.
    let head = s.app.client.head(s.app.url(&link)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    let mut browser = Browser::new(&s.app);
    let opened = browser.get(&link).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.html);
    assert_eq!(opened.location.as_deref(), Some("/"));
    assert_eq!(opened.headers["referrer-policy"], "no-referrer");
    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.html.contains(TUTOR), "{}", home.html);
    assert!(!home.html.contains("lecture seule"), "a real session");

    // The same link again, in another browser: dead, with the form for a new one.
    let mut other = Browser::new(&s.app);
    let again = other.get(&link).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.html.contains(DEAD), "{}", again.html);
    assert!(
        again.html.contains("action=\"/login/link\""),
        "{}",
        again.html
    );
    assert!(!again.html.contains(TUTOR), "nothing about the account");
    // In English on request.
    let english = other.get(&format!("{link}?lang=en")).await;
    assert!(
        english.html.contains("This link no longer works"),
        "{}",
        english.html
    );
    // The dead page's form asks for a new link, answered like any address.
    let csrf = crate::web::hidden(&again.html, "csrf");
    let sent = other
        .post("/login/link", &[("email", TUTOR), ("csrf", &csrf)])
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.html);
    // In English now: `?lang=en` above is remembered.
    assert!(
        sent.html.contains("If an account exists for this address"),
        "{}",
        sent.html
    );
    assert_eq!(mailed_links(&s.app, TUTOR).await.len(), 2);
    let forged = other
        .post("/login/link", &[("email", TUTOR), ("csrf", "forged")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(mailed_links(&s.app, TUTOR).await.len(), 2, "nothing sent");
}

#[tokio::test]
async fn links_expire_after_15_minutes_and_altered_or_deactivated_ones_are_dead() {
    let s = scene().await;
    let expiring = one_link(&s.app).await;
    let altered = one_link(&s.app).await;
    let deactivated = one_link(&s.app).await;
    let mut browser = Browser::new(&s.app);
    // One character changed.
    let mut tampered = altered.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let page = browser.get(&tampered).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.html.contains(DEAD));
    let exchange = s
        .app
        .request(
            Method::POST,
            "/api/v1/auth/email-link/exchange",
            None,
            Some(json!({"token": tampered.trim_start_matches("/auth/link/")})),
        )
        .await;
    exchange.refusal_of("token");

    s.app.advance(Duration::minutes(15) + Duration::seconds(1));
    let page = browser.get(&expiring).await;
    assert_eq!(page.status, StatusCode::GONE, "expired after 15 minutes");
    assert!(page.html.contains(DEAD));

    // A fresh link, then the office deactivates the account: dead too.
    let fresh = one_link(&s.app).await;
    assert_ne!(fresh, deactivated);
    assidu::db::users::set_active(&s.app.db, s.tutor_user, false)
        .await
        .unwrap();
    let page = browser.get(&fresh).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.html.contains(DEAD));
    // And a deactivated account is sent nothing, with the same answer.
    let before = mailed_links(&s.app, TUTOR).await.len();
    s.app.advance(Duration::hours(2));
    assert_eq!(ask(&s.app, TUTOR).await.status, StatusCode::ACCEPTED);
    assert_eq!(mailed_links(&s.app, TUTOR).await.len(), before);
}

#[tokio::test]
async fn requests_are_throttled_per_email_and_per_address_known_or_not() {
    let s = scene().await;
    for email in [TUTOR, "nobody@nowhere.test"] {
        for _ in 0..3 {
            assert_eq!(ask(&s.app, email).await.status, StatusCode::ACCEPTED);
        }
        let refused = ask(&s.app, email).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert_eq!(refused.headers["retry-after"], "2", "{email}");
    }
    assert_eq!(mailed_links(&s.app, TUTOR).await.len(), 3);
    // Once the wait is over, the address may ask again.
    s.app.advance(Duration::seconds(2));
    assert_eq!(ask(&s.app, TUTOR).await.status, StatusCode::ACCEPTED);

    // One address asking for many emails: 20 go through (7 were counted above).
    for n in 0..13 {
        let a = ask(&s.app, &format!("someone{n}@nowhere.test")).await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "request {n}");
    }
    for email in ["another@nowhere.test", "zoe@student.test"] {
        let refused = ask(&s.app, email).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert!(refused.headers.contains_key("retry-after"));
    }
    // The password still works: the link counters are not the login's.
    assert_eq!(s.app.login(TUTOR, PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_exchange_gives_a_bearer_token_once() {
    let s = scene().await;
    let link = one_link(&s.app).await;
    let token = link.trim_start_matches("/auth/link/");
    let exchange = |t: String| {
        let app = &s.app;
        async move {
            app.request(
                Method::POST,
                "/api/v1/auth/email-link/exchange",
                None,
                Some(json!({ "token": t })),
            )
            .await
        }
    };
    let first = exchange(token.to_owned()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let bearer = first.json()["token"].as_str().unwrap().to_owned();
    assert!(first.json()["expires_at"].is_string());
    let me = s.app.get("/api/v1/me", &bearer).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json()["role"], "tutor");
    assert_eq!(me.json()["email"], TUTOR);
    let second = exchange(token.to_owned()).await;
    assert!(second.refusal_of("token").contains("ne fonctionne plus"));
    // The admin is never sent one, so has nothing to exchange.
    let _ = &s.admin;
}

/// A signed mail link as the tutor's mails carry them, as a path of this site.
fn signed(s: &Scene, path: &str) -> String {
    let now = s.app.ctx.clock.now();
    assidu::mail::links::LinkSigner::of(&s.app.ctx)
        .sign(s.tutor_user, path, now)
        .trim_start_matches("http://assidu.test")
        .to_owned()
}

#[tokio::test]
async fn a_signed_mail_link_opens_its_page_read_only_and_nothing_else() {
    let s = scene().await;
    let record = format!("/students/{}", s.b.student);
    let link = signed(&s, &record);
    let mut browser = Browser::new(&s.app);
    let page = browser.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let html = page.html.replace("&#x2f;", "/");
    assert!(
        html.contains("Lien personnel valable jusqu’au 22/09/2025 — lecture seule"),
        "{html}"
    );
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    let token = link.split("lien=").nth(1).unwrap();
    assert!(
        !page.html.contains(token),
        "the secret stays out of the page's links"
    );
    assert!(html.contains("href=\"/login?next=%2Fstudents%2F"), "{html}");
    // No session was opened: the home page is the public one.
    assert!(!browser.get("/").await.html.contains(TUTOR));

    // A write with the link is refused, with the way to sign in.
    let write = browser
        .post(&format!("/logout?lien={token}"), &[("csrf", "x")])
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    assert!(
        write.html.contains("Connectez-vous pour modifier"),
        "{}",
        write.html
    );
    assert!(write.html.contains("action=\"/login/link\""));
    let justify = browser
        .post(&format!("/justifications?lien={token}"), &[("csrf", "x")])
        .await;
    assert_eq!(justify.status, StatusCode::FORBIDDEN);
    // Through the API, a bearer-less write is refused as before.
    let api = s
        .app
        .request(
            Method::POST,
            &format!("/api/v1/auth/logout?lien={token}"),
            None,
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);

    // Another page with the same token: dead, as an altered one.
    let elsewhere = browser.get(&format!("/certificates?lien={token}")).await;
    assert_eq!(elsewhere.status, StatusCode::GONE);
    assert!(elsewhere.html.contains(DEAD));
    // A query after the token is the page's own (the signature covers the path).
    let absences = signed(&s, &format!("/absences?student={}", s.b.student));
    assert_eq!(browser.get(&absences).await.status, StatusCode::OK);

    // After the TTL (7 days by default), dead.
    s.app.advance(Duration::days(7));
    let expired = browser.get(&link).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.html.contains(DEAD));
}

#[tokio::test]
async fn a_signed_link_of_a_deactivated_account_is_dead() {
    let s = scene().await;
    let link = signed(&s, "/certificates");
    let mut browser = Browser::new(&s.app);
    assert_eq!(browser.get(&link).await.status, StatusCode::OK);
    assidu::db::users::set_active(&s.app.db, s.tutor_user, false)
        .await
        .unwrap();
    let page = browser.get(&link).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.html.contains(DEAD));
}

#[tokio::test]
async fn tutor_mails_carry_signed_links_the_office_plain_ones() {
    let s = scene().await;
    let put = s.app.put("/api/v1/school", &s.admin, school_body()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let session = s
        .app
        .create(
            &s.admin,
            "/api/v1/sessions",
            session_body(&s.b, "2025-09-15", "08:30", "12:00"),
        )
        .await;
    let put = s
        .app
        .put(
            &format!("/api/v1/sessions/{session}/attendance"),
            &s.admin,
            json!({"marks": [{"student_id": s.b.student, "status": "absent", "minutes_missed": 0, "note": ""}]}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    crate::mail::outbox_settled(&s.app).await;
    let record = format!("http://assidu.test/students/{}", s.b.student);
    let tutor = texts(
        &s.app,
        &format!(
            "SELECT body_text FROM outbox WHERE kind = 'absence_notice' AND recipient = '{TUTOR}'"
        ),
    )
    .await;
    assert_eq!(tutor.len(), 1);
    let signed_prefix = format!("{record}?lien={}.", s.tutor_user);
    assert!(tutor[0].contains(&signed_prefix), "{}", tutor[0]);
    let others = texts(
        &s.app,
        &format!(
            "SELECT body_text FROM outbox WHERE kind = 'absence_notice' AND recipient <> '{TUTOR}'"
        ),
    )
    .await;
    assert_eq!(others.len(), 2);
    for body in &others {
        assert!(body.contains(&record) && !body.contains("lien="), "{body}");
    }
    // The link of the mail opens the student's record, read-only.
    let start = tutor[0].find(&signed_prefix).unwrap() + "http://assidu.test".len();
    let link = tutor[0][start..].split_whitespace().next().unwrap();
    let page = Browser::new(&s.app).get(link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("lecture seule"));

    // A tutor without an active account gets the plain address.
    let mut tx = s.app.db.begin_write().await.unwrap();
    let with = assidu::mail::links::tutor_link(&s.app.ctx, &mut tx, s.b.tutor, "/certificates")
        .await
        .unwrap();
    assert!(
        with.starts_with("http://assidu.test/certificates?lien="),
        "{with}"
    );
    tx.commit().await.unwrap();
    assidu::db::users::set_active(&s.app.db, s.tutor_user, false)
        .await
        .unwrap();
    let mut tx = s.app.db.begin_write().await.unwrap();
    let without = assidu::mail::links::tutor_link(&s.app.ctx, &mut tx, s.b.tutor, "/certificates")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(without, "http://assidu.test/certificates");
}
