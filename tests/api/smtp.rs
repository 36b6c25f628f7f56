//! A small in-process SMTP server for the tests: the application's real lettre transport
//! (`smtp://127.0.0.1:PORT`, plaintext, no AUTH, no STARTTLS) delivers into it, and the tests
//! read back the decoded messages.
//!
//! Supported: EHLO/HELO, MAIL FROM (parameters ignored), RCPT TO, DATA (dot-unstuffed), RSET,
//! NOOP, QUIT; anything else gets `502`. Commands are not pipelined (PIPELINING is not
//! advertised), several messages per connection and concurrent connections are fine.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mail_parser::MessageParser;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

/// An SMTP server listening on `127.0.0.1`, recording every accepted message.
pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// Stop signal and accept-loop task, while listening.
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

struct Shared {
    mails: watch::Sender<Vec<ReceivedMail>>,
    reject: AtomicBool,
}

/// One message accepted by the server: the SMTP envelope, the raw data and decoded parts.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// `MAIL FROM` address, without `<>`.
    pub envelope_from: String,
    /// `RCPT TO` addresses, without `<>`.
    pub envelope_to: Vec<String>,
    /// The DATA, dot-unstuffed (ends with CRLF).
    pub raw: Vec<u8>,
    /// Decoded `Subject` ("" if none).
    pub subject: String,
    /// Addresses in the `To` header.
    pub to: Vec<String>,
    /// Decoded text/plain part ("" if none).
    pub text: String,
    /// Decoded text/html part.
    pub html: Option<String>,
    /// `Message-ID`, without `<>`.
    pub message_id: Option<String>,
    /// Top-level headers: name and raw (undecoded, trimmed) value.
    pub headers: Vec<(String, String)>,
}

impl ReceivedMail {
    fn parse(envelope_from: String, envelope_to: Vec<String>, raw: Vec<u8>) -> Self {
        let mut mail = ReceivedMail {
            envelope_from,
            envelope_to,
            raw: Vec::new(),
            subject: String::new(),
            to: Vec::new(),
            text: String::new(),
            html: None,
            message_id: None,
            headers: Vec::new(),
        };
        if let Some(msg) = MessageParser::default().parse(&raw) {
            mail.subject = msg.subject().unwrap_or_default().to_owned();
            mail.to = (msg.to().into_iter().flat_map(|a| a.iter()))
                .filter_map(|a| a.address().map(str::to_owned))
                .collect();
            let text = msg.text_part(0).filter(|p| !p.is_text_html());
            mail.text = text
                .and_then(|p| p.text_contents())
                .unwrap_or_default()
                .to_owned();
            let html = msg.html_part(0).filter(|p| p.is_text_html());
            mail.html = html.and_then(|p| p.text_contents()).map(str::to_owned);
            mail.message_id = msg.message_id().map(str::to_owned);
            mail.headers = (msg.headers_raw())
                .map(|(name, value)| (name.to_owned(), value.trim().to_owned()))
                .collect();
        }
        mail.raw = raw;
        mail
    }
}

impl SmtpServer {
    /// Starts a server on `127.0.0.1` with a port chosen by the system.
    pub async fn start() -> SmtpServer {
        let listener = listen(SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind SMTP server");
        let shared = Arc::new(Shared {
            mails: watch::Sender::new(Vec::new()),
            reject: AtomicBool::new(false),
        });
        let mut server = SmtpServer {
            addr: listener.local_addr().expect("SMTP server address"),
            shared,
            running: None,
        };
        server.spawn(listener);
        server
    }

    /// The port the server listens on (kept across `stop`/`restart`).
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `smtp://127.0.0.1:PORT`, suitable for `AsyncSmtpTransport::from_url`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Stops accepting connections and closes the open ones; connecting is then refused.
    pub async fn stop(&mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
    }

    /// Listens again on the same port (retrying the bind for up to 5 s).
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut attempts = 0;
        let listener = loop {
            match listen(self.addr) {
                Ok(listener) => break listener,
                Err(e) if attempts >= 100 => panic!("cannot listen again on {}: {e}", self.addr),
                Err(_) => attempts += 1,
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        self.spawn(listener);
    }

    /// Every message received so far, in order of arrival.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.shared.mails.borrow().clone()
    }

    /// Waits until at least `count` messages arrived and returns them all; panics on timeout.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let mut rx = self.shared.mails.subscribe();
        if let Ok(Ok(mails)) =
            tokio::time::timeout(timeout, rx.wait_for(|m| m.len() >= count)).await
        {
            return mails.clone();
        }
        let got: Vec<_> = (self.messages().into_iter())
            .map(|m| format!("{:?} → {:?}", m.subject, m.envelope_to))
            .collect();
        panic!(
            "expected {count} mail(s) within {timeout:?}, got {}: {got:#?}",
            got.len()
        );
    }

    /// While `true`, the end of DATA is answered `451` (temporary failure) and nothing is recorded.
    pub fn set_reject(&self, reject: bool) {
        self.shared.reject.store(reject, Ordering::SeqCst);
    }

    fn spawn(&mut self, listener: TcpListener) {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, self.shared.clone(), stopped));
        self.running = Some((stop, task));
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some((_, task)) = self.running.take() {
            task.abort(); // drops the listener and the `JoinSet`, which aborts the sessions
        }
    }
}

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(128)
}

/// Accept loop: one task per connection; on stop, closes the listener then every session.
async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    sessions.spawn(session(stream, shared.clone()));
                }
            }
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
    drop(listener);
    sessions.shutdown().await;
}

/// One SMTP conversation; I/O errors simply end it.
async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = Vec::new();
    let mut from: Option<String> = None;
    let mut rcpts: Vec<String> = Vec::new();
    write
        .write_all(b"220 127.0.0.1 assidu test SMTP\r\n")
        .await?;
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line);
        let command = command.trim_end_matches(['\r', '\n']);
        let upper = command.to_ascii_uppercase();
        let verb = upper.split(' ').next().unwrap_or_default();
        let reply: &[u8] = match verb {
            "EHLO" => {
                (from, rcpts) = (None, Vec::new());
                b"250-127.0.0.1 hello\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            }
            "HELO" => {
                (from, rcpts) = (None, Vec::new());
                b"250 127.0.0.1 hello\r\n"
            }
            "MAIL" if upper.starts_with("MAIL FROM:") => {
                from = Some(address(&command["MAIL FROM:".len()..]));
                rcpts.clear();
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" if upper.starts_with("RCPT TO:") && from.is_some() => {
                rcpts.push(address(&command["RCPT TO:".len()..]));
                b"250 2.1.5 OK\r\n"
            }
            "MAIL" | "RCPT" => b"501 5.5.4 syntax error or bad sequence\r\n",
            "DATA" if from.is_none() || rcpts.is_empty() => b"503 5.5.1 need MAIL and RCPT\r\n",
            "DATA" => {
                write
                    .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let raw = read_data(&mut read).await?;
                let (from, rcpts) = (from.take().unwrap_or_default(), std::mem::take(&mut rcpts));
                if shared.reject.load(Ordering::SeqCst) {
                    b"451 4.3.0 try again later\r\n"
                } else {
                    let mail = ReceivedMail::parse(from, rcpts, raw);
                    shared.mails.send_modify(|mails| mails.push(mail));
                    b"250 2.0.0 queued\r\n"
                }
            }
            "RSET" => {
                (from, rcpts) = (None, Vec::new());
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return write.shutdown().await;
            }
            _ => b"502 5.5.2 command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// Reads DATA lines up to the lone `.`, undoing dot-stuffing.
async fn read_data(read: &mut (impl AsyncBufReadExt + Unpin)) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(data);
        }
        data.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
    }
}

/// `<a@b> SIZE=123` (after `MAIL FROM:` / `RCPT TO:`) → `a@b`.
fn address(arg: &str) -> String {
    let arg = arg.trim_start();
    match arg.strip_prefix('<').and_then(|a| a.split_once('>')) {
        Some((addr, _)) => addr.to_owned(),
        None => arg.split(' ').next().unwrap_or_default().to_owned(),
    }
}

#[tokio::test]
async fn the_test_smtp_server_receives_what_lettre_sends() -> Result<(), Box<dyn std::error::Error>>
{
    use lettre::message::{Mailbox, MultiPart};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    let mut server = SmtpServer::start().await;
    assert_eq!(server.url(), format!("smtp://127.0.0.1:{}", server.port()));
    // `from_url` maps `smtp://host:port` (no `?tls=` parameter) to `Tls::None`: plaintext.
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(&server.url())?.build();
    let subject = "Absence de Zoé Élève — 15/09/2025 « matin »";
    let text =
        "Bonjour,\nZoé était absente ce matin. Très cordialement.\n.point en début de ligne\n";
    let html =
        "<p>Bonjour,</p><p>Zoé était <strong>absente</strong> ce matin. Très cordialement.</p>";
    let message = |subject: &str| -> Result<Message, lettre::error::Error> {
        Message::builder()
            .from("Assidu <noreply@assidu.test>".parse::<Mailbox>().unwrap())
            .to("Famille Élève <parent@example.org>"
                .parse::<Mailbox>()
                .unwrap())
            .bcc("direction@example.org".parse::<Mailbox>().unwrap())
            .subject(subject)
            .message_id(Some("<absence-1@assidu.test>".to_owned()))
            .multipart(MultiPart::alternative_plain_html(
                text.to_owned(),
                html.to_owned(),
            ))
    };

    mailer.send(message(subject)?).await?;
    let mails = server.wait_for(1, Duration::from_secs(5)).await;
    let mail = &mails[0];
    assert_eq!(mail.subject, subject);
    assert_eq!(mail.text.replace("\r\n", "\n"), text);
    assert_eq!(mail.html.as_deref().map(str::trim_end), Some(html));
    assert_eq!(mail.envelope_from, "noreply@assidu.test");
    assert_eq!(mail.envelope_to.len(), 2, "{:?}", mail.envelope_to);
    assert!(mail.envelope_to.contains(&"parent@example.org".to_owned()));
    assert!(
        mail.envelope_to
            .contains(&"direction@example.org".to_owned())
    );
    assert_eq!(mail.to, ["parent@example.org"]);
    assert_eq!(mail.message_id.as_deref(), Some("absence-1@assidu.test"));
    let header = |name: &str| {
        mail.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    assert!(header("Bcc").is_none(), "Bcc must not be transmitted");
    let (_, raw_subject) = header("Subject").expect("Subject header");
    // Encoded word by word (RFC 2047), possibly folded: no raw non-ASCII on the wire.
    assert!(
        raw_subject.contains("=?utf-8?") && raw_subject.is_ascii(),
        "{raw_subject}"
    );
    assert!(String::from_utf8_lossy(&mail.raw).contains("text/html"));
    assert!(mail.raw.ends_with(b"\r\n"));
    assert!(!mail.raw.ends_with(b"\r\n.\r\n"));
    let mut stuffed: &[u8] = b"a\r\n..b\r\n.\r\nQUIT\r\n";
    assert_eq!(read_data(&mut stuffed).await?, b"a\r\n.b\r\n");

    // Stopped: the pooled connection is closed and new connections are refused.
    server.stop().await;
    assert!(mailer.send(message("stopped")?).await.is_err());
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", server.port()))
            .await
            .is_err()
    );

    // Restarted on the same port: sequential (pooled) and concurrent sends get through.
    server.restart().await;
    mailer.send(message("après redémarrage 1")?).await?;
    mailer.send(message("après redémarrage 2")?).await?;
    let (a, b) = tokio::join!(
        mailer.send(message("parallèle A")?),
        mailer.send(message("parallèle B")?)
    );
    a?;
    b?;
    let mails = server.wait_for(5, Duration::from_secs(5)).await;
    assert_eq!(mails[1].subject, "après redémarrage 1");
    assert_eq!(mails[2].subject, "après redémarrage 2");

    // Rejecting: the client gets a transient (4xx) error and nothing is recorded.
    server.set_reject(true);
    let err = mailer
        .send(message("refusé")?)
        .await
        .expect_err("451 expected");
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(server.messages().len(), 5);
    server.set_reject(false);
    mailer.send(message("accepté")?).await?;
    assert_eq!(
        server.wait_for(6, Duration::from_secs(5)).await[5].subject,
        "accepté"
    );
    Ok(())
}
