-- Each absence notice sent to a tutor (issue 19, point 2), written in the notice mail's
-- transaction, and its acknowledgement: who, when. The office's digest lists those still
-- unacknowledged after 3 working days and reminds the tutor once (`reminded_at`).
CREATE TABLE absence_notices (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES students (id),
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    tutor_id INTEGER NOT NULL REFERENCES tutors (id),
    day DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('notice', 'correction')),
    -- What the mail said: one line per session (module, times, status, hours missed).
    summary TEXT NOT NULL,
    minutes_missed INTEGER NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    outbox_id INTEGER REFERENCES outbox (id),
    acknowledged_at TIMESTAMP,
    acknowledged_by INTEGER REFERENCES users (id),
    reminded_at TIMESTAMP,
    reminder_outbox_id INTEGER REFERENCES outbox (id)
);
CREATE INDEX absence_notices_student ON absence_notices (student_id, day);
CREATE INDEX absence_notices_contract ON absence_notices (contract_id);
CREATE INDEX absence_notices_open ON absence_notices (acknowledged_at, sent_at);
