-- Roll call: the evidence trail of every mark and the students' own sign-ins.

-- Every change of a mark, never updated nor deleted: who, when, from where, old and new.
CREATE TABLE attendance_history (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES training_sessions (id),
    student_id INTEGER NOT NULL REFERENCES students (id),
    old_status TEXT,
    old_minutes_missed INTEGER,
    old_note TEXT,
    new_status TEXT NOT NULL,
    new_minutes_missed INTEGER NOT NULL,
    new_note TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('self', 'teacher', 'admin', 'import')),
    changed_by INTEGER REFERENCES users (id),
    changed_at TIMESTAMP NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX attendance_history_session ON attendance_history (session_id, id);

-- A student's own claim of presence, kept beside the teacher's mark that confirms or overrides it.
CREATE TABLE self_signins (
    session_id INTEGER NOT NULL REFERENCES training_sessions (id),
    student_id INTEGER NOT NULL REFERENCES students (id),
    signed_at TIMESTAMP NOT NULL,
    with_code BOOLEAN NOT NULL,
    PRIMARY KEY (session_id, student_id)
);
