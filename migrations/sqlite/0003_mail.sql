-- Absence notices, justifications, the mail outbox and the scheduled jobs.

-- The language each person reads their mail in.
ALTER TABLE students ADD COLUMN lang TEXT NOT NULL DEFAULT 'fr' CHECK (lang IN ('fr', 'en'));
ALTER TABLE tutors ADD COLUMN lang TEXT NOT NULL DEFAULT 'fr' CHECK (lang IN ('fr', 'en'));
ALTER TABLE teachers ADD COLUMN lang TEXT NOT NULL DEFAULT 'fr' CHECK (lang IN ('fr', 'en'));

-- Every mail, written in the same transaction as what causes it, then sent by a worker.
-- Rendered when queued: the log shows exactly what left.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    -- Makes queuing idempotent: a job or a notice that runs twice queues once.
    dedup_key TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    lang TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    -- Why it is sent, in words, for the admin's log.
    reason TEXT NOT NULL,
    student_id INTEGER REFERENCES students (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    queued_at TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    -- A worker that claimed the mail holds it until then; after a crash another takes it over.
    lease_until TIMESTAMP,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TIMESTAMP,
    message_id TEXT NOT NULL,
    resend_of INTEGER REFERENCES outbox (id)
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_student ON outbox (student_id);

-- A student's day whose absences changed: its notice leaves once the grace delay is over.
CREATE TABLE absence_notice_due (
    student_id INTEGER NOT NULL REFERENCES students (id),
    day DATE NOT NULL,
    due_at TIMESTAMP NOT NULL,
    PRIMARY KEY (student_id, day)
);
CREATE INDEX absence_notice_due_at ON absence_notice_due (due_at);

-- What the last notice said of each absence, to tell a correction from a new absence.
CREATE TABLE absence_notified (
    session_id INTEGER NOT NULL REFERENCES training_sessions (id),
    student_id INTEGER NOT NULL REFERENCES students (id),
    status TEXT NOT NULL,
    minutes_missed INTEGER NOT NULL,
    notified_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, student_id)
);

-- A justification of one or more absences, with its file, and the admin's decision.
CREATE TABLE justifications (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES students (id),
    submitted_by INTEGER NOT NULL REFERENCES users (id),
    submitted_at TIMESTAMP NOT NULL,
    reason TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_type TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    file_sha256 TEXT NOT NULL,
    file_data BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'refused')),
    decided_by INTEGER REFERENCES users (id),
    decided_at TIMESTAMP,
    decision_comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX justifications_student ON justifications (student_id);
CREATE INDEX justifications_status ON justifications (status);

CREATE TABLE justification_absences (
    justification_id INTEGER NOT NULL REFERENCES justifications (id),
    session_id INTEGER NOT NULL REFERENCES training_sessions (id),
    PRIMARY KEY (justification_id, session_id)
);

-- One row per run of a scheduled job and due time: the primary key makes it run once
-- across instances; the latest row tells what to catch up after downtime.
CREATE TABLE job_runs (
    job TEXT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    ran_at TIMESTAMP NOT NULL,
    outcome TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job, due_at)
);

-- Sessions whose teacher was reminded of a missing roll call: once each.
CREATE TABLE roll_call_reminders (
    session_id INTEGER PRIMARY KEY REFERENCES training_sessions (id),
    reminded_at TIMESTAMP NOT NULL
);

-- Alerts sent about a contract: each threshold of a semester, each dropout streak, once.
CREATE TABLE absence_alerts (
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    alert TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (contract_id, alert)
);
