//! Rendering of the certificates: `cargo bench --bench certificate`.
//!
//! One A4 page, either kind, from the demo snapshot (`pdf::certificate::fixtures`). The
//! target is under 5 ms per render on one core and under 100 KB per file; the size of
//! each document is printed once before it is timed.
//!
//! Then the same attestation as issued: with the demo stamp and signature drawn and signed
//! (PAdES-B-B), with the installation's ECDSA P-256 key and with a 2048-bit RSA key; the
//! target is under 5 ms per signed certificate too. The signature alone is timed apart.

use std::hint::black_box;

use assidu::domain::certificate::CertificateKind;
use assidu::pdf::Picture;
use assidu::pdf::certificate::{SealPictures, fixtures, render_certificate, render_signed};
use assidu::signing::Credentials;
use criterion::{Criterion, criterion_group, criterion_main};

fn certificates(c: &mut Criterion) {
    for kind in CertificateKind::ALL {
        let data = fixtures::sample_of(kind);
        let pdf = render_certificate(&data).expect("render");
        eprintln!(
            "{} ({}): {} bytes ({:.1} KB)",
            kind.title_fr(),
            data.number,
            pdf.len(),
            pdf.len() as f64 / 1000.0
        );
        c.bench_function(&format!("certificate: render {}", kind.as_str()), |b| {
            b.iter(|| render_certificate(black_box(&data)).expect("render"))
        });
    }
}

/// An RSA key and its certificate in a PKCS#12 file made by openssl, if it is there.
fn rsa_credentials() -> Option<Credentials> {
    use std::process::Command;
    let dir = tempfile::tempdir().ok()?;
    let (key, cert, p12) = (
        dir.path().join("k.pem"),
        dir.path().join("c.pem"),
        dir.path().join("s.p12"),
    );
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .args(["-subj", "/CN=Bench", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .ok()?
        .status
        .success()
        && Command::new("openssl")
            .args(["pkcs12", "-export", "-passout", "pass:bench", "-inkey"])
            .arg(&key)
            .arg("-in")
            .arg(&cert)
            .arg("-out")
            .arg(&p12)
            .output()
            .ok()?
            .status
            .success();
    if !ok {
        return None;
    }
    Credentials::from_pkcs12(&std::fs::read(&p12).ok()?, "bench").ok()
}

fn signed(c: &mut Criterion) {
    let data = fixtures::sample_of(CertificateKind::Attestation);
    let stamp = Picture::from_png(include_bytes!("../demo/stamp.png")).expect("stamp");
    let signature = Picture::from_png(include_bytes!("../demo/signature.png")).expect("sig");
    let seal = SealPictures {
        stamp: Some(&stamp),
        signature: Some(&signature),
    };
    let (key, cert) = assidu::signing::generate_self_signed("IMT Mines Alès").expect("key");
    let ecdsa = Credentials::from_stored(&key, &cert).expect("credentials");
    let mut keys = vec![("ecdsa-p256", ecdsa)];
    match rsa_credentials() {
        Some(rsa) => keys.push(("rsa-2048", rsa)),
        None => eprintln!("no openssl: the RSA case is skipped"),
    }

    c.bench_function(
        "certificate: render attestation, stamp and signature",
        |b| {
            b.iter(|| {
                assidu::pdf::certificate::render_sealed(black_box(&data), seal).expect("render")
            })
        },
    );
    for (name, credentials) in &keys {
        let pdf = render_signed(&data, seal, credentials).expect("signed");
        eprintln!(
            "attestation, sealed and signed ({name}): {} bytes ({:.1} KB)",
            pdf.len(),
            pdf.len() as f64 / 1000.0
        );
        c.bench_function(&format!("certificate: render and sign ({name})"), |b| {
            b.iter(|| render_signed(black_box(&data), seal, credentials).expect("render"))
        });
        c.bench_function(&format!("certificate: CMS signature alone ({name})"), |b| {
            b.iter(|| credentials.sign_digest(black_box(&[7; 32])).expect("sign"))
        });
    }
}

criterion_group!(benches, certificates, signed);
criterion_main!(benches);
