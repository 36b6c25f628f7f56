use super::*;

fn extract(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(pdf).expect("text extraction")
}

#[test]
fn measures_wraps_and_truncates() {
    let w = PdfWriter::new(Orientation::Portrait).unwrap();
    let one = w.text_width_mm("Léa", 10.0, false);
    assert!(one > 5.0 && one < 8.0, "{one}");
    assert!(w.text_width_mm("Léa", 10.0, true) > one);
    assert!((w.text_width_mm("Léa", 20.0, false) - 2.0 * one).abs() < 1e-3);

    let long = "Une formation en alternance — contrat de professionnalisation";
    let cut = w.truncate(long, 30.0, 9.0, false);
    assert!(cut.ends_with('…'), "{cut}");
    assert!(w.text_width_mm(&cut, 9.0, false) <= 30.0);
    assert_eq!(w.truncate("court", 30.0, 9.0, false), "court");
    assert_eq!(w.truncate("court", 0.5, 9.0, false), "");

    let lines = w.wrap(&format!("{long} {long}\n\nfin"), 50.0, 9.0, false);
    assert!(lines.len() > 3, "{lines:?}");
    for line in &lines {
        assert!(w.text_width_mm(line, 9.0, false) <= 50.0, "{line}");
    }
    assert_eq!(lines[lines.len() - 2..], ["".to_owned(), "fin".to_owned()]);
    let broken = w.wrap("Anticonstitutionnellementissimement", 10.0, 9.0, true);
    assert!(broken.len() > 2);
    assert_eq!(broken.concat(), "Anticonstitutionnellementissimement");
    assert_eq!(
        w.wrap("Demi-journée", 17.0, 7.5, true),
        ["Demi-", "journée"]
    );
    assert!(w.wrap("", 10.0, 9.0, false).is_empty());
    // No-break spaces keep an amount together and are kept as they are.
    let amount = "total 4\u{202f}500,00\u{a0}€";
    let narrow = w.text_width_mm("total 4\u{202f}500,0", 9.0, false);
    assert_eq!(
        w.wrap(amount, narrow, 9.0, false),
        ["total", "4\u{202f}500,00\u{a0}€"]
    );
}

#[test]
fn qr_code_keeps_text_extractable() {
    let mut w = PdfWriter::new(Orientation::Portrait).unwrap();
    w.set_title("Attestation d’assiduité");
    w.text(
        20.0,
        20.0,
        12.0,
        true,
        "Attestation d’assiduité « vérifiable »",
    );
    w.qr(
        20.0,
        30.0,
        30.0,
        "https://assidu.example/verify/0123456789abcdef",
    )
    .unwrap();
    w.rect_stroke(15.0, 25.0, 40.0, 40.0, 0.5, 0.5);
    w.text(20.0, 80.0, 10.0, false, "Scannez le code ci-dessus…");
    w.text_centered(105.0, 90.0, 9.0, false, "Fait à Besançon");
    let pdf = w.finish().unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = extract(&pdf);
    assert!(
        text.contains("Attestation d’assiduité « vérifiable »"),
        "{text}"
    );
    assert!(text.contains("Scannez le code ci-dessus…"), "{text}");
    assert!(text.contains("Fait à Besançon"), "{text}");
}

#[test]
fn file_id_is_a_hash_of_the_file() {
    let render = |text: &str| {
        let mut w = PdfWriter::new(Orientation::Portrait).unwrap();
        w.text(20.0, 20.0, 10.0, false, text);
        w.finish().unwrap()
    };
    let id = |pdf: &[u8]| {
        let raw = String::from_utf8_lossy(pdf).into_owned();
        let ids = raw.rsplit_once("/ID[").expect("trailer /ID").1;
        let ids: Vec<String> = ids.split(')').take(2).map(|s| s.replace('(', "")).collect();
        assert_eq!(ids[0], ids[1], "{ids:?}");
        assert_eq!(ids[0].len(), 32, "{ids:?}");
        assert!(ids[0].bytes().all(|b| b.is_ascii_hexdigit()), "{ids:?}");
        ids[0].clone()
    };
    let a = render("Léa");
    assert_eq!(a, render("Léa"));
    assert_ne!(id(&a), id(&render("Noé")));
    assert!(extract(&a).contains("Léa"));
}

#[test]
fn too_long_qr_payload_is_an_error() {
    let mut w = PdfWriter::new(Orientation::Portrait).unwrap();
    assert!(w.qr(0.0, 0.0, 30.0, &"x".repeat(5000)).is_err());
}

#[test]
fn pages_can_be_revisited_and_metadata_is_kept() {
    let mut w = PdfWriter::new(Orientation::Landscape).unwrap();
    assert_eq!((w.page_width_mm(), w.page_height_mm()), (297.0, 210.0));
    w.text(10.0, 10.0, 10.0, false, "premier");
    w.new_page();
    w.text(10.0, 10.0, 10.0, false, "second");
    assert_eq!((w.page_count(), w.current_page()), (2, 1));
    w.select_page(0).unwrap();
    w.text_right(287.0, 200.0, 8.0, false, "page 1/2");
    assert!(w.select_page(2).is_err());
    w.set_title("Titre — été");
    w.set_author("Lycée Émile");
    w.set_subject("Test");
    w.set_keywords(&["émargement"]);
    w.set_creation_date(DateTime::from_timestamp(1_764_064_920, 0).unwrap());
    let pdf = w.finish().unwrap();
    let text = extract(&pdf);
    assert!(text.contains("page 1/2"), "{text}");
    let first = text.find("premier").unwrap();
    assert!(text.find("page 1/2").unwrap() < text.find("second").unwrap());
    assert!(first < text.find("second").unwrap());
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("/CreationDate(D:20251125"), "creation date");
}
