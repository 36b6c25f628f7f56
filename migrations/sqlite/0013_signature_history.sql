-- Signatures of a sheet that a later change of its marks voided: the sheet went back to
-- « à signer » (training_sessions.signed_at is cleared) and the old signature stays here,
-- with when, by whom and why it was voided.
CREATE TABLE voided_signatures (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES training_sessions (id) ON DELETE CASCADE,
    signed_at TIMESTAMP NOT NULL,
    signed_by INTEGER,
    voided_at TIMESTAMP NOT NULL,
    voided_by INTEGER,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX voided_signatures_session ON voided_signatures (session_id);
