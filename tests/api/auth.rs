use assidu::config::AuthSettings;
use assidu::domain::roles::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn login_me_and_logout() {
    let app = spawn_app().await;
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
    let app = spawn_app().await;
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
    let app = spawn_app_with(AuthSettings {
        login_free_failures: 3,
        ..AuthSettings::default()
    })
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
    tokio::time::sleep(std::time::Duration::from_millis(2600)).await;
    assert_eq!(
        app.login("admin@school.test", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn tokens_expire() {
    let app = spawn_app_with(AuthSettings {
        token_ttl: std::time::Duration::from_secs(1),
        ..AuthSettings::default()
    })
    .await;
    let token = app.admin_token().await;
    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        app.get("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    let app = spawn_app().await;
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
    let app = spawn_app().await;
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
    let app = spawn_app_with(AuthSettings {
        login_free_failures: 2,
        ..AuthSettings::default()
    })
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
