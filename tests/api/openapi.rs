use reqwest::{Method, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn the_openapi_document_lists_every_resource_and_the_docs_page_loads() {
    let app = TestConfig::default().spawn().await;
    let doc = app
        .request(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/auth/login",
        "/auth/logout",
        "/me",
        "/school",
        "/academic-years",
        "/academic-years/{id}",
        "/calendars",
        "/calendars/{id}",
        "/calendars/{id}/days",
        "/calendars/{id}/file",
        "/programmes",
        "/modules",
        "/groups",
        "/companies",
        "/companies/{id}",
        "/tutors",
        "/students",
        "/teachers",
        "/contracts",
        "/contracts/{id}",
        "/contracts/{id}/semesters",
        "/sessions",
        "/sessions/{id}",
    ] {
        assert!(paths.contains_key(path), "missing {path}");
    }
    assert!(paths["/companies"]["post"]["requestBody"].is_object());
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "CompanyInput",
        "Company",
        "ContractInput",
        "Contract",
        "SessionInput",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(schema), "missing schema {schema}");
    }
    // Every referenced schema exists.
    let text = serde_json::to_string(&doc).unwrap();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }

    // Every operation says who may call it.
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let description = op["description"].as_str().unwrap_or_default();
            assert!(
                description.contains("Rôle :"),
                "{method} {path} does not name its role"
            );
            let responses = op["responses"].as_object().unwrap();
            if op.get("security").is_some() {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
            if description.contains("Rôle : admin") {
                assert!(responses.contains_key("403"), "{method} {path} lacks 403");
            }
        }
    }

    let page = app.request(Method::GET, "/api/docs/", None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("swagger"),
        "{}",
        &page.text[..200.min(page.text.len())]
    );
    let home = app.request(Method::GET, "/", None, None).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.text.contains("Années de formation"));
}

/// Whether `program` is on the PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Whether the Python tools nobody here wrote are installed; a failure when they are
/// required (`.ci/run` sets `ASSIDU_REQUIRE_PYTHON_TOOLS=1`, as does any CI), a printed skip
/// otherwise.
fn python_tools() -> bool {
    let missing: Vec<&str> = ["python3", "openapi-spec-validator", "openapi-python-client"]
        .into_iter()
        .filter(|t| !on_path(t))
        .collect();
    if missing.is_empty() {
        return true;
    }
    let required = std::env::var("ASSIDU_REQUIRE_PYTHON_TOOLS").is_ok_and(|v| v == "1")
        || std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    assert!(
        !required,
        "ASSIDU_REQUIRE_PYTHON_TOOLS=1 (or CI) but {} missing: \
         pip install openapi-spec-validator openapi-python-client",
        missing.join(", ")
    );
    eprintln!(
        "SKIPPED OpenAPI validation and generated client: {} missing (pip install \
         openapi-spec-validator openapi-python-client; ASSIDU_REQUIRE_PYTHON_TOOLS=1 makes \
         this a failure)",
        missing.join(", ")
    );
    false
}

/// Runs a tool off the test's runtime, which serves the app it calls.
async fn run(program: &str, args: &[&str]) -> (bool, String) {
    let program = program.to_owned();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&program)
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"))
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn the_openapi_document_validates_and_a_generated_client_calls_the_roll() {
    if !python_tools() {
        return;
    }
    let app = TestConfig::default()
        .at("2025-09-16T10:00:00+02:00")
        .spawn()
        .await;
    let day = chrono::NaiveDate::from_ymd_opt(2025, 9, 16).unwrap();
    assidu::demo::load_as_of(&app.db, day)
        .await
        .expect("demo loads");
    let doc = app
        .request(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &doc.text).unwrap();
    let file = file.to_str().unwrap();

    let (valid, said) = run("openapi-spec-validator", &[file]).await;
    assert!(
        valid && said.contains("OK"),
        "openapi-spec-validator: {said}"
    );

    let client = dir.path().join("client");
    let (generated, said) = run(
        "openapi-python-client",
        &[
            "generate",
            "--path",
            file,
            "--meta",
            "none",
            "--output-path",
            client.to_str().unwrap(),
        ],
    )
    .await;
    assert!(generated, "openapi-python-client: {said}");

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/openapi_client.py");
    let base = app.url("/api/v1");
    let (ran, said) = run(
        "python3",
        &[
            script,
            dir.path().to_str().unwrap(),
            &base,
            "teacher@demo.test",
            "demo-password",
            "2025-09-16",
        ],
    )
    .await;
    assert!(ran, "the generated client: {said}");
    let answer: serde_json::Value = serde_json::from_str(said.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {said}"));
    assert_eq!(answer["user"], "teacher@demo.test", "{answer}");
    assert!(answer["changed"].as_i64().unwrap() >= 1, "{answer}");

    // The service kept the roll call the generated client sent.
    let admin = app.login("admin@demo.test", "demo-password").await.json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let sheet = app
        .get(
            &format!("/api/v1/sessions/{}/attendance", answer["session_id"]),
            &admin,
        )
        .await
        .json();
    let called: Vec<i64> = answer["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_i64().unwrap())
        .collect();
    for line in sheet["roster"].as_array().unwrap() {
        if called.contains(&line["student_id"].as_i64().unwrap()) {
            assert_eq!(line["mark"]["status"], "present", "{line}");
        }
    }
}

/// The schemas of every answer (not of request bodies) and the properties of theirs that
/// carry hours.
fn hours_properties(doc: &serde_json::Value) -> Vec<(String, String)> {
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut out = Vec::new();
    for (name, schema) in schemas {
        if name.ends_with("Input") {
            continue;
        }
        if let Some(properties) = schema["properties"].as_object() {
            for (key, property) in properties {
                let number = property["type"] == "number"
                    || property["type"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|t| t == "number"));
                if number && key.split('_').any(|p| p == "hours") {
                    out.push((name.clone(), key.clone()));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn hours_in_the_api_are_rounded_beside_their_exact_minutes() {
    let app = TestConfig::default()
        .at("2026-01-15T10:00:00+01:00")
        .spawn()
        .await;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
    assidu::demo::load_as_of(&app.db, day)
        .await
        .expect("demo loads");
    let admin = app.login("admin@demo.test", "demo-password").await.json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let students = app.get("/api/v1/students?limit=100", &admin).await.json();
    let camille = students["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["email"] == "student@demo.test")
        .unwrap()["id"]
        .clone();
    let summary = app
        .get(&format!("/api/v1/students/{camille}/summary"), &admin)
        .await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.text);
    // 261 h 40 attended in S9: exact in minutes, two decimals in hours.
    assert!(
        summary.text.contains("\"attended_hours\":261.67")
            && summary.text.contains("\"attended_minutes\":15700")
            && !summary.text.contains("261.666"),
        "{}",
        summary.text
    );
    let s9 = &summary.json()["semesters"][0];
    assert_eq!(s9["planned_minutes"], 16200, "{s9}");
    assert_eq!(s9["absence_minutes"], 260, "{s9}");
    assert_eq!(s9["absence_hours"], 4.33, "{s9}");

    // The document says so: each hours property of an answer has its minutes twin, an
    // integer, required when the hours are.
    let doc = app
        .request(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    let found = hours_properties(&doc);
    assert!(
        found.contains(&("SemesterSummary".to_owned(), "attended_hours".to_owned())),
        "{found:?}"
    );
    for (schema, key) in found {
        let s = &doc["components"]["schemas"][&schema];
        let twin = key.replace("hours", "minutes");
        let property = &s["properties"][&twin];
        assert!(
            property["type"] == "integer"
                || property["type"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == "integer")),
            "{schema}.{twin}: {property}"
        );
        assert!(
            s["properties"][&key]["description"]
                .as_str()
                .is_some_and(|d| d.contains(&format!("`{twin}`"))),
            "{schema}.{key}"
        );
        let required = |k: &str| {
            s["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x == k))
        };
        assert_eq!(required(&key), required(&twin), "{schema}.{twin}");
    }
}
