//! The archive's reading guide (« LISEZMOI.txt »), in French: what the bundle holds, what
//! to look at, how to check it.

use chrono::{DateTime, Utc};

use super::files::{
    ACKNOWLEDGEMENTS, ContractFacts, Counts, DECISIONS, FileEntry, HISTORY, LIVRET, MANIFEST,
    NOTICES, paris_fr,
};
use crate::domain::text::date_fr;

fn yes_no(b: bool) -> &'static str {
    if b { "oui" } else { "non" }
}

/// The French reading guide at the root of the archive.
pub fn lisezmoi(
    facts: &ContractFacts,
    counts: &Counts,
    generated_at: DateTime<Utc>,
    generated_by: &str,
    files: &[FileEntry],
) -> String {
    let c = facts;
    let mut t = String::new();
    let mut line = |s: String| {
        t.push_str(&s);
        t.push_str("\r\n");
    };
    line(format!(
        "DOSSIER DE CONTRÔLE OPCO — CONTRAT N° {}",
        c.contract_id
    ));
    line(String::new());
    line(format!(
        "Organisme de formation : {} (SIRET {}, déclaration d’activité n° {})",
        c.school.name, c.school.siret, c.school.activity_number
    ));
    line(format!(
        "Entreprise : {} (SIRET {})",
        c.company.name, c.company.siret
    ));
    line(format!("Salarié·e : {}", c.student.full_name()));
    line(format!("Tuteur ou tutrice : {}", c.tutor));
    line(format!("Qualification : {} ({})", c.qualification, c.rncp));
    line(format!(
        "Contrat : {} ({}), du {} au {}{}",
        c.kind,
        c.academic_year,
        date_fr(c.period_from),
        date_fr(c.period_to),
        c.termination_date
            .map(|d| format!(", rompu le {}", date_fr(d)))
            .unwrap_or_default()
    ));
    line(format!(
        "OPCO : {} (subrogation : {})",
        if c.opco.is_empty() { "—" } else { &c.opco },
        yes_no(c.subrogation)
    ));
    line(format!(
        "Dossier édité le {} (heure de Paris) par {generated_by}.",
        paris_fr(generated_at)
    ));
    line(String::new());
    line("CONTENU".to_owned());
    line(format!(
        "- emargement/ : la feuille d’émargement de chaque demi-journée de formation du contrat \
         ({} séance(s){}), avec la ligne de l’alternant·e : statut, heure de son émargement, \
         signature de l’enseignant·e.",
        counts.sessions,
        match &c.group {
            Some(g) => format!(", groupe « {g} »"),
            None => String::new(),
        }
    ));
    if counts.upcoming_sessions_not_included > 0 {
        line(format!(
            "  {} séance(s) à venir à la date d’édition n’ont pas encore de feuille.",
            counts.upcoming_sessions_not_included
        ));
    }
    line(format!(
        "- {HISTORY} : chaque modification des présences de l’alternant·e ({} ligne(s)) : \
         qui, quand, ancienne et nouvelle valeur, motif.",
        counts.mark_changes
    ));
    line(format!(
        "- certificats/ : les attestations émises pour ce contrat ({}, dont {} remplacée(s)), \
         octet pour octet telles qu’émises.",
        counts.certificates, counts.superseded_certificates
    ));
    line(format!(
        "- justificatifs/ : les justificatifs d’absence déposés ({}), tels que reçus ; \
         {DECISIONS} : les décisions.",
        counts.justifications
    ));
    line(format!(
        "- {NOTICES} : les avis d’absence et alertes envoyés à l’entreprise, à l’école et à \
         l’alternant·e ({}).",
        counts.notices
    ));
    if files.iter().any(|f| f.path == LIVRET) {
        line(format!(
            "- {LIVRET} : le livret de suivi du contrat, visites en entreprise et entretiens \
         consignés par l’école et l’entreprise ({}).",
            counts.follow_ups
        ));
    }
    line(format!(
        "- {ACKNOWLEDGEMENTS} : les avis d’absence adressés au tuteur ou à la tutrice ({}) et \
         leur prise de connaissance, qui et quand ({} pris en compte).",
        counts.tutor_notices, counts.tutor_notices_acknowledged
    ));
    line(format!(
        "- {MANIFEST} : ces informations et, pour chaque fichier, sa taille et son empreinte \
         SHA-256."
    ));
    line(String::new());
    line("POINTS D’ATTENTION".to_owned());
    let flagged: Vec<&FileEntry> = files.iter().filter(|f| !f.flags.is_empty()).collect();
    if flagged.is_empty() {
        line("Aucun.".to_owned());
    }
    for f in flagged {
        let flags: Vec<&str> = f.flags.iter().map(|fl| fl.fr()).collect();
        let by = f
            .about
            .superseded_by
            .as_deref()
            .map(|n| format!(" (remplacé par {n})"))
            .unwrap_or_default();
        line(format!("- {} : {}{by}", f.path, flags.join(", ")));
    }
    line(String::new());
    line("VÉRIFIER L’INTÉGRITÉ".to_owned());
    line(format!(
        "Chaque fichier figure dans {MANIFEST} avec son empreinte SHA-256, par exemple \
         « sha256sum -c » sous Linux, « certutil -hashfile FICHIER SHA256 » sous Windows."
    ));
    line(
        "Chaque attestation se vérifie aussi en ligne à l’adresse imprimée sous son code QR \
         (verify_url dans le manifeste), ou en déposant le fichier sur la page de vérification."
            .to_owned(),
    );
    line(
        "Les fichiers CSV sont en UTF-8, séparés par des points-virgules : Excel les ouvre \
         directement."
            .to_owned(),
    );
    t
}
