//! Signed and sealed certificates: the school's stamp and signature pictures (uploaded,
//! checked, drawn), and the PAdES-B-B signature of every certificate, checked by validators
//! nobody here wrote: poppler's `pdfsig` and pyHanko. A byte changed in the signed range
//! makes both say so. With a PKCS#12 file the school's own certificate signs; a file that
//! does not open stops the start.
//!
//! Without `pdfsig`, `pyhanko` or `openssl` the validator checks are skipped, unless
//! `ASSIDU_REQUIRE_VALIDATORS=1` makes that a failure (CI sets it; `.ci/run` installs
//! poppler-utils and pyHanko).

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;

/// Monday 5 January 2026: S9 is over.
const JANUARY: &str = "2026-01-05T10:00:00+01:00";
const STAMP: &[u8] = include_bytes!("../../demo/stamp.png");
const SIGNATURE: &[u8] = include_bytes!("../../demo/signature.png");

/// Where a tool is on `PATH`, if it is.
fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(tool))
            .find(|p| p.is_file())
    })
}

/// Whether the external tools are there; a failure when they are required.
fn validators() -> bool {
    let missing: Vec<&str> = ["pdfsig", "pdftotext", "pyhanko", "openssl"]
        .into_iter()
        .filter(|t| which(t).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let required = std::env::var("ASSIDU_REQUIRE_VALIDATORS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "ASSIDU_REQUIRE_VALIDATORS=1 but {} missing: apt-get install poppler-utils openssl; \
         pip install pyhanko pyhanko-cli pyhanko-certvalidator",
        missing.join(", ")
    );
    eprintln!(
        "SKIPPED signature validators: {} missing (set ASSIDU_REQUIRE_VALIDATORS=1 to make \
         this a failure)",
        missing.join(", ")
    );
    false
}

fn run(program: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// poppler's verdict: `Ok(output)` when it says the signature is valid.
fn pdfsig(file: &Path) -> Result<String, String> {
    let (_, out) = run("pdfsig", &[file.to_str().unwrap()]);
    if out.contains("Signature Validation: Signature is Valid.") {
        Ok(out)
    } else {
        Err(out)
    }
}

/// pyHanko's verdict, trusting `trust` (PEM) as the root.
fn pyhanko(file: &Path, trust: &Path) -> Result<String, String> {
    let (ok, out) = run(
        "pyhanko",
        &[
            "sign",
            "validate",
            "--pretty-print",
            "--trust",
            trust.to_str().unwrap(),
            "--no-revocation-check",
            file.to_str().unwrap(),
        ],
    );
    if ok
        && out.contains("The signature is judged VALID.")
        && out.contains("The signer's certificate is trusted.")
        && out.contains("The signature covers the entire file.")
    {
        Ok(out)
    } else {
        Err(out)
    }
}

fn pem(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// The school, a student and one S9 attestation issued (forced: no roll call needed) through
/// the API; answers the admin's token, the number and the downloaded PDF.
async fn issue_one(app: &TestApp) -> (String, String, Vec<u8>, Value) {
    let admin = app.admin_token().await;
    let put = app.put("/api/v1/school", &admin, school_body()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let b = seed_basics(app, &admin).await;
    for (path, png) in [
        ("/api/v1/school/stamp", STAMP),
        ("/api/v1/school/signature", SIGNATURE),
    ] {
        let put = put_png(app, path, &admin, png.to_vec()).await;
        assert_eq!(put.0, StatusCode::NO_CONTENT, "{}", put.1);
    }
    let issued = app
        .post(
            &format!("/api/v1/students/{}/certificates", b.student),
            &admin,
            json!({"semester": "S9", "force": true, "reason": "test de signature"}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let c = issued.json();
    let number = c["number"].as_str().unwrap().to_owned();
    let (status, kind, pdf) =
        download(app, &format!("/api/v1/certificates/{number}.pdf"), &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/pdf");
    // What is stored, hashed and announced is the signed file.
    assert_eq!(c["sha256"], hex::encode(Sha256::digest(&pdf)));
    (admin, number, pdf, c)
}

async fn put_png(app: &TestApp, path: &str, token: &str, body: Vec<u8>) -> (StatusCode, String) {
    let res = app
        .client
        .put(app.url(path))
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Checks `pdf` with both validators (trusting `cert_der`), then with one byte of the
/// signed range changed.
fn validate_both_ways(dir: &Path, pdf: &[u8], cert_der: &[u8]) {
    let file = dir.join("certificate.pdf");
    std::fs::write(&file, pdf).unwrap();
    let trust = dir.join("signer.pem");
    std::fs::write(&trust, pem(cert_der)).unwrap();

    let poppler = pdfsig(&file).unwrap_or_else(|out| panic!("pdfsig refuses it:\n{out}"));
    eprintln!("pdfsig:\n{poppler}");
    assert!(poppler.contains("ETSI.CAdES.detached"), "{poppler}");
    assert!(
        poppler.contains("Total document signed"),
        "the signature covers the whole file: {poppler}"
    );
    let hanko = pyhanko(&file, &trust).unwrap_or_else(|out| panic!("pyHanko refuses it:\n{out}"));
    eprintln!("pyhanko:\n{hanko}");

    // The text still reads.
    let (ok, text) = run("pdftotext", &[file.to_str().unwrap(), "-"]);
    assert!(ok, "{text}");
    assert!(text.contains("Attestation"), "{text}");
    assert!(text.contains("Zoé"), "{text}");

    // One byte changed inside the first signed range (the page's drawing, well before the
    // signature): both validators notice.
    let mut tampered = pdf.to_vec();
    let at = tampered
        .windows(7)
        .position(|w| w == b"/Author")
        .expect("the document information")
        + 2;
    tampered[at] ^= 0x20;
    let file = dir.join("tampered.pdf");
    std::fs::write(&file, &tampered).unwrap();
    let poppler = pdfsig(&file).expect_err("pdfsig accepts a changed file");
    eprintln!("pdfsig on the changed file:\n{poppler}");
    assert!(poppler.contains("Digest Mismatch"), "{poppler}");
    let hanko = pyhanko(&file, &trust).expect_err("pyHanko accepts a changed file");
    assert!(
        hanko.contains("The signature is judged INVALID."),
        "{hanko}"
    );
    eprintln!("pyhanko on the changed file:\n{hanko}");
}

#[tokio::test]
async fn a_certificate_is_stamped_signed_and_valid_for_pdfsig_and_pyhanko() {
    let app = TestConfig::default().at(JANUARY).spawn().await;
    let (_, number, pdf, _) = issue_one(&app).await;
    // Stamp and signature are drawn: two images (each with its transparency mask).
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.matches("/Subtype /Image").count() + text.matches("/Subtype/Image").count() >= 2);
    assert!(pdf_text(&pdf).contains("Zoé"));

    // Without a PKCS#12 file: the installation's self-signed certificate, in the school's
    // name, stored once.
    let (subject, fingerprint, self_signed) =
        assidu::signing::signer_of(&pdf).expect("a signature");
    assert!(self_signed);
    assert!(subject.contains("CN="), "{subject}");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM signing_keys").await, 1);

    // The public verification says so.
    let verify = app
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/verify/{number}"),
            None,
            None,
        )
        .await;
    assert_eq!(verify.status, StatusCode::OK, "{}", verify.text);
    let v = verify.json();
    assert_eq!(v["signature"]["installation_key"], true, "{v}");
    assert_eq!(v["signature"]["fingerprint"], fingerprint.as_str());
    let page = app
        .request(
            reqwest::Method::GET,
            &format!("/verify/{number}"),
            None,
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&fingerprint), "{}", page.text);
    assert!(page.text.contains("auto-signé"), "{}", page.text);

    if !validators() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cert = certificate_der(&app).await;
    assert_eq!(hex::encode(Sha256::digest(&cert)), fingerprint);
    validate_both_ways(dir.path(), &pdf, &cert);
}

/// The installation's certificate as stored.
async fn certificate_der(app: &TestApp) -> Vec<u8> {
    let hex_der = texts(
        app,
        if engine() == "postgres" {
            "SELECT encode(certificate, 'hex') FROM signing_keys"
        } else {
            "SELECT hex(certificate) FROM signing_keys"
        },
    )
    .await;
    hex::decode(&hex_der[0]).unwrap()
}

#[tokio::test]
async fn stamp_and_signature_uploads_are_checked_and_a_refusal_changes_nothing() {
    let app = TestConfig::default().at(JANUARY).spawn().await;
    let admin = app.admin_token().await;
    // No school profile yet.
    let early = put_png(&app, "/api/v1/school/stamp", &admin, STAMP.to_vec()).await;
    assert_eq!(early.0, StatusCode::CONFLICT, "{}", early.1);
    let put = app.put("/api/v1/school", &admin, school_body()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let b = seed_basics(&app, &admin).await;
    let ok = put_png(&app, "/api/v1/school/stamp", &admin, STAMP.to_vec()).await;
    assert_eq!(ok.0, StatusCode::NO_CONTENT, "{}", ok.1);
    let stored = || async {
        scalar(
            &app,
            "SELECT COUNT(*) FROM school WHERE stamp_png IS NOT NULL",
        )
        .await
    };
    assert_eq!(stored().await, 1);

    // Not a PNG (a PDF, then a PNG signature followed by garbage): 415 naming the field.
    for body in [b"%PDF-1.7 not an image".to_vec(), {
        let mut v = STAMP[..8].to_vec();
        v.extend_from_slice(b"garbage");
        v
    }] {
        let (status, text) = put_png(&app, "/api/v1/school/stamp", &admin, body).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{text}");
        let e: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(e["error"], "unsupported_media_type");
        assert_eq!(e["field"], "stamp");
    }
    // Over 512 KiB: 413.
    let mut big = STAMP.to_vec();
    big.resize(512 * 1024 + 1, 0);
    let (status, text) = put_png(&app, "/api/v1/school/signature", &admin, big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    let e: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(e["error"], "payload_too_large");
    assert_eq!(e["field"], "signature");
    // Too many pixels: 422.
    let (status, text) = put_png(&app, "/api/v1/school/signature", &admin, huge_png()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    // Not an admin: 403.
    let zoe = app
        .user_token(
            assidu::domain::roles::Role::Student,
            "zoe@student.test",
            Some(b.student),
        )
        .await;
    let (status, _) = put_png(&app, "/api/v1/school/stamp", &zoe, SIGNATURE.to_vec()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = app
        .client
        .delete(app.url("/api/v1/school/stamp"))
        .bearer_auth(&zoe)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Nothing changed: the stamp is the one first stored, no signature.
    assert_eq!(stored().await, 1);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM school WHERE signature_png IS NOT NULL"
        )
        .await,
        0
    );
    let res = app
        .client
        .delete(app.url("/api/v1/school/stamp"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(stored().await, 0);
}

/// A valid PNG of 2100 × 1 pixels, small in bytes.
fn huge_png() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, 2100, 1);
        encoder.set_color(png::ColorType::Grayscale);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[0; 2100]).unwrap();
    }
    out
}

/// A PKCS#12 file made by openssl: an RSA key and its certificate (CN=École Test).
fn openssl_p12(dir: &Path, password: &str) -> (PathBuf, Vec<u8>) {
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    let p12 = dir.join("school.p12");
    let (ok, out) = run(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            "/CN=Ecole Test Signataire/O=Ecole Test",
            "-addext",
            "keyUsage=critical,digitalSignature,nonRepudiation",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = run(
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-inkey",
            key.to_str().unwrap(),
            "-in",
            cert.to_str().unwrap(),
            "-out",
            p12.to_str().unwrap(),
            "-passout",
            &format!("pass:{password}"),
        ],
    );
    assert!(ok, "{out}");
    let (ok, der) = (
        true,
        Command::new("openssl")
            .args(["x509", "-in", cert.to_str().unwrap(), "-outform", "DER"])
            .output()
            .unwrap()
            .stdout,
    );
    assert!(ok && !der.is_empty());
    (p12, der)
}

#[tokio::test]
async fn a_pkcs12_certificate_signs_and_one_that_does_not_open_stops_the_start() {
    if !validators() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (p12, cert) = openssl_p12(dir.path(), "s3cret");

    // The binary refuses to start with a wrong password, or a file that is not PKCS#12.
    let garbage = dir.path().join("garbage.p12");
    std::fs::write(&garbage, b"not a pkcs12 file").unwrap();
    for (file, password) in [(&p12, "Not-The-Password-42"), (&garbage, "s3cret")] {
        let database = fresh_database().await;
        let out = Command::new(env!("CARGO_BIN_EXE_assidu"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", &database.url)
            .env("ASSIDU_SIGNING_P12", file)
            .env("ASSIDU_SIGNING_P12_PASSWORD", password)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "started anyway: {stderr}");
        assert!(
            stderr.contains("ASSIDU_SIGNING_P12_PASSWORD") && stderr.contains("ASSIDU_SIGNING_P12"),
            "{stderr}"
        );
        assert!(
            !stderr.contains(password),
            "the password is not shown: {stderr}"
        );
    }

    let app = spawn(TestConfig {
        signing_p12: Some((p12, "s3cret".to_owned())),
        ..TestConfig::default().at(JANUARY)
    })
    .await;
    let (_, number, pdf, _) = issue_one(&app).await;
    let (subject, fingerprint, self_signed) =
        assidu::signing::signer_of(&pdf).expect("a signature");
    assert_eq!(
        fingerprint,
        hex::encode(Sha256::digest(&cert)),
        "the P12's certificate"
    );
    assert!(subject.contains("CN=Ecole Test Signataire"), "{subject}");
    assert!(self_signed, "openssl's test certificate is self-signed too");
    // No installation key was generated.
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM signing_keys").await, 0);
    let page = app
        .request(
            reqwest::Method::GET,
            &format!("/verify/{number}"),
            None,
            None,
        )
        .await;
    assert!(page.text.contains("propre certificat"), "{}", page.text);
    let v = app
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/verify/{number}"),
            None,
            None,
        )
        .await
        .json();
    assert_eq!(v["signature"]["installation_key"], false, "{v}");
    validate_both_ways(dir.path(), &pdf, &cert);
}
