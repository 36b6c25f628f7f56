-- Foundation: school, years, calendars, programmes, parties, contracts, sessions, accounts.
-- Dates are civil dates (Europe/Paris); timestamps are UTC.

CREATE TABLE school (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    legal_entity TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    office_email TEXT NOT NULL,
    siret TEXT NOT NULL,
    ape_code TEXT NOT NULL,
    activity_number TEXT NOT NULL,
    datadock_id TEXT NOT NULL DEFAULT '',
    signatory_name TEXT NOT NULL,
    signatory_title TEXT NOT NULL,
    city TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE academic_years (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL
);

CREATE TABLE calendars (
    id INTEGER PRIMARY KEY,
    academic_year_id INTEGER NOT NULL REFERENCES academic_years (id),
    name TEXT NOT NULL,
    UNIQUE (academic_year_id, name)
);

CREATE TABLE calendar_days (
    calendar_id INTEGER NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('school', 'company', 'holiday')),
    note TEXT,
    PRIMARY KEY (calendar_id, day)
);

CREATE TABLE programmes (
    id INTEGER PRIMARY KEY,
    department TEXT NOT NULL,
    department_name TEXT NOT NULL,
    option_name TEXT NOT NULL DEFAULT '',
    qualification TEXT NOT NULL,
    rncp TEXT NOT NULL,
    UNIQUE (department, option_name)
);

CREATE TABLE companies (
    id INTEGER PRIMARY KEY,
    legal_name TEXT NOT NULL,
    siret TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    representative_name TEXT NOT NULL DEFAULT '',
    representative_role TEXT NOT NULL DEFAULT ''
);

CREATE TABLE tutors (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES companies (id),
    last_name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    function TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT ''
);

CREATE TABLE students (
    id INTEGER PRIMARY KEY,
    last_name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL DEFAULT '',
    birth_date DATE NOT NULL,
    birth_place TEXT NOT NULL DEFAULT ''
);

CREATE TABLE teachers (
    id INTEGER PRIMARY KEY,
    last_name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE
);

CREATE TABLE student_groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    academic_year_id INTEGER NOT NULL REFERENCES academic_years (id),
    calendar_id INTEGER NOT NULL REFERENCES calendars (id),
    programme_id INTEGER REFERENCES programmes (id),
    UNIQUE (academic_year_id, name)
);

CREATE TABLE modules (
    id INTEGER PRIMARY KEY,
    programme_id INTEGER REFERENCES programmes (id),
    name TEXT NOT NULL
);

CREATE TABLE contracts (
    id INTEGER PRIMARY KEY,
    student_id INTEGER NOT NULL REFERENCES students (id),
    company_id INTEGER NOT NULL REFERENCES companies (id),
    tutor_id INTEGER NOT NULL REFERENCES tutors (id),
    programme_id INTEGER NOT NULL REFERENCES programmes (id),
    academic_year_id INTEGER NOT NULL REFERENCES academic_years (id),
    group_id INTEGER REFERENCES student_groups (id),
    kind TEXT NOT NULL DEFAULT 'contrat de professionnalisation',
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    defence_date DATE,
    place TEXT NOT NULL,
    planned_minutes_s9 INTEGER NOT NULL,
    planned_minutes_s10 INTEGER NOT NULL,
    price_s9_cents INTEGER NOT NULL,
    price_s10_cents INTEGER NOT NULL,
    opco_name TEXT NOT NULL DEFAULT '',
    subrogation BOOLEAN NOT NULL DEFAULT FALSE,
    subrogation_received_on DATE,
    opco_agreement_on DATE,
    opco_hourly_cents INTEGER,
    termination_date DATE,
    termination_reason TEXT
);
CREATE INDEX contracts_student ON contracts (student_id);
CREATE INDEX contracts_group ON contracts (group_id);
CREATE INDEX contracts_tutor ON contracts (tutor_id);

CREATE TABLE training_sessions (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES student_groups (id),
    module_id INTEGER NOT NULL REFERENCES modules (id),
    teacher_id INTEGER NOT NULL REFERENCES teachers (id),
    day DATE NOT NULL,
    starts_at TIME NOT NULL,
    ends_at TIME NOT NULL,
    room TEXT NOT NULL DEFAULT '',
    signed_at TIMESTAMP,
    signed_by INTEGER
);
CREATE INDEX training_sessions_group_day ON training_sessions (group_id, day);
CREATE INDEX training_sessions_teacher_day ON training_sessions (teacher_id, day);
CREATE INDEX training_sessions_day ON training_sessions (day);

CREATE TABLE attendance_marks (
    session_id INTEGER NOT NULL REFERENCES training_sessions (id),
    student_id INTEGER NOT NULL REFERENCES students (id),
    status TEXT NOT NULL CHECK (status IN ('present', 'late', 'left_early', 'absent', 'excused')),
    minutes_missed INTEGER NOT NULL DEFAULT 0 CHECK (minutes_missed >= 0),
    note TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL CHECK (source IN ('self', 'teacher', 'admin', 'import')),
    recorded_by INTEGER,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, student_id)
);
CREATE INDEX attendance_marks_student ON attendance_marks (student_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'teacher', 'student', 'tutor')),
    display_name TEXT NOT NULL,
    teacher_id INTEGER REFERENCES teachers (id),
    student_id INTEGER REFERENCES students (id),
    tutor_id INTEGER REFERENCES tutors (id),
    locale TEXT NOT NULL DEFAULT 'fr',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE auth_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

-- Failed logins per account and per client address, shared by every instance.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL
);

CREATE TABLE app_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
