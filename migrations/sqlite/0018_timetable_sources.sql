-- Timetables the school already publishes (ADE, Hyperplanning, any iCalendar; issue 20):
-- a source per group, fetched from its URL or uploaded, with the rules that map its events
-- to modules, teachers and rooms.
CREATE TABLE timetable_sources (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES student_groups (id),
    label TEXT NOT NULL DEFAULT '',
    -- Fetched on each sync; NULL for an uploaded file.
    url TEXT,
    file_name TEXT,
    -- The uploaded file (a URL source keeps none: it is fetched anew).
    content TEXT,
    -- The mapping rules, as JSON.
    mapping TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- The last sync that changed something, and what it did (JSON counts).
    synced_at TIMESTAMP,
    last_counts TEXT,
    -- The last scheduled sync's failure (fetch or parse), cleared by a success.
    last_error TEXT
);
CREATE INDEX timetable_sources_group ON timetable_sources (group_id);

-- A session made from a source event keeps the event's UID (with its occurrence for a
-- recurring event), so that a re-sync finds it again.
ALTER TABLE training_sessions ADD COLUMN source_id INTEGER REFERENCES timetable_sources (id);
ALTER TABLE training_sessions ADD COLUMN source_uid TEXT;
CREATE UNIQUE INDEX training_sessions_source_uid ON training_sessions (source_id, source_uid);

-- A recorded session (marks, sign-ins or a signed sheet) whose event moved or vanished at
-- the source: never moved nor deleted by a sync, flagged for the office with both versions.
CREATE TABLE timetable_flags (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES timetable_sources (id),
    session_id INTEGER NOT NULL REFERENCES training_sessions (id),
    source_uid TEXT NOT NULL,
    change TEXT NOT NULL CHECK (change IN ('moved', 'vanished')),
    -- The session as recorded, and the source's version (NULL when it vanished), as JSON.
    recorded TEXT NOT NULL,
    at_source TEXT,
    flagged_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolved_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    resolution TEXT CHECK (resolution IN ('kept', 'applied'))
);
CREATE INDEX timetable_flags_session ON timetable_flags (session_id);
CREATE INDEX timetable_flags_open ON timetable_flags (resolved_at);
