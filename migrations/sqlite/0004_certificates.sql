-- The S9 and S10 certificates (Article 3): issued once, frozen, verifiable by anyone.

CREATE TABLE certificates (
    id INTEGER PRIMARY KEY,
    -- Printed on the document and in its QR code; random, so numbers cannot be enumerated.
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('attestation', 'certificat_realisation')),
    semester TEXT NOT NULL CHECK (semester IN ('S9', 'S10')),
    student_id INTEGER NOT NULL REFERENCES students (id),
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    -- Everything the document prints, as JSON: it is rendered from this, never from live data.
    snapshot TEXT NOT NULL,
    -- The document itself and its SHA-256 (hex): downloads give these exact bytes.
    pdf BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    -- NULL when the scheduled job issued it.
    issued_by INTEGER REFERENCES users (id),
    -- Set when an admin issued it before the semester was complete.
    forced_reason TEXT,
    superseded_at TIMESTAMP,
    -- The number of the certificate that replaces it (written before that one exists).
    superseded_by TEXT,
    supersede_reason TEXT
);
CREATE INDEX certificates_student ON certificates (student_id);
CREATE INDEX certificates_sha256 ON certificates (sha256);
-- One valid document of each kind per contract and semester.
CREATE UNIQUE INDEX certificates_current ON certificates (contract_id, semester, kind)
    WHERE superseded_at IS NULL;
