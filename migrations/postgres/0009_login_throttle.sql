-- Failed-login counters are counted atomically by one upsert (see src/db/login_throttle.rs):
-- times become integers (milliseconds since the epoch) that both engines add and compare
-- inside that statement. The old counters are only minutes of back-off: they start afresh.
DROP TABLE login_throttle;
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_ms BIGINT NOT NULL,
    next_attempt_ms BIGINT NOT NULL
);

-- Where each account logged in successfully: such an address skips the account-wide back-off.
CREATE TABLE login_familiar (
    email TEXT NOT NULL,
    client TEXT NOT NULL,
    last_success_ms BIGINT NOT NULL,
    PRIMARY KEY (email, client)
);
