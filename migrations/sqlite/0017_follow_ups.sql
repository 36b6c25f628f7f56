-- The contract's follow-up on record (« livret de suivi », issue 19, Qualiopi indicators 12
-- and 13): visits, phone calls and three-party interviews between the school and the
-- company. Entries are never rewritten: a correction is a new entry, so the record stays
-- evidence. The author's name is kept as it was when they wrote.
CREATE TABLE follow_ups (
    id INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('visit', 'call', 'interview')),
    day DATE NOT NULL,
    participants TEXT NOT NULL,
    topic TEXT NOT NULL,
    report TEXT NOT NULL,
    recorded_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    recorded_by_name TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX follow_ups_contract_day ON follow_ups (contract_id, day);

-- Weeks without any follow-up after which the office's home lists a current contract.
ALTER TABLE school ADD COLUMN follow_up_weeks INTEGER NOT NULL DEFAULT 8;
