//! Outgoing mail: templates in files, an outbox in the database, and the transport (SMTP
//! through lettre, or `.eml` files in a folder when no SMTP server is configured).

pub mod links;
pub mod outbox;
pub mod templates;

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailSettings;
use crate::i18n::Lang;
pub use templates::{MailKind, MailTemplates, Rendered};

/// Why one delivery failed, and whether trying again may help.
#[derive(Debug)]
pub struct DeliveryError {
    pub message: String,
    /// A bad address or a refusal that will not change: no retry.
    pub permanent: bool,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// The mail side of the service: settings, templates and transport.
pub struct MailService {
    pub settings: MailSettings,
    pub templates: MailTemplates,
    from: Mailbox,
    transport: Transport,
}

/// One mail as the outbox keeps it.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    pub recipient: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub message_id: &'a str,
    pub attachments: &'a [outbox::Attachment],
}

impl MailService {
    /// Checks the settings: sender address, SMTP URL, mail folder, template overrides.
    pub fn new(settings: MailSettings) -> anyhow::Result<MailService> {
        let from: Mailbox = settings.mail_from.parse().map_err(|e| {
            anyhow::anyhow!(
                "ASSIDU_MAIL_FROM : adresse d’expéditeur invalide « {} » ({e})",
                settings.mail_from
            )
        })?;
        let transport = match &settings.smtp_url {
            Some(url) => {
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| {
                    anyhow::anyhow!(
                        "ASSIDU_SMTP_URL : URL SMTP invalide ({e}) ; attendu smtp://hôte:port ou smtps://utilisateur:motdepasse@hôte"
                    )
                })?;
                Transport::Smtp(builder.timeout(Some(Duration::from_secs(30))).build())
            }
            None => {
                std::fs::create_dir_all(&settings.mail_dir).map_err(|e| {
                    anyhow::anyhow!(
                        "ASSIDU_MAIL_DIR : impossible de créer le dossier {} ({e})",
                        settings.mail_dir.display()
                    )
                })?;
                Transport::Files(AsyncFileTransport::new(&settings.mail_dir))
            }
        };
        let templates = MailTemplates::new(settings.templates_dir.clone())?;
        Ok(MailService {
            settings,
            templates,
            from,
            transport,
        })
    }

    /// Where mail goes, for the start-up log.
    pub fn describe(&self) -> String {
        match (&self.transport, &self.settings.smtp_url) {
            (Transport::Smtp(_), Some(url)) => {
                // Never log a password that the URL may carry.
                let shown = url::Url::parse(url)
                    .map(|mut u| {
                        let _ = u.set_password(None);
                        u.to_string()
                    })
                    .unwrap_or_else(|_| "smtp".to_owned());
                format!("SMTP {shown}")
            }
            _ => format!("fichiers .eml dans {}", self.settings.mail_dir.display()),
        }
    }

    pub fn from_address(&self) -> &Mailbox {
        &self.from
    }

    /// Renders one mail of `kind` in `lang`.
    pub fn render(
        &self,
        kind: &str,
        lang: Lang,
        context: &serde_json::Value,
    ) -> anyhow::Result<Rendered> {
        self.templates.render(kind, lang, context)
    }

    /// Sends one mail now.
    pub async fn deliver(&self, mail: &Envelope<'_>) -> Result<(), DeliveryError> {
        let to: Mailbox = mail.recipient.parse().map_err(|e| DeliveryError {
            message: format!(
                "adresse de destinataire invalide « {} » : {e}",
                mail.recipient
            ),
            permanent: true,
        })?;
        let body = MultiPart::alternative_plain_html(mail.text.to_owned(), mail.html.to_owned());
        let body = if mail.attachments.is_empty() {
            body
        } else {
            let mut mixed = MultiPart::mixed().multipart(body);
            for a in mail.attachments {
                let kind = ContentType::parse(&a.content_type).map_err(|e| DeliveryError {
                    message: format!("type de pièce jointe invalide « {} » : {e}", a.content_type),
                    permanent: true,
                })?;
                mixed = mixed.singlepart(
                    lettre::message::Attachment::new(a.file_name.clone())
                        .body(a.data.clone(), kind),
                );
            }
            mixed
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .message_id(Some(mail.message_id.to_owned()))
            .multipart(body)
            .map_err(|e| DeliveryError {
                message: format!("message impossible à construire : {e}"),
                permanent: true,
            })?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| DeliveryError {
                        permanent: e.is_permanent(),
                        message: format!("SMTP : {e}"),
                    })
            }
            Transport::Files(files) => {
                files
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| DeliveryError {
                        permanent: false,
                        message: format!("écriture du fichier .eml : {e}"),
                    })
            }
        }
    }
}
