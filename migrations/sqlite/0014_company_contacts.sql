-- Company contacts (role `company`, issue 19): an account linked to a company sees every
-- contract of that company. SQLite cannot change a CHECK constraint in place, so `users` is
-- rebuilt as SQLite's ALTER TABLE page prescribes: create, copy, drop, rename. `Db::migrate`
-- runs SQLite's migrations with foreign keys off (they cannot be turned off inside the
-- migration's transaction) and checks every foreign key afterwards.
CREATE TABLE users_rebuilt (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'teacher', 'student', 'tutor', 'company')),
    display_name TEXT NOT NULL,
    teacher_id INTEGER REFERENCES teachers (id),
    student_id INTEGER REFERENCES students (id),
    tutor_id INTEGER REFERENCES tutors (id),
    locale TEXT NOT NULL DEFAULT 'fr',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    company_id INTEGER REFERENCES companies (id)
);
INSERT INTO users_rebuilt (id, email, password_hash, role, display_name, teacher_id,
    student_id, tutor_id, locale, active, created_at)
    SELECT id, email, password_hash, role, display_name, teacher_id, student_id, tutor_id,
    locale, active, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
CREATE INDEX users_company ON users (company_id);
