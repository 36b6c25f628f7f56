-- Billing (Articles 6 and 7): where termination notices go, the terminations recorded with
-- their letters and final statement, and files attached to mails.

-- The OPCO's address for the notices about this contract.
ALTER TABLE contracts ADD COLUMN opco_email TEXT NOT NULL DEFAULT '';
-- The DREETS the school reports terminations to.
ALTER TABLE school ADD COLUMN dreets_email TEXT NOT NULL DEFAULT '';

-- An early termination or a withdrawal recorded on a contract, frozen as it was told.
CREATE TABLE terminations (
    id INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    -- Printed on the letters, e.g. RUP-2025-42-1.
    reference TEXT NOT NULL UNIQUE,
    termination_date DATE NOT NULL,
    reason TEXT NOT NULL,
    -- Before the start: the convention is cancelled (Article 7).
    withdrawal BOOLEAN NOT NULL,
    -- The date this record corrects, when an earlier termination is rectified.
    corrects_date DATE,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by INTEGER REFERENCES users (id),
    -- The final statement as JSON and as the PDF that was sent.
    statement TEXT NOT NULL,
    statement_pdf BLOB NOT NULL,
    UNIQUE (contract_id, termination_date)
);

-- The letters telling the OPCO and the DREETS, as sent.
CREATE TABLE termination_letters (
    termination_id INTEGER NOT NULL REFERENCES terminations (id),
    recipient TEXT NOT NULL CHECK (recipient IN ('opco', 'dreets')),
    email TEXT NOT NULL,
    pdf BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (termination_id, recipient)
);

-- Files sent with a mail, in order.
CREATE TABLE outbox_attachments (
    outbox_id INTEGER NOT NULL REFERENCES outbox (id),
    position INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (outbox_id, position)
);
