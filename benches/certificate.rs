//! Rendering of the certificates: `cargo bench --bench certificate`.
//!
//! One A4 page, either kind, from the demo snapshot (`pdf::certificate::fixtures`). The
//! target is under 5 ms per render on one core and under 100 KB per file; the size of
//! each document is printed once before it is timed.

use std::hint::black_box;

use assidu::domain::certificate::CertificateKind;
use assidu::pdf::certificate::{fixtures, render_certificate};
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

criterion_group!(benches, certificates);
criterion_main!(benches);
