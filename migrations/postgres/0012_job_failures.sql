-- A scheduled job that failed: its error and when it may be tried again (back-off), so that
-- it fails alone while the other jobs run on. Cleared by its next success.
CREATE TABLE job_failures (
    job TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_error TEXT NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL,
    retry_at TIMESTAMPTZ NOT NULL
);
