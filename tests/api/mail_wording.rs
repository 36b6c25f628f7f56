//! What the mails say and how they look (issue 18, points 4 and 6): a late arrival or an
//! early leave is named as such, with the session, the teacher, the teacher's note and what
//! the reader is expected to do; people are greeted by name, organisations « Madame,
//! Monsieur, »; every HTML mail carries a viewport and fits a 390-px phone.

use std::time::Duration;

use assidu::i18n::Lang;
use assidu::mail::{MailKind, MailTemplates};
use serde_json::{Value, json};

use crate::mail::{NOW, OFFICE, Scene, WAIT, config, one, outbox_settled, roll_call, scene_with};
use crate::smtp::{ReceivedMail, SmtpServer};

const VIEWPORT: &str = r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#;

fn noted(student: i64, status: &str, minutes: i64, note: &str) -> Value {
    json!({"student_id": student, "status": status, "minutes_missed": minutes, "note": note})
}

/// Widths written in pixels (`width: 600px`, `width="600"`), `max-width` left out.
fn fixed_widths(html: &str) -> Vec<u32> {
    let mut widths = Vec::new();
    for (i, _) in html.match_indices("width") {
        if html[..i].ends_with("max-") || html[..i].ends_with("device-") {
            continue;
        }
        let rest = html[i + "width".len()..].trim_start_matches([':', '=', ' ', '"']);
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let unit_is_px_or_attribute = {
            let after = &rest[digits.len()..];
            after.starts_with("px") || after.starts_with('"')
        };
        if !digits.is_empty() && unit_is_px_or_attribute {
            widths.push(digits.parse().unwrap());
        }
    }
    widths
}

/// A phone reads it: a viewport, and no fixed width wider than the screen.
fn assert_fits_a_phone(what: &str, html: &str) {
    assert!(html.contains(VIEWPORT), "{what}: no viewport in {html}");
    let wide: Vec<u32> = fixed_widths(html)
        .into_iter()
        .filter(|w| *w > 390)
        .collect();
    assert!(wide.is_empty(), "{what}: fixed widths {wide:?} in {html}");
    assert!(!html.contains("<table"), "{what}: a table in {html}");
}

fn assert_all(mail: &ReceivedMail, needles: &[&str]) {
    for needle in needles {
        assert!(
            mail.text.contains(needle),
            "« {needle} » missing from « {} »:\n{}",
            mail.subject,
            mail.text
        );
    }
}

/// Zoé comes 20 minutes late (« Bus en retard »); Léo misses the morning and leaves the
/// afternoon 30 minutes early. Both roll calls fall within one grace delay.
async fn late_and_early() -> (Scene, Vec<ReceivedMail>) {
    let smtp = SmtpServer::start().await;
    let mut own = config(&smtp, NOW, Duration::from_secs(15 * 60));
    // Only the notices here: no reminder to the teacher, no digest to the office.
    own.jobs.reminder_cron = "0 0 3 * * Sun".to_owned();
    own.jobs.digest_cron = "0 0 3 * * Sun".to_owned();
    let s = scene_with(own, smtp).await;
    roll_call(
        &s,
        s.morning,
        vec![
            noted(s.b.student, "late", 20, "Bus en retard"),
            noted(s.student2, "absent", 0, ""),
        ],
    )
    .await;
    roll_call(
        &s,
        s.afternoon,
        vec![
            noted(s.b.student, "present", 0, ""),
            noted(s.student2, "left_early", 30, "Rendez-vous médical"),
        ],
    )
    .await;
    s.app.advance(chrono::Duration::minutes(16));
    let mails = s.smtp.wait_for(6, WAIT).await;
    outbox_settled(&s.app).await;
    assert_eq!(
        s.smtp.messages().len(),
        6,
        "one notice per recipient and day"
    );
    (s, mails)
}

#[tokio::test]
async fn a_late_arrival_is_mailed_as_a_late_arrival_with_the_teacher_the_note_and_what_to_do() {
    let (s, mails) = late_and_early().await;

    let paul = one(&mails, "tutor@company.test");
    assert_eq!(
        paul.subject,
        "Retard de Zoé Élève le 15/09/2025 (20\u{a0}min)"
    );
    assert!(
        paul.text.starts_with("Bonjour Paul Tuteur,"),
        "{}",
        paul.text
    );
    assert_all(
        paul,
        &[
            "- Retard de 20\u{a0}min — 15/09/2025 (matin), 08:30–12:00 — Ingénierie logicielle",
            "Enseignant·e : Anne Prof",
            "Note de l’enseignant·e : « Bus en retard »",
            "Heures manquées : 0 h 20, non justifiées",
            "Ce qui est attendu de vous : si vous en étiez déjà informé·e ou si c’était prévu, \
             rien ; sinon, prenez contact avec Zoé, votre alternant·e.",
        ],
    );
    let zoe = one(&mails, "zoe@student.test");
    assert_eq!(zoe.subject, "Votre retard du 15/09/2025 a été signalé");
    assert_all(
        zoe,
        &[
            "Votre retard du 15/09/2025 a été signalé à votre tuteur ou tutrice et à l’école",
            "Note de l’enseignant·e : « Bus en retard »",
            "Ce qui est attendu de vous : déposez un justificatif",
            &format!(
                "http://assidu.test/justifications/new?student={}&sessions={}",
                s.b.student, s.morning
            ),
        ],
    );
    let office: Vec<&ReceivedMail> = mails
        .iter()
        .filter(|m| m.envelope_to == vec![OFFICE.to_owned()] && m.subject.contains("Zoé"))
        .collect();
    assert_eq!(office.len(), 1);
    assert!(
        office[0].text.starts_with("Madame, Monsieur,"),
        "{}",
        office[0].text
    );
    // Nothing about Zoé says « absence »: she was late.
    for m in [paul, zoe, office[0]] {
        assert!(
            !m.subject.to_lowercase().contains("absence"),
            "{}",
            m.subject
        );
        for wrong in ["Absence", "absent·e", "noté·e", "Bonjour IMT"] {
            assert!(!m.text.contains(wrong), "« {wrong} » in {}", m.text);
        }
        let html = m.html.as_deref().expect("an HTML part");
        assert_fits_a_phone(&m.subject, html);
        for needle in ["Retard de 20", "Anne Prof", "« Bus en retard »"] {
            assert!(html.contains(needle), "{needle} in {html}");
        }
    }
}

#[tokio::test]
async fn an_absence_and_an_early_leave_are_both_named_in_each_language() {
    let (s, mails) = late_and_early().await;

    let leo = one(&mails, "leo@student.test");
    assert_eq!(
        leo.subject,
        "Votre absence et votre départ anticipé du 15/09/2025 ont été signalés"
    );
    assert!(leo.text.starts_with("Bonjour Léo Martin,"), "{}", leo.text);
    assert_all(
        leo,
        &[
            "- Absence — 15/09/2025 (matin), 08:30–12:00 — Ingénierie logicielle",
            "- Départ anticipé, 30\u{a0}min avant la fin — 15/09/2025 (après-midi), 13:30–17:00",
            "Note de l’enseignant·e : « Rendez-vous médical »",
            "Total manqué ce jour : 4 h.",
            "déposez un justificatif",
        ],
    );
    let jane = one(&mails, "jane@company.test");
    assert_eq!(
        jane.subject,
        "Absence and early departure of Léo Martin on 15/09/2025"
    );
    assert_all(
        jane,
        &[
            "Hello Jane Smith,",
            "- Left 30\u{a0}min before the end — 15/09/2025 (afternoon), 13:30–17:00",
            "Teacher: Anne Prof",
            "Teacher’s note: “Rendez-vous médical”",
            "Hours missed: 0 h 30, not justified",
            "please contact Léo, your work-study student.",
        ],
    );
    let office = mails
        .iter()
        .find(|m| m.envelope_to == vec![OFFICE.to_owned()] && m.subject.contains("Léo"))
        .expect("the office's notice about Léo");
    assert_eq!(
        office.subject,
        "Absence et départ anticipé de Léo Martin le 15/09/2025"
    );
    for m in &mails {
        assert_fits_a_phone(&m.subject, m.html.as_deref().expect("an HTML part"));
    }
    // The mail log names it too.
    let log = s
        .app
        .get("/api/v1/mails?kind=absence_notice", &s.admin)
        .await
        .json();
    let reasons: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("Retard de Zoé Élève le 15/09/2025")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("Absence et départ anticipé de Léo Martin")),
        "{reasons:?}"
    );
}

/// A context every template can render: a person or an organisation, one line of each kind.
fn context(recipient_name: &str) -> Value {
    let line = json!({
        "date": "15/09/2025", "half_day": "matin", "times": "08:30–12:00",
        "module": "Ingénierie logicielle", "kind": "late", "status": "en retard",
        "minutes": 20, "duration": "20\u{a0}min", "teacher": "Anne Prof",
        "note": "Bus en retard", "missed": "0 h 20", "missed_minutes": 20,
        "justified": false, "partly_justified": false, "excused": "0 h",
        "before_status": "absent·e", "before_missed": "3 h 30",
    });
    let context = json!({
        "audience": "tutor", "recipient_name": recipient_name,
        "student": {"name": "Emma BLANC", "first_name": "Emma"},
        "school": "IMT Mines Alès", "day": "15/09/2025", "lines": [line],
        "total": "0 h 20", "student_url": "http://assidu.test/students/1",
        "justify_url": "http://assidu.test/justifications/new?student=1&sessions=1",
        "learner": "apprenti·e", "what": "Retard", "what_of": "Retard d’Emma BLANC",
        "your_what": "Votre retard", "reported": "a été signalé", "minutes_note": "(20\u{a0}min)",
    });
    let more = json!({
        "accepted": true, "submitted": "16/09/2025", "reason": "Bus en retard",
        "teacher": "Anne Prof", "sessions": [{"date": "15/09/2025", "times": "08:30–12:00",
            "module": "Ingénierie logicielle", "group": "2IA", "url": "http://assidu.test/s/1"}],
        "edit_days": 7, "semester": "S9", "threshold": 10, "missed": "27 h",
        "planned": "270 h", "percent": "10,0", "absence": "20 h", "excused": "7 h",
        "academic_year": "2025-2026", "from": "15/09/2025 (matin)", "half_days": 3,
        "streak": 3, "semester_label": "Semestre 9", "documents": [], "attended": "261 h 40",
        "unexcused": "1 h", "list_url": "http://assidu.test/certificates",
        "blocked": [], "failed": [], "absences": [], "missing": [], "waiting": [],
        "audit_url": "http://assidu.test/audit", "reference": "RUP-2025-1",
        "withdrawal": false, "date": "14/11/2025", "company": "Entreprise Test",
        "company_siret": "412 345 678 00012", "start": "01/09/2025", "due": "2 208,33",
        "opco": "2 149,99", "company_amount": "58,34", "office_email": OFFICE,
    });
    let mut context = context;
    context
        .as_object_mut()
        .unwrap()
        .extend(more.as_object().unwrap().clone());
    context
}

/// Every kind, in both languages: a viewport, no fixed width wider than a phone, a greeting
/// by name for a person and « Madame, Monsieur, » for an organisation, never « Bonjour , »;
/// French text with the typographic apostrophe only; « d’Emma » where the name is built in.
#[test]
fn every_mail_kind_fits_a_phone_and_greets_its_reader_properly() {
    let templates = MailTemplates::new(None).expect("the built-in templates");
    let greets_a_person = [
        MailKind::AbsenceNotice,
        MailKind::AbsenceCorrection,
        MailKind::JustificationDecision,
        MailKind::ThresholdWarning,
        MailKind::DropoutAlert,
        MailKind::CertificateIssued,
    ];
    // These kinds name the student with a plain string.
    let context_of = |kind: MailKind, recipient: &str| {
        let mut c = context(recipient);
        if matches!(
            kind,
            MailKind::CertificateIssued | MailKind::TerminationNotice
        ) {
            c["student"] = json!("Emma BLANC");
        }
        c
    };
    for kind in MailKind::ALL {
        for lang in [Lang::Fr, Lang::En] {
            let what = format!("{} {lang:?}", kind.as_str());
            let person = templates
                .render(kind.as_str(), lang, &context_of(kind, "Claire Dupont"))
                .unwrap_or_else(|e| panic!("{what}: {e:#}"));
            assert_fits_a_phone(&what, &person.html);
            let organisation = templates
                .render(kind.as_str(), lang, &context_of(kind, ""))
                .unwrap_or_else(|e| panic!("{what}: {e:#}"));
            for text in [&person.text, &organisation.text] {
                assert!(!text.contains("Bonjour ,"), "{what}: {text}");
                assert!(!text.contains("Hello ,"), "{what}: {text}");
            }
            if greets_a_person.contains(&kind) {
                let (hello, dear) = match lang {
                    Lang::Fr => ("Bonjour Claire Dupont,", "Madame, Monsieur,"),
                    Lang::En => ("Hello Claire Dupont,", "Dear Sir or Madam,"),
                };
                assert!(person.text.starts_with(hello), "{what}: {}", person.text);
                assert!(person.html.contains(hello), "{what}: {}", person.html);
                assert!(
                    organisation.text.starts_with(dear),
                    "{what}: {}",
                    organisation.text
                );
            }
            if lang == Lang::Fr {
                for text in [&person.subject, &person.text] {
                    let chars: Vec<char> = text.chars().collect();
                    let ascii = chars
                        .windows(3)
                        .any(|w| w[0].is_alphabetic() && w[1] == '\'' && w[2].is_alphabetic());
                    assert!(!ascii, "{what}: an ASCII apostrophe in {text}");
                    assert!(!text.contains("(s)"), "{what}: « (s) » in {text}");
                    assert!(!text.contains(" de Emma"), "{what}: no elision in {text}");
                }
            }
        }
    }
    let certificate = templates
        .render(
            "certificate_issued",
            Lang::Fr,
            &context_of(MailKind::CertificateIssued, "Claire Dupont"),
        )
        .unwrap();
    assert_eq!(
        certificate.subject,
        "Attestation disponible : Semestre 9 d’Emma BLANC"
    );
}

#[test]
fn the_fixed_width_check_sees_pixels_and_attributes() {
    assert_eq!(
        fixed_widths(r#"<div style="width: 600px; max-width: 640px"><td width="420">"#),
        vec![600, 420]
    );
    assert!(fixed_widths(VIEWPORT).is_empty());
}
