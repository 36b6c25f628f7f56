-- The « cachet et signature » of the certificates: the school's stamp and its signatory's
-- signature, PNG images drawn under the signatory's name.
ALTER TABLE school ADD COLUMN stamp_png BLOB;
ALTER TABLE school ADD COLUMN signature_png BLOB;

-- The installation's signing key when no PKCS#12 file is configured: an ECDSA P-256 key
-- (PKCS#8) and its self-signed certificate (DER), generated once; one row at most, so that
-- instances starting together end up with the same key.
CREATE TABLE signing_keys (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key_pkcs8 BLOB NOT NULL,
    certificate BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);
