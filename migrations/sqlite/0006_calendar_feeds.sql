-- Calendar feeds (iCal): a secret link per person, read by calendar apps without a login.
-- Only the SHA-256 of the link's token is kept: the token itself is shown once, at creation.

CREATE TABLE calendar_feeds (
    id INTEGER PRIMARY KEY,
    -- SHA-256 (hex) of the token in the URL.
    token_hash TEXT NOT NULL UNIQUE,
    -- Whose timetable it shows: exactly one of the three.
    student_id INTEGER REFERENCES students (id),
    teacher_id INTEGER REFERENCES teachers (id),
    tutor_id INTEGER REFERENCES tutors (id),
    -- A name the owner gives the link (« téléphone »), to tell several apart.
    label TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    -- Refreshed at most once a minute when a calendar app reads the feed.
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    revoked_by INTEGER REFERENCES users (id),
    CHECK ((CASE WHEN student_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN teacher_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN tutor_id IS NULL THEN 0 ELSE 1 END) = 1)
);
CREATE INDEX calendar_feeds_student ON calendar_feeds (student_id);
CREATE INDEX calendar_feeds_teacher ON calendar_feeds (teacher_id);
CREATE INDEX calendar_feeds_tutor ON calendar_feeds (tutor_id);
