-- The log of applied CSV imports (companies, tutors, students, contracts): when, from where,
-- by whom, and how many records each file created, updated or left unchanged.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    imported_at TIMESTAMP NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('api', 'cli')),
    user_id INTEGER REFERENCES users (id),
    -- {"students": [created, updated, unchanged], ...}
    summary TEXT NOT NULL
);
