use super::fixtures::{contract, payer_doc, school, terminated, withdrawn};
use super::*;
use crate::domain::hours::Minutes;
use crate::domain::text::euros_fr;
use crate::format::euros_with_sign as euros;
use crate::pdf::flow::BOTTOM_MM;
use crate::pdf::flow::check::{
    assert_contains, assert_lacks, dump, flat, inside_the_margins, pages,
};

/// Renders, checks that the content stays above the footer and inside the margins,
/// returns the bytes and the text of each page.
fn render(doc: &PayerStatementDoc) -> (Vec<u8>, Vec<String>) {
    let (pdf, lowest) = layout_payer_statement(doc).expect("render");
    dump(
        &format!("releve-{}-{}.pdf", doc.to.payer.as_str(), pdf.len()),
        &pdf,
    );
    assert!(lowest <= BOTTOM_MM, "content down to {lowest} mm");
    inside_the_margins(&pdf);
    let text = pages(&pdf);
    (pdf, text)
}

fn render_contract(statement: &Statement) -> (Vec<u8>, Vec<String>) {
    let issued = NaiveDate::from_ymd_opt(2025, 11, 20).unwrap();
    let (pdf, lowest) = layout_contract_statement(&school(), statement, issued).unwrap();
    dump(&format!("contrat-{}.pdf", pdf.len()), &pdf);
    assert!(lowest <= BOTTOM_MM, "content down to {lowest} mm");
    inside_the_margins(&pdf);
    let text = pages(&pdf);
    (pdf, text)
}

/// Cents from « 4 500,00 € » (any spaces).
fn cents(amount: &str) -> i64 {
    let digits: String = amount
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("not an amount: {amount:?}"))
}

/// The amounts at the end of the printed lines that contain `marker` (each table row
/// is one line of extracted text, its amount last).
fn amounts_after(text: &str, marker: &str) -> Vec<i64> {
    text.lines()
        .filter(|l| l.contains(marker) && l.trim_end().ends_with('€'))
        .map(|l| {
            let l = l.trim_end().trim_end_matches('€');
            // The amount is the run of digits, spaces and commas before « € ».
            let start = l
                .rfind(|c: char| !(c.is_ascii_digit() || c.is_whitespace() || c == ','))
                .map_or(0, |i| i + l[i..].chars().next().map_or(1, char::len_utf8));
            let amount = l[start..].trim();
            // « art. 6 » precedes the amount on a bill line: drop the article number.
            let amount = match amount.split_once(char::is_whitespace) {
                Some((article, rest)) if marker == "art. " && article.len() <= 2 => rest,
                _ => amount,
            };
            cents(amount)
        })
        .collect()
}

/// What `payer` owes on the statements, from the data.
fn owed(doc: &PayerStatementDoc) -> i64 {
    doc.statements
        .iter()
        .flat_map(|s| &s.semesters)
        .flat_map(|s| &s.lines)
        .filter(|l| l.payer == doc.to.payer)
        .map(|l| l.amount_cents)
        .sum()
}

/// The first OPCO line of a statement's semester.
fn opco_line(s: &mut Statement, semester: usize) -> &mut BillLine {
    s.semesters[semester]
        .lines
        .iter_mut()
        .find(|l| l.payer == Payer::Opco)
        .expect("an OPCO line")
}

fn opco_contracts(n: usize) -> usize {
    (0..n).filter(|i| !matches!(i % 6, 1 | 4)).count()
}

const LETTERHEAD: &[&str] = &[
    "IMT Mines Alès",
    "Institut Mines-Télécom",
    "6 avenue de Clavières, 30100 Alès",
    "SIRET : 180 092 025 00113",
    "N° de déclaration d’activité : 76300411830",
];

#[test]
fn the_opco_statement_prints_its_own_lines() {
    let doc = payer_doc(Payer::Opco, 6);
    let (_, text) = render(&doc);
    let all = text.concat();
    assert_contains(&all, LETTERHEAD);
    assert_contains(
        &all,
        &[
            "Relevé de facturation — année 2025-2026",
            "Destinataire : OPCO Atlas",
            "Date : 15/09/2026",
            "montants à la charge de l’OPCO",
            "Libellé Heures Article Montant",
            "Léa MARTIN — contrat n° 1000",
            "Entreprise : Énergies du Gard SAS (SIRET 412 345 678 00012)",
            "Semestre 9 — du 01/09/2025 au 31/12/2025 — définitif",
            "Semestre 10 — du 01/01/2026 au 28/08/2026 — définitif",
            "Heures de formation (subrogation de paiement)",
            "Heures de formation prises en charge par l’OPCO (12,00 €/h)",
            "Jérôme BÉRENGER — contrat n° 1005",
            "270 h art. 6 4 500,00 €",
            "210 h art. 6 3 500,00 €",
            "Sous-total du contrat 8 000,00 €",
            "Total du relevé (4 contrats)",
            "Nombre de contrats : 4",
            "Règle d’arrondi : Les lignes de l’entreprise valent le prix du semestre",
            "page 1/",
        ],
    );
    // Every OPCO line, with its hours, article and amount.
    for s in &doc.statements {
        for l in s.semesters.iter().flat_map(|s| &s.lines) {
            let printed = format!(
                "{} art. {} {}",
                Minutes(l.minutes).fmt_fr(),
                l.article,
                euros(l.amount_cents)
            );
            if l.payer == Payer::Opco {
                assert_contains(&all, &[&printed]);
            }
        }
    }
    // No subrogation (1001), a deed after the first due date (1004): nothing for the
    // OPCO. The company's lines are not on the OPCO's statement.
    assert_lacks(
        &all,
        &[
            "contrat n° 1001",
            "contrat n° 1004",
            "Absences non justifiées",
            "Part non prise en charge",
            "provisoire",
        ],
    );
}

#[test]
fn the_company_statement_prints_its_own_lines() {
    let doc = payer_doc(Payer::Company, 6);
    let (_, text) = render(&doc);
    let all = text.concat();
    assert_contains(&all, LETTERHEAD);
    assert_contains(
        &all,
        &[
            "Destinataire : Énergies du Gard SAS (SIRET 412 345 678 00012)",
            "montants à la charge de l’entreprise",
            "Léa MARTIN — contrat n° 1000",
            "Noé DUBOIS — contrat n° 1001",
            "Absences non justifiées",
            "Absences justifiées (facturées à l’entreprise)",
            "Heures de formation (sans subrogation de paiement, l’entreprise est facturée)",
            "Part non prise en charge par l’OPCO, prorata temporis",
            "Heures réalisées avant l’accord de l’OPCO du 15/09/2025",
            "acte de subrogation reçu le 05/01/2026, pas avant la première échéance",
            "Total du relevé (5 contrats)",
            "Nombre de contrats : 5",
        ],
    );
    // The company is the recipient: not repeated under each contract; 1005 has no
    // absence and a full OPCO funding: nothing for the company.
    assert_lacks(
        &all,
        &[
            "Entreprise : Énergies",
            "contrat n° 1005",
            "subrogation de paiement)",
        ],
    );
}

#[test]
fn the_printed_total_is_the_sum_of_the_printed_lines() {
    for payer in [Payer::Opco, Payer::Company] {
        let doc = payer_doc(payer, 60);
        let (_, text) = render(&doc);
        let all = text.concat();
        let lines = amounts_after(&all, "art. ");
        let subtotals = amounts_after(&all, "Sous-total du contrat");
        let total = amounts_after(&all, "Total du relevé");
        let expected = owed(&doc);
        assert!(expected > 0);
        assert_eq!(total, vec![expected], "{payer:?}");
        assert_eq!(lines.iter().sum::<i64>(), expected, "{payer:?}: lines");
        assert_eq!(
            subtotals.iter().sum::<i64>(),
            expected,
            "{payer:?}: subtotals"
        );
        let count = doc
            .statements
            .iter()
            .filter(|s| {
                s.semesters
                    .iter()
                    .flat_map(|s| &s.lines)
                    .any(|l| l.payer == payer)
            })
            .count();
        assert_eq!(subtotals.len(), count);
        let lines_of_payer = doc
            .statements
            .iter()
            .flat_map(|s| &s.semesters)
            .flat_map(|s| &s.lines)
            .filter(|l| l.payer == payer)
            .count();
        assert_eq!(
            lines.len(),
            lines_of_payer,
            "{payer:?}: every line printed once"
        );
        assert_contains(
            &all,
            &[
                &format!("Total à régler : {} €", euros_fr(expected)),
                &format!("Nombre de contrats : {count}"),
            ],
        );
    }
}

#[test]
fn three_hundred_contracts_run_over_numbered_pages() {
    let doc = payer_doc(Payer::Opco, 300);
    let (pdf, text) = render(&doc);
    let n = text.len();
    assert!(n >= 15, "{n} pages");
    assert!(pdf.len() < 1_500_000, "{} bytes", pdf.len());
    for (i, page) in text.iter().enumerate() {
        assert_contains(
            page,
            &[
                &format!("page {}/{n}", i + 1),
                "Libellé Heures Article Montant",
            ],
        );
        if i > 0 {
            assert_contains(
                page,
                &["Relevé de facturation — année 2025-2026 — OPCO Atlas — émis le 15/09/2026"],
            );
            assert_lacks(page, &["Destinataire"]);
        }
    }
    let all = text.concat();
    let contracts = opco_contracts(300);
    assert_contains(
        &all,
        &[
            "contrat n° 1000",
            "contrat n° 1299",
            &format!("Total du relevé ({contracts} contrats)"),
            &format!("Nombre de contrats : {contracts}"),
        ],
    );
    assert_eq!(amounts_after(&all, "art. ").iter().sum::<i64>(), owed(&doc));
    // Every contract's lines go on under « … (suite) » when a page breaks inside it.
    let continued = text[1..]
        .iter()
        .filter(|p| flat(p).contains("(suite)"))
        .count();
    let first_rows: Vec<&str> = text[1..]
        .iter()
        .map(|p| p.split("Montant").nth(1).unwrap_or(""))
        .collect();
    for (page, rest) in text[1..].iter().zip(&first_rows) {
        let first = rest.trim_start().lines().next().unwrap_or("");
        assert!(
            first.contains("contrat n°") || first.contains("(suite)") || first.contains("Total"),
            "a page starts with a row out of its contract: {first:?}\n{page}"
        );
    }
    assert!(continued > 0, "no contract continued over a page");
}

#[test]
fn long_labels_wrap_and_never_leave_the_page() {
    let mut doc = payer_doc(Payer::Opco, 3);
    let label = "Heures de formation réalisées au titre du module d’approfondissement \
                 « Énergies renouvelables, réseaux de chaleur et stockage thermique » \
                 (subrogation de paiement, accord du 01/09/2025) — fin";
    opco_line(&mut doc.statements[0], 0).label = label.into();
    let absurd = "Une désignation démesurément longue ".repeat(60);
    opco_line(&mut doc.statements[2], 1).label = absurd;
    doc.statements[2].company_name = "Société anonyme d’économie mixte ".repeat(30);
    doc.school.name = "École supérieure interconsulaire ".repeat(20);
    doc.school.address = "Bâtiment Clément-Ader, 6 avenue de Clavières ".repeat(20);
    doc.to.name = "Opérateur de compétences ".repeat(30);
    let (_, text) = render(&doc);
    let all = text.concat();
    // Wrapped: every word is there, on several lines.
    for word in ["approfondissement", "thermique", "01/09/2025)", "fin"] {
        assert!(all.contains(word), "{word} missing");
    }
    // Capped: the absurd label ends with "…" after four lines.
    assert!(all.contains('…'));
    assert!(flat(&all).matches("démesurément").count() < 60);
    let expected = owed(&doc);
    assert_eq!(amounts_after(&all, "art. ").iter().sum::<i64>(), expected);
    assert_eq!(amounts_after(&all, "Total du relevé"), vec![expected]);
}

#[test]
fn same_statement_same_bytes() {
    let doc = payer_doc(Payer::Opco, 6);
    let pdf = render_payer_statement(&doc).unwrap();
    assert!(pdf.len() < 100_000, "{} bytes", pdf.len());
    assert!(
        pdf == render_payer_statement(&doc).unwrap(),
        "two renders differ"
    );
    let mut other = doc.clone();
    opco_line(&mut other.statements[0], 0).amount_cents += 1;
    assert!(pdf != render_payer_statement(&other).unwrap());
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("+DejaVuSans"), "font not subset");
    assert!(raw.contains("/CreationDate(D:20260915"), "creation date");

    let s = terminated();
    let issued = NaiveDate::from_ymd_opt(2025, 11, 20).unwrap();
    let pdf = render_contract_statement(&school(), &s, issued).unwrap();
    assert!(pdf.len() < 100_000, "{} bytes", pdf.len());
    assert!(pdf == render_contract_statement(&school(), &s, issued).unwrap());
    let next_day = issued.succ_opt().unwrap();
    assert!(pdf != render_contract_statement(&school(), &s, next_day).unwrap());
}

#[test]
fn an_empty_statement_says_so() {
    let mut doc = payer_doc(Payer::Opco, 0);
    let (_, text) = render(&doc);
    assert_eq!(text.len(), 1);
    assert_contains(
        &text[0],
        &[
            "Aucune ligne de facturation à la charge de l’OPCO pour l’année 2025-2026.",
            "Total du relevé (aucun contrat) 0,00 €",
            "page 1/1",
        ],
    );
    // Only company lines: the contract is skipped.
    doc.statements = vec![contract(1)];
    let (_, text) = render(&doc);
    assert_contains(&text[0], &["Total du relevé (aucun contrat) 0,00 €"]);
    assert_lacks(&text[0], &["contrat n° 1001"]);
    // An empty recipient's name: what it is.
    doc.to.name.clear();
    let (_, text) = render(&doc);
    assert_contains(&text[0], &["Destinataire : OPCO"]);
}

#[test]
fn the_final_statement_of_a_terminated_contract() {
    let s = terminated();
    let (_, text) = render_contract(&s);
    assert_eq!(text.len(), 1, "one page");
    let all = &text[0];
    assert_contains(all, LETTERHEAD);
    let s9 = &s.semesters[0];
    assert!(s9.company_cents > 0 && s9.opco_cents > 0);
    assert_contains(
        all,
        &[
            "Relevé de facturation final",
            "Année 2025-2026 — contrat n° 1000 — émis le 20/11/2025",
            "Salarié·e : Léa MARTIN",
            "Entreprise : Énergies du Gard SAS (SIRET 412 345 678 00012)",
            "OPCO : OPCO Atlas",
            "Payeur principal : OPCO — acte de subrogation reçu le 10/09/2025, avant la \
             première échéance (31/12/2025)",
            "Rupture anticipée : le 14/11/2025 — motif : démission de la salariée pendant la \
             période d’essai ; facturation au prorata des heures réalisées (article 7)",
            "Semestre 9 — du 01/09/2025 au 14/11/2025 — définitif",
            "Prix : 4 500,00 € pour 270 h (soit 16,67 € de l’heure)",
            "Libellé Payeur Heures Article Montant",
            &format!("Total dû pour le semestre 9 {} €", euros_fr(s9.due_cents)),
            &format!("dont à la charge de l’OPCO {} €", euros_fr(s9.opco_cents)),
            &format!(
                "dont à la charge de l’entreprise {} €",
                euros_fr(s9.company_cents)
            ),
            "Note : Article 7 : rupture anticipée au 14/11/2025",
            "Semestre 10 — du 01/01/2026 au 28/08/2026 — annulé",
            "Aucune somme n’est due pour ce semestre.",
            &format!("Total dû {} €", euros_fr(s.due_cents)),
            &format!(
                "dont à la charge de l’OPCO (OPCO Atlas) {} €",
                euros_fr(s.opco_cents)
            ),
            &format!(
                "dont à la charge de l’entreprise (Énergies du Gard SAS) {} €",
                euros_fr(s.company_cents)
            ),
            "Règle d’arrondi",
            "page 1/1",
        ],
    );
    for l in &s9.lines {
        assert_contains(
            all,
            &[&format!(
                "{} {} art. {} {}",
                l.payer.label_fr(),
                Minutes(l.minutes).fmt_fr(),
                l.article,
                euros(l.amount_cents)
            )],
        );
    }
    // The printed lines add up to the printed totals.
    let lines = amounts_after(all, "art. ");
    assert_eq!(lines.iter().sum::<i64>(), s.due_cents);
    assert_eq!(s.due_cents, s.opco_cents + s.company_cents);
}

#[test]
fn a_running_contract_and_a_withdrawn_one() {
    let mut s = contract(2);
    s.semesters[1].status = StatementStatus::Provisional;
    let (_, text) = render_contract(&s);
    let all = text.concat();
    assert_contains(
        &all,
        &[
            "Relevé de facturation",
            "Zoé LEFÈVRE",
            "Semestre 9 — du 01/09/2025 au 31/12/2025 — définitif",
            "Semestre 10 — du 01/01/2026 au 28/08/2026 — provisoire",
            "Part non prise en charge par l’OPCO, prorata temporis",
        ],
    );
    assert_lacks(&all, &["final", "Rupture", "annulé"]);
    assert_eq!(
        amounts_after(&all, "art. ").iter().sum::<i64>(),
        s.due_cents
    );

    let s = withdrawn();
    let (_, text) = render_contract(&s);
    let all = text.concat();
    assert_contains(
        &all,
        &[
            "Relevé de facturation final",
            "Désistement : le 25/08/2025, avant le début de la formation — motif : \
             désistement de la candidate ; la convention est annulée (article 7)",
            "Semestre 9 — du 01/09/2025 au 31/12/2025 — annulé",
            "Semestre 10 — du 01/01/2026 au 28/08/2026 — annulé",
            "Total dû 0,00 €",
        ],
    );
    assert_lacks(&all, &["art. ", "Rupture anticipée"]);
}

#[test]
fn a_long_contract_statement_runs_over_pages() {
    let mut s = terminated();
    let line = s.semesters[0].lines[0].clone();
    let extra: Vec<_> = (0..120)
        .map(|i| BillLine {
            label: format!("Ligne de régularisation n° {i}"),
            amount_cents: 1_000 + i,
            ..line.clone()
        })
        .collect();
    let added: i64 = extra.iter().map(|l| l.amount_cents).sum();
    s.semesters[0].lines.extend(extra);
    s.semesters[0].due_cents += added;
    s.due_cents += added;
    let (_, text) = render_contract(&s);
    let n = text.len();
    assert!(n >= 3, "{n} pages");
    for page in &text[1..] {
        assert_contains(
            page,
            &[
                "Relevé de facturation final — Léa MARTIN — contrat n° 1000",
                "Libellé Payeur Heures Article Montant",
                "Semestre 9 — du 01/09/2025 au 14/11/2025 — définitif (suite)",
            ],
        );
    }
    let all = text.concat();
    assert_contains(
        &all,
        &[&format!("page {n}/{n}"), "Ligne de régularisation n° 119"],
    );
    assert_eq!(
        amounts_after(&all, "art. ").iter().sum::<i64>(),
        s.due_cents
    );
}
