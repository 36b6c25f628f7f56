-- Company contacts (role `company`, issue 19): an account linked to a company sees every
-- contract of that company.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'teacher', 'student', 'tutor', 'company'));
ALTER TABLE users ADD COLUMN company_id BIGINT REFERENCES companies (id);
CREATE INDEX users_company ON users (company_id);
