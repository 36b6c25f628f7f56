//! Mail templates: `templates/mail/{fr,en}/KIND.txt` (first line: the subject) and
//! `KIND.html`, built into the binary; a file of the same name under `ASSIDU_TEMPLATES_DIR`
//! replaces the built-in one, so that a school rewords its mail without recompiling.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::LazyLock;

use minijinja::Environment;

use crate::i18n::Lang;

/// The kinds of mail, each with a `.txt` and an `.html` template per language; stored in
/// the outbox as [`MailKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    AbsenceNotice,
    AbsenceCorrection,
    JustificationDecision,
    Digest,
    RollCallReminder,
    ThresholdWarning,
    DropoutAlert,
    CertificateIssued,
    CertificatesBlocked,
    TerminationNotice,
    LoginLink,
    AbsenceAckReminder,
    PayrollStatement,
    TimetableSync,
}

impl MailKind {
    pub const ALL: [MailKind; 14] = [
        MailKind::AbsenceNotice,
        MailKind::AbsenceCorrection,
        MailKind::JustificationDecision,
        MailKind::Digest,
        MailKind::RollCallReminder,
        MailKind::ThresholdWarning,
        MailKind::DropoutAlert,
        MailKind::CertificateIssued,
        MailKind::CertificatesBlocked,
        MailKind::TerminationNotice,
        MailKind::LoginLink,
        MailKind::AbsenceAckReminder,
        MailKind::PayrollStatement,
        MailKind::TimetableSync,
    ];

    /// Its name: the templates' file name and the outbox's `kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::AbsenceNotice => "absence_notice",
            MailKind::AbsenceCorrection => "absence_correction",
            MailKind::JustificationDecision => "justification_decision",
            MailKind::Digest => "digest",
            MailKind::RollCallReminder => "roll_call_reminder",
            MailKind::ThresholdWarning => "threshold_warning",
            MailKind::DropoutAlert => "dropout_alert",
            MailKind::CertificateIssued => "certificate_issued",
            MailKind::CertificatesBlocked => "certificates_blocked",
            MailKind::TerminationNotice => "termination_notice",
            MailKind::LoginLink => "login_link",
            MailKind::AbsenceAckReminder => "absence_ack_reminder",
            MailKind::PayrollStatement => "payroll_statement",
            MailKind::TimetableSync => "timetable_sync",
        }
    }

    pub fn parse(s: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A serializable value as a template's context (mail here, pages in `web`): serde's view
/// of it, read by minijinja.
pub fn ser<T: serde::Serialize>(value: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

static BUILTIN: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    builtin![
        "mail/layout.html",
        "mail/fr/absence_notice.txt",
        "mail/fr/absence_notice.html",
        "mail/en/absence_notice.txt",
        "mail/en/absence_notice.html",
        "mail/fr/absence_correction.txt",
        "mail/fr/absence_correction.html",
        "mail/en/absence_correction.txt",
        "mail/en/absence_correction.html",
        "mail/fr/justification_decision.txt",
        "mail/fr/justification_decision.html",
        "mail/en/justification_decision.txt",
        "mail/en/justification_decision.html",
        "mail/fr/digest.txt",
        "mail/fr/digest.html",
        "mail/en/digest.txt",
        "mail/en/digest.html",
        "mail/fr/roll_call_reminder.txt",
        "mail/fr/roll_call_reminder.html",
        "mail/en/roll_call_reminder.txt",
        "mail/en/roll_call_reminder.html",
        "mail/fr/threshold_warning.txt",
        "mail/fr/threshold_warning.html",
        "mail/en/threshold_warning.txt",
        "mail/en/threshold_warning.html",
        "mail/fr/dropout_alert.txt",
        "mail/fr/dropout_alert.html",
        "mail/en/dropout_alert.txt",
        "mail/en/dropout_alert.html",
        "mail/fr/certificate_issued.txt",
        "mail/fr/certificate_issued.html",
        "mail/en/certificate_issued.txt",
        "mail/en/certificate_issued.html",
        "mail/fr/certificates_blocked.txt",
        "mail/fr/certificates_blocked.html",
        "mail/en/certificates_blocked.txt",
        "mail/en/certificates_blocked.html",
        "mail/fr/termination_notice.txt",
        "mail/fr/termination_notice.html",
        "mail/en/termination_notice.txt",
        "mail/en/termination_notice.html",
        "mail/fr/login_link.txt",
        "mail/fr/login_link.html",
        "mail/en/login_link.txt",
        "mail/en/login_link.html",
        "mail/fr/absence_ack_reminder.txt",
        "mail/fr/absence_ack_reminder.html",
        "mail/en/absence_ack_reminder.txt",
        "mail/en/absence_ack_reminder.html",
        "mail/fr/payroll_statement.txt",
        "mail/fr/payroll_statement.html",
        "mail/en/payroll_statement.txt",
        "mail/en/payroll_statement.html",
        "mail/fr/timetable_sync.txt",
        "mail/fr/timetable_sync.html",
        "mail/en/timetable_sync.txt",
        "mail/en/timetable_sync.html",
    ]
    .into_iter()
    .collect()
});

/// A rendered mail.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct MailTemplates {
    env: Environment<'static>,
}

impl MailTemplates {
    pub fn new(overrides: Option<PathBuf>) -> anyhow::Result<MailTemplates> {
        if let Some(dir) = &overrides
            && !dir.is_dir()
        {
            anyhow::bail!(
                "ASSIDU_TEMPLATES_DIR : le dossier {} n’existe pas",
                dir.display()
            );
        }
        let mut env = Environment::new();
        // « Semestre 9 {{ student|de }} » → « Semestre 9 d’Emma BLANC »: the French elision
        // before a name, for the built-in templates and a school's own.
        env.add_filter("de", |name: String| crate::domain::text::de(&name));
        env.set_loader(move |name| {
            if let Some(dir) = &overrides {
                // Only plain relative names: a template cannot reach outside the folder.
                let safe = !name.split('/').any(|p| p.is_empty() || p == "..");
                let path = dir.join(name);
                if safe && path.is_file() {
                    return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("{} illisible : {e}", path.display()),
                        )
                    });
                }
            }
            Ok(BUILTIN.get(name).map(|s| (*s).to_owned()))
        });
        let templates = MailTemplates { env };
        // A broken override is refused at start-up, not at the first absence.
        for kind in MailKind::ALL.map(MailKind::as_str) {
            for lang in [Lang::Fr, Lang::En] {
                for ext in ["txt", "html"] {
                    let name = format!("mail/{}/{kind}.{ext}", lang.code());
                    templates.env.get_template(&name).map_err(|e| {
                        anyhow::anyhow!("gabarit de courriel {name} invalide : {e:#}")
                    })?;
                }
            }
        }
        Ok(templates)
    }

    /// Renders `KIND.txt` (first line: the subject; the rest: the text part) and `KIND.html`.
    pub fn render(
        &self,
        kind: &str,
        lang: Lang,
        context: &serde_json::Value,
    ) -> anyhow::Result<Rendered> {
        let mut context = context.clone();
        if let Some(map) = context.as_object_mut() {
            map.insert("lang".to_owned(), lang.code().into());
        }
        let render = |ext: &str| -> anyhow::Result<String> {
            let name = format!("mail/{}/{kind}.{ext}", lang.code());
            let template = self.env.get_template(&name)?;
            Ok(template.render(ser(&context))?)
        };
        let text = render("txt")?;
        let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        Ok(Rendered {
            subject: subject.trim().to_owned(),
            text: body.trim_start_matches('\n').to_owned(),
            html: render("html")?,
        })
    }
}
