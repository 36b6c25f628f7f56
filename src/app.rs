//! Builds the application (state, router, middleware) and serves it until shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::cache::ReadCache;
use crate::clock::Clock;
use crate::config::{AttendanceSettings, AuthSettings, JobSettings, Schedules};
use crate::db::Db;
use crate::error::AppError;
use crate::mail::MailService;

/// What every handler can reach.
#[derive(Clone)]
pub struct ApiContext {
    pub db: Db,
    pub auth: Arc<AuthSettings>,
    pub attendance: Arc<AttendanceSettings>,
    pub clock: Clock,
    /// Base of absolute links, without a trailing slash.
    pub public_url: Arc<str>,
    /// Signs the rotating sign-in codes; kept in the database so every instance agrees.
    pub signin_secret: Arc<[u8]>,
    /// Signs the links in mails ([`crate::domain::mail_link`]); shared like the above.
    pub mail_link_secret: Arc<[u8]>,
    pub mail: Arc<MailService>,
    pub jobs: Arc<JobContext>,
    /// Tokens and summary inputs recently read (see [`crate::cache`]).
    pub cache: Arc<ReadCache>,
    /// The key the certificates are signed with.
    pub signing: Arc<crate::signing::Signing>,
}

/// The scheduled jobs' settings and their parsed schedules.
pub struct JobContext {
    pub settings: JobSettings,
    pub schedules: Schedules,
    /// Set once this process's worker has run the start-up issuing of certificates.
    pub started: std::sync::atomic::AtomicBool,
}

impl ApiContext {
    pub async fn new(
        db: Db,
        auth: AuthSettings,
        attendance: AttendanceSettings,
        mail: MailService,
        jobs: JobSettings,
        public_url: &str,
    ) -> anyhow::Result<ApiContext> {
        let schedules = jobs.schedules()?;
        let clock = match attendance.pretend_now {
            Some(start) => Clock::starting_at(start),
            None => Clock::system(),
        };
        let signin_secret = crate::auth::shared_secret(&db, "signin_secret").await?;
        let mail_link_secret = crate::auth::shared_secret(&db, "mail_link_secret").await?;
        let cache = Arc::new(ReadCache::new(attendance.read_cache_ttl, clock.clone()));
        Ok(ApiContext {
            db,
            auth: Arc::new(auth),
            attendance: Arc::new(attendance),
            clock,
            public_url: public_url.trim_end_matches('/').into(),
            signin_secret: signin_secret.into_bytes().into(),
            mail_link_secret: mail_link_secret.into_bytes().into(),
            mail: Arc::new(mail),
            jobs: Arc::new(JobContext {
                settings: jobs,
                schedules,
                started: std::sync::atomic::AtomicBool::new(false),
            }),
            cache,
            signing: Arc::new(crate::signing::Signing::new(None)),
        })
    }

    /// Signs the certificates with `signing` (by default: the installation's key).
    pub fn with_signing(mut self, signing: crate::signing::Signing) -> Self {
        self.signing = Arc::new(signing);
        self
    }
}

impl ApiContext {
    /// The absolute URL of `path` (a query may follow) that account `user_id` may open from
    /// a mail without a password, read-only, for `ASSIDU_MAIL_LINK_TTL`; see
    /// [`crate::mail::links::LinkSigner::sign`].
    pub fn mail_link(&self, user_id: i64, path: &str) -> String {
        crate::mail::links::LinkSigner::of(self).sign(user_id, path, self.clock.now())
    }

    /// Whether links in mails and the certificates' QR codes would point at this machine
    /// itself (`ASSIDU_PUBLIC_URL` unset, or a loopback address): nobody else could open them.
    pub fn public_url_is_local(&self) -> bool {
        is_local_url(&self.public_url)
    }
}

/// A URL that only the machine itself can open.
pub fn is_local_url(url: &str) -> bool {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        None => true,
    }
}

pub fn router(ctx: ApiContext) -> Router {
    let security_headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    let mut router = crate::http::router()
        .layer(axum::middleware::from_fn(crate::web::login_for_browsers))
        .layer(axum::middleware::from_fn_with_state(
            ctx.clone(),
            crate::cache::invalidate_after_writes,
        ))
        .with_state(ctx)
        .layer(CatchPanicLayer::custom(|_| -> Response {
            AppError::Internal(anyhow::anyhow!("panic in a request handler")).into_response()
        }))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                // The path only (no query string), and a calendar link's secret never reaches
                // the log.
                let path = req.uri().path();
                let shown = if path.starts_with("/ical/") {
                    "/ical/…"
                } else {
                    path
                };
                tracing::debug_span!("request", method = %req.method(), path = %shown)
            }),
        );
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
}

/// A bound, not yet serving, application: tests read its port, `serve` runs it.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    pub async fn bind(ctx: ApiContext, addr: SocketAddr) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("impossible d’écouter sur {addr} : {e}"))?;
        Ok(Application {
            listener,
            router: router(ctx),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
    pub async fn serve(self) -> anyhow::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await?;
        Ok(())
    }

    /// Serves until the future completes (tests).
    pub async fn serve_until(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop)
        .await?;
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("arrêt demandé : fin des requêtes en cours");
}
