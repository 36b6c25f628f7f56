//! The background worker of each instance: absence notices whose grace delay is over,
//! scheduled jobs that are due, then the outbox, and SQLite's WAL checkpoint. Every step is safe with several instances
//! on one database and after a crash at any point.

use std::time::Duration;

use crate::app::ApiContext;
use crate::mail::outbox;
use crate::{jobs, notices};

/// Starts the worker; it runs until the runtime stops.
pub fn spawn(ctx: ApiContext) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(
            ctx.mail
                .settings
                .worker_interval
                .max(Duration::from_millis(20)),
        );
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            round(&ctx).await;
        }
    })
}

/// One pass; a failing step is logged and retried next time without stopping the others.
pub async fn round(ctx: &ApiContext) {
    if let Err(e) = notices::process_due(ctx, 200).await {
        tracing::warn!(error = %format!("{e:#}"), "absence notices postponed");
    }
    if let Err(e) = jobs::tick(ctx).await {
        tracing::warn!(error = %format!("{e:#}"), "scheduled jobs postponed");
    }
    if let Err(e) = outbox::send_due(&ctx.db, &ctx.mail, || ctx.clock.now(), 100).await {
        tracing::warn!(error = %e, "outbox postponed");
    }
    if let Err(e) = ctx.db.checkpoint().await {
        tracing::warn!(error = %e, "WAL checkpoint postponed");
    }
}
