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
