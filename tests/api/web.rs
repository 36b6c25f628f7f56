//! The web pages over plain HTTP: login with CSRF, the role home pages, the roll call form,
//! the signature, the students' sign-in page, the audit page, French and English.

use std::collections::HashMap;

use assidu::domain::roles::Role;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::helpers::*;

const NOW: &str = "2025-09-15T10:00:00+02:00";

/// A browser without JavaScript: keeps cookies, does not follow redirects.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
}

pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) html: String,
    pub(crate) headers: reqwest::header::HeaderMap,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn take(&mut self, res: reqwest::Response) -> Page {
        for v in res.headers().get_all(SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Page {
            status: res.status(),
            location: res
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_owned()),
            headers: res.headers().clone(),
            html: res.text().await.unwrap(),
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let res = self
            .client
            .get(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.take(res).await
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self
            .client
            .post(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.take(res).await
    }

    pub(crate) async fn post_multipart(
        &mut self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> Page {
        let res = self
            .client
            .post(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.take(res).await
    }

    pub(crate) async fn login(&mut self, email: &str) -> Page {
        let page = self.get("/login").await;
        let csrf = hidden(&page.html, "csrf");
        self.post(
            "/login",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", "/"),
            ],
        )
        .await
    }
}

/// The value of a hidden input.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

struct Setup {
    app: TestApp,
    admin: String,
    b: Basics,
    student2: i64,
    session: i64,
}

async fn setup() -> Setup {
    let app = TestConfig::default().at(NOW).spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let student2 = add_second_student(&app, &admin, &b, b.tutor).await;
    let session = app
        .create(
            &admin,
            "/api/v1/sessions",
            session_body(&b, "2025-09-15", "08:30", "12:00"),
        )
        .await;
    app.user_token(Role::Teacher, "anne@school.test", Some(b.teacher))
        .await;
    app.user_token(Role::Student, "zoe@student.test", Some(b.student))
        .await;
    app.user_token(Role::Tutor, "tutor@company.test", Some(b.tutor))
        .await;
    Setup {
        app,
        admin,
        b,
        student2,
        session,
    }
}

#[tokio::test]
async fn login_needs_the_forms_csrf_token_and_the_right_password() {
    let s = setup().await;
    let mut browser = Browser::new(&s.app);
    let page = browser.get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("<html lang=\"fr\">"));
    assert!(page.html.contains("Mot de passe"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.headers["x-frame-options"], "DENY");

    // No token, or another one: refused, no session.
    for csrf in ["", "forged"] {
        let page = browser
            .post(
                "/login",
                &[
                    ("email", "anne@school.test"),
                    ("password", PASSWORD),
                    ("csrf", csrf),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(!browser.cookies.contains_key("assidu_session"));
    }
    let csrf = hidden(&browser.get("/login").await.html, "csrf");
    let page = browser
        .post(
            "/login",
            &[
                ("email", "anne@school.test"),
                ("password", "wrong"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.html.contains("Adresse ou mot de passe incorrect."));
    assert!(!browser.cookies.contains_key("assidu_session"));

    // A login link cannot send anyone elsewhere.
    let page = browser
        .post(
            "/login",
            &[
                ("email", "anne@school.test"),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", "//evil.test/"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/"));
    let set_cookie = page.headers[SET_COOKIE].to_str().unwrap();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    // Browsers drop tabs and line breaks from a URL: `/\t/evil.test` would leave the site,
    // and a line break in a header was a 500.
    for next in ["/\t/evil.test/phish", "/\n/x", "/\\evil.test"] {
        let mut browser = Browser::new(&s.app);
        let csrf = hidden(&browser.get("/login").await.html, "csrf");
        let page = browser
            .post(
                "/login",
                &[
                    ("email", "anne@school.test"),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(page.location.as_deref(), Some("/"), "{next:?}");
    }
    let mut fresh = Browser::new(&s.app);
    let csrf = hidden(
        &fresh
            .get("/login?next=%2Fsessions%2F1%3Flang%3Den")
            .await
            .html,
        "csrf",
    );
    let page = fresh
        .post(
            "/login",
            &[
                ("email", "anne@school.test"),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", "/sessions/1?lang=en"),
            ],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/sessions/1?lang=en"));

    // Logging out needs the token too, then the session is gone.
    let home = browser.get("/").await;
    let csrf = hidden(&home.html, "csrf");
    assert_eq!(
        browser.post("/logout", &[("csrf", "forged")]).await.status,
        StatusCode::FORBIDDEN
    );
    let page = browser.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = browser.get(&format!("/sessions/{}", s.session)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        page.location
            .unwrap()
            .starts_with("/login?next=%2Fsessions%2F")
    );
}

#[tokio::test]
async fn a_teacher_takes_the_roll_call_and_signs_without_javascript() {
    let s = setup().await;
    let mut browser = Browser::new(&s.app);
    assert_eq!(
        browser.login("anne@school.test").await.status,
        StatusCode::SEE_OTHER
    );
    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.html
            .contains(&format!("data-session-id=\"{}\"", s.session)),
        "{}",
        home.html
    );
    assert!(home.html.contains("à saisir"));

    let path = format!("/sessions/{}", s.session);
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("id=\"all-present\""));
    assert!(page.html.contains("ÉLÈVE Zoé"));
    let csrf = hidden(&page.html, "csrf");

    // A form without the token changes nothing.
    let refused = browser
        .post(&path, &[("action", "all_present"), ("csrf", "x")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let sheet = s
        .app
        .get(
            &format!("/api/v1/sessions/{}/attendance", s.session),
            &s.admin,
        )
        .await
        .json();
    assert_eq!(sheet["counts"]["marked"], 0);

    // One tap: everyone present.
    let saved = browser
        .post(&path, &[("action", "all_present"), ("csrf", &csrf)])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        saved.location.as_deref(),
        Some(format!("{path}?saved=2").as_str())
    );
    let page = browser.get(&format!("{path}?saved=2")).await;
    assert!(page.html.contains("Appel enregistré."));
    assert!(page.html.contains("data-state=\"recorded\""));

    // Then the exceptions; a bad value is shown on the page and nothing is written.
    let status_2 = format!("status_{}", s.student2);
    let minutes_2 = format!("minutes_{}", s.student2);
    let status_1 = format!("status_{}", s.b.student);
    let bad = browser
        .post(
            &path,
            &[
                (&status_1, "present"),
                (&status_2, "late"),
                (&minutes_2, "400"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.html
            .contains("400 minutes manquées pour une séance de 210 minutes"),
        "{}",
        bad.html
    );
    let ok = browser
        .post(
            &path,
            &[
                (&status_1, "present"),
                (&status_2, "late"),
                (&minutes_2, "10"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(
        ok.location.as_deref(),
        Some(format!("{path}?saved=1").as_str())
    );

    // The QR code page for the classroom: its script replaces the code in place as it
    // changes (no page that reloads itself), from the API, with the page's cookie.
    let qr = browser.get(&format!("{path}/qr")).await;
    assert_eq!(qr.status, StatusCode::OK);
    assert!(qr.html.contains("<svg"));
    assert!(!qr.html.contains("http-equiv=\"refresh\""), "{}", qr.html);
    assert!(
        qr.html
            .contains("<script src=\"/assets/qr.js\" defer></script>")
    );
    let code_url = format!("/api/v1/sessions/{}/signin-code", s.session);
    assert!(
        qr.html.contains(&format!("data-code-url=\"{}\"", code_url)),
        "{}",
        qr.html
    );
    let script = browser.get("/assets/qr.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(
        script.headers[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(script.html.contains("data-code-url") && script.html.contains("qr-svg"));
    let code = browser.get(&code_url).await;
    assert_eq!(code.status, StatusCode::OK, "{}", code.html);
    assert!(code.html.contains("\"svg\":\"<svg"), "{}", code.html);

    let signed = browser
        .post(&format!("{path}/sign"), &[("csrf", &csrf)])
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    let page = browser.get(&format!("{path}?signed=1")).await;
    assert!(page.html.contains("data-state=\"signed\""));

    let sheet = s
        .app
        .get(
            &format!("/api/v1/sessions/{}/attendance", s.session),
            &s.admin,
        )
        .await
        .json();
    assert!(sheet["session"]["signed_at"].is_string());
    let late = sheet["roster"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["student_id"] == s.student2)
        .unwrap();
    assert_eq!(late["mark"]["status"], "late");
    assert_eq!(late["mark"]["minutes_missed"], 10);
    assert_eq!(late["mark"]["source"], "teacher");

    // Signed, the sheet offers no QR code any more (issue 18).
    let qr = browser.get(&format!("{path}/qr")).await;
    assert_eq!(qr.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn students_tutors_and_admins_each_get_their_page() {
    let s = setup().await;
    let mut student = Browser::new(&s.app);
    student.login("zoe@student.test").await;
    let home = student.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.html.contains("Mon assiduité"));
    assert!(
        home.html
            .contains(&format!("/sessions/{}/signin", s.session)),
        "{}",
        home.html
    );
    // The student signs in from the page.
    let form = student
        .get(&format!("/sessions/{}/signin", s.session))
        .await;
    let csrf = hidden(&form.html, "csrf");
    let bad = student
        .post(
            &format!("/sessions/{}/signin", s.session),
            &[("csrf", &csrf), ("code", "000000000000")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("code expiré ou erroné"));
    let done = student
        .post(
            &format!("/sessions/{}/signin", s.session),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let sheet = student.get(&format!("/sessions/{}", s.session)).await;
    assert!(
        sheet.html.contains("Signé par l’alternant·e à 10:00"),
        "{}",
        sheet.html
    );
    assert!(
        !sheet.html.contains("MARTIN Léo"),
        "a student sees only their own line"
    );
    // The page's PDF link works with the login cookie alone; the API's writes do not.
    let pdf = student
        .client
        .get(
            s.app
                .url(&format!("/api/v1/students/{}/emargement.pdf", s.b.student)),
        )
        .header(COOKIE, student.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    let write = student
        .client
        .post(s.app.url(&format!("/api/v1/sessions/{}/signin", s.session)))
        .header(COOKIE, student.cookie_header())
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        write.status(),
        StatusCode::UNAUTHORIZED,
        "no API write by cookie"
    );
    // Not the roll call, not the audit.
    assert!(!sheet.html.contains("id=\"roll-call\""));
    assert_eq!(student.get("/audit").await.status, StatusCode::FORBIDDEN);

    let mut tutor = Browser::new(&s.app);
    tutor.login("tutor@company.test").await;
    let home = tutor.get("/").await;
    assert!(home.html.contains("Mes alternant·es"));
    assert!(
        home.html.contains("Zoé Élève") && home.html.contains("Léo Martin"),
        "{}",
        home.html
    );

    let mut admin = Browser::new(&s.app);
    s.app
        .user_token(Role::Admin, "office@school.test", None)
        .await;
    admin.login("office@school.test").await;
    let home = admin.get("/").await;
    assert!(home.html.contains("Vue d’ensemble"));
    let audit = admin.get("/audit?from=2025-09-01&to=2025-09-30").await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(audit.html.contains("Appels manquants ou non signés"));
    let bad = admin.get("/audit?from=hier").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // English on request, remembered by a cookie.
    let english = admin.get("/audit?lang=en").await;
    assert!(english.html.contains("<html lang=\"en\">"));
    assert!(english.html.contains("Missing or unsigned roll calls"));
    assert!(admin.cookies.get("assidu_lang").is_some_and(|l| l == "en"));
    let home = admin.get("/").await.html;
    assert!(
        home.contains("Overview") && home.contains("contracts"),
        "{home}"
    );
}

fn justification_form(csrf: Option<&str>, student: i64, session: i64) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new()
        .text("student_id", student.to_string())
        .text("session_ids", session.to_string())
        .text("reason", "Rendez-vous médical")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec())
                .file_name("certificat.pdf"),
        );
    if let Some(c) = csrf {
        form = form.text("csrf", c.to_owned());
    }
    form
}

#[tokio::test]
async fn a_student_justifies_an_absence_from_the_pages_and_the_admin_accepts_it() {
    let s = setup().await;
    let put = s
        .app
        .put(
            &format!("/api/v1/sessions/{}/attendance", s.session),
            &s.admin,
            json!({"marks": [{"student_id": s.b.student, "status": "absent", "minutes_missed": 0, "note": ""},
                             {"student_id": s.student2, "status": "present", "minutes_missed": 0, "note": ""}]}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);

    let mut zoe = Browser::new(&s.app);
    zoe.login("zoe@student.test").await;
    let record = zoe.get(&format!("/students/{}", s.b.student)).await;
    assert_eq!(record.status, StatusCode::OK, "{}", record.html);
    assert!(
        record.html.contains("Absences et retards (1)"),
        "{}",
        record.html
    );
    assert!(record.html.contains("absent·e"));
    let link = format!(
        "/justifications/new?student={}&amp;sessions={}",
        s.b.student, s.session
    );
    assert!(record.html.contains(&link), "{}", record.html);
    // Léo's record does not exist for Zoé.
    assert_eq!(
        zoe.get(&format!("/students/{}", s.student2)).await.status,
        StatusCode::NOT_FOUND
    );

    let form = zoe
        .get(&format!(
            "/justifications/new?student={}&sessions={}",
            s.b.student, s.session
        ))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.html.contains("enctype=\"multipart/form-data\""));
    assert!(
        form.html
            .contains(&format!("value=\"{}\" checked", s.session)),
        "{}",
        form.html
    );
    let csrf = hidden(&form.html, "csrf");
    // Without the form's token: refused, nothing stored.
    let forged = zoe
        .post_multipart(
            "/justifications",
            justification_form(None, s.b.student, s.session),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let none = s.app.get("/api/v1/justifications", &s.admin).await.json();
    assert!(none.as_array().unwrap().is_empty());
    let sent = zoe
        .post_multipart(
            "/justifications",
            justification_form(Some(&csrf), s.b.student, s.session),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let location = sent.location.unwrap();
    assert!(location.ends_with("?sent=1"), "{location}");
    let page = zoe.get(&location).await;
    assert!(page.html.contains("Justificatif envoyé"), "{}", page.html);
    assert!(page.html.contains("data-state=\"pending\""));
    assert!(
        !page.html.contains("id=\"decision\""),
        "only the admin decides"
    );

    let mut admin = Browser::new(&s.app);
    s.app
        .user_token(Role::Admin, "office@school.test", None)
        .await;
    admin.login("office@school.test").await;
    let list = admin.get("/justifications").await;
    assert!(list.html.contains("Élève"), "{}", list.html);
    let id: String = location
        .trim_start_matches("/justifications/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = admin.get(&format!("/justifications/{id}")).await;
    assert!(page.html.contains("id=\"decision\""));
    let csrf = hidden(&page.html, "csrf");
    let refused = admin
        .post(
            &format!("/justifications/{id}/decision"),
            &[("csrf", &csrf), ("decision", "refuse"), ("comment", "")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a refusal needs a comment"
    );
    let accepted = admin
        .post(
            &format!("/justifications/{id}/decision"),
            &[("csrf", &csrf), ("decision", "accept"), ("comment", "")],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER);
    let page = admin.get(&format!("/justifications/{id}?decided=1")).await;
    assert!(
        page.html.contains("data-state=\"accepted\""),
        "{}",
        page.html
    );
    let record = zoe.get(&format!("/students/{}", s.b.student)).await;
    assert!(
        record.html.contains("data-status=\"excused\""),
        "{}",
        record.html
    );

    // The admin's mail log lists the notices and the decision, and resends one.
    let mut log = admin.get("/mails").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !log.html.contains("Justificatif n°") {
        assert!(std::time::Instant::now() < deadline, "{}", log.html);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        log = admin.get("/mails").await;
    }
    assert!(log.html.contains("zoe@student.test"));
    assert!(
        log.html.contains("Récapitulatif quotidien"),
        "the jobs are listed"
    );
    let csrf = hidden(&log.html, "csrf");
    let resent = admin.post("/mails/1/resend", &[("csrf", &csrf)]).await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER);
    assert_eq!(zoe.get("/mails").await.status, StatusCode::FORBIDDEN);
    let mut tutor = Browser::new(&s.app);
    tutor.login("tutor@company.test").await;
    let record = tutor.get(&format!("/students/{}", s.b.student)).await;
    assert_eq!(record.status, StatusCode::OK);
}

#[tokio::test]
async fn absurd_page_numbers_are_refused_not_multiplied() {
    let s = setup().await;
    let mut admin = Browser::new(&s.app);
    admin.login("admin@school.test").await;
    for path in [
        "/mails?page=92233720368547758",
        "/console/users?page=92233720368547758",
        "/console/students?page=92233720368547758",
        "/console/students?page=-3",
    ] {
        let page = admin.get(path).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(page.html.contains("page"), "{path}: {}", page.html);
    }
    assert_eq!(admin.get("/mails?page=2").await.status, StatusCode::OK);
    let _ = &s.admin;
}
