//! One mapping from errors to pages: whatever page refuses, the visitor reads why in their
//! own language (asked with `?lang=`, remembered by the cookie, or their account's), and a
//! form without this session's CSRF token changes nothing.

use assidu::domain::roles::Role;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::web::{Browser, hidden};

const NOW: &str = "2025-09-15T10:00:00+02:00";

#[tokio::test]
async fn a_missing_record_is_not_found_in_the_viewers_language() {
    let app = spawn_app_at(NOW).await;
    app.admin_token().await;
    let mut admin = Browser::new(&app);
    admin.login("admin@school.test").await;

    let page = admin.get("/console/contracts/999999/overview").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.html.contains("Page introuvable."), "{}", page.html);
    assert!(page.html.contains("<html lang=\"fr\""), "{}", page.html);

    let page = admin
        .get("/console/contracts/999999/overview?lang=en")
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.html.contains("Page not found."), "{}", page.html);
    assert!(!page.html.contains("Page introuvable."), "{}", page.html);

    // The choice is remembered: the next refusal is in English without asking.
    let page = admin.get("/console/users/999999").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.html.contains("Page not found."), "{}", page.html);
}

#[tokio::test]
async fn another_role_is_refused_and_a_stranger_is_sent_to_login() {
    let app = spawn_app_at(NOW).await;
    app.user_token(Role::Teacher, "anne@school.test", None)
        .await;
    let mut teacher = Browser::new(&app);
    teacher.login("anne@school.test").await;
    for path in ["/console/users", "/console/contracts/1/overview"] {
        let page = teacher.get(&format!("{path}?lang=fr")).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            page.html.contains("Cette page ne vous est pas accessible."),
            "{path}: {}",
            page.html
        );
        let page = teacher.get(&format!("{path}?lang=en")).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            page.html.contains("You may not see this page."),
            "{path}: {}",
            page.html
        );
    }

    let mut stranger = Browser::new(&app);
    let page = stranger.get("/console/users").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/login?next=%2Fconsole%2Fusers")
    );
}

#[tokio::test]
async fn a_form_without_the_sessions_token_changes_nothing() {
    let app = spawn_app_at(NOW).await;
    app.admin_token().await;
    let mut admin = Browser::new(&app);
    admin.login("admin@school.test").await;
    let form = admin.get("/console/users/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    let csrf = hidden(&form.html, "csrf");
    let before = scalar(&app, "SELECT COUNT(*) FROM users").await;

    for token in ["", "0123456789abcdef0123456789abcdef"] {
        let page = admin
            .post(
                "/console/users/new",
                &[
                    ("csrf", token),
                    ("email", "new@school.test"),
                    ("name", "Nouvelle"),
                    ("role", "teacher"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.html);
        assert_eq!(scalar(&app, "SELECT COUNT(*) FROM users").await, before);
    }
    assert!(!csrf.is_empty());
}
