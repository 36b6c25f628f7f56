-- Sign-in links sent by mail (issue 19): one row per request, the token's SHA-256 only.
-- A request for an unknown address or a staff account also writes a row (no user): the
-- answer takes the same work either way. `used_at` makes a link single-use.
CREATE TABLE login_links (
    id INTEGER PRIMARY KEY,
    user_id INTEGER REFERENCES users (id),
    email TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX login_links_expiry ON login_links (expires_at);
