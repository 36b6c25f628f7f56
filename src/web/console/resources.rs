//! Each resource's console: its form's fields, its list's columns, what is searched and
//! sorted, and the pages about one record.

use super::{Console, Field, Kind, opt, req};
use crate::records::{calendars, contracts, parties, programmes, sessions, years};

const PERSON: &str = "last_name || ' ' || first_name";
const YEAR: Kind = Kind::Ref("academic_years", "name");
const PROGRAMME: Kind = Kind::Ref(
    "programmes",
    "department || ' ' || department_name || CASE WHEN option_name <> '' THEN ' — ' || option_name ELSE '' END",
);

impl Console for years::Years {
    const TITLE: &'static str = "c_years";
    const FIELDS: &'static [Field] = &[
        req("name", Kind::Text),
        req("starts_on", Kind::Date),
        req("ends_on", Kind::Date),
    ];
    const LIST: &'static [&'static str] = &["name", "starts_on", "ends_on"];
    const SEARCH: &'static [&'static str] = &["name"];
    const SORTS: &'static [&'static str] = &["name", "starts_on"];
}

impl Console for calendars::Calendars {
    const TITLE: &'static str = "c_calendars";
    const FIELDS: &'static [Field] = &[req("academic_year_id", YEAR), req("name", Kind::Text)];
    const LIST: &'static [&'static str] = &["name", "academic_year_id"];
    const SEARCH: &'static [&'static str] = &["name"];
    const SORTS: &'static [&'static str] = &["name"];
    const LINKS: &'static [(&'static str, &'static str)] =
        &[("c_calendar_picture", "/console/calendars/{id}/picture")];
}

impl Console for programmes::Programmes {
    const TITLE: &'static str = "c_programmes";
    const FIELDS: &'static [Field] = &[
        req("department", Kind::Text),
        req("department_name", Kind::Text),
        opt("option_name", Kind::Text),
        req("qualification", Kind::Text),
        req("rncp", Kind::Text),
    ];
    const LIST: &'static [&'static str] = &["department", "department_name", "option_name", "rncp"];
    const SEARCH: &'static [&'static str] = &["department", "department_name", "option_name"];
    const SORTS: &'static [&'static str] = &["department", "department_name"];
}

impl Console for programmes::Modules {
    const TITLE: &'static str = "c_modules";
    const FIELDS: &'static [Field] = &[opt("programme_id", PROGRAMME), req("name", Kind::Text)];
    const LIST: &'static [&'static str] = &["name", "programme_id"];
    const SEARCH: &'static [&'static str] = &["name"];
    const SORTS: &'static [&'static str] = &["name"];
}

impl Console for programmes::Groups {
    const TITLE: &'static str = "c_groups";
    const FIELDS: &'static [Field] = &[
        req("name", Kind::Text),
        req("academic_year_id", YEAR),
        req("calendar_id", Kind::Ref("calendars", "name")),
        opt("programme_id", PROGRAMME),
    ];
    const LIST: &'static [&'static str] = &["name", "academic_year_id", "calendar_id"];
    const SEARCH: &'static [&'static str] = &["name"];
    const SORTS: &'static [&'static str] = &["name"];
    const LINKS: &'static [(&'static str, &'static str)] = &[
        ("c_timetable", "/console/groups/{id}/timetable"),
        ("tts_link", "/groups/{id}/timetable-sources"),
    ];
}

impl Console for parties::Companies {
    const TITLE: &'static str = "c_companies";
    const FIELDS: &'static [Field] = &[
        req("legal_name", Kind::Text),
        req("siret", Kind::Text),
        req("address", Kind::LongText),
        opt("phone", Kind::Text),
        opt("representative_name", Kind::Text),
        opt("representative_role", Kind::Text),
    ];
    const LIST: &'static [&'static str] = &["legal_name", "siret", "phone"];
    const SEARCH: &'static [&'static str] = &["legal_name", "siret"];
    const SORTS: &'static [&'static str] = &["legal_name", "siret"];
}

impl Console for parties::Tutors {
    const TITLE: &'static str = "c_tutors";
    const FIELDS: &'static [Field] = &[
        req("company_id", Kind::Ref("companies", "legal_name")),
        req("last_name", Kind::Text),
        req("first_name", Kind::Text),
        opt("function", Kind::Text),
        req("email", Kind::Email),
        opt("phone", Kind::Text),
        opt("lang", Kind::Lang),
    ];
    const LIST: &'static [&'static str] = &["last_name", "first_name", "company_id", "email"];
    const SEARCH: &'static [&'static str] = &["last_name", "first_name", "email"];
    const SORTS: &'static [&'static str] = &["last_name", "email"];
}

impl Console for parties::Students {
    const TITLE: &'static str = "c_students";
    const FIELDS: &'static [Field] = &[
        req("last_name", Kind::Text),
        req("first_name", Kind::Text),
        req("email", Kind::Email),
        opt("address", Kind::LongText),
        req("birth_date", Kind::Date),
        opt("birth_place", Kind::Text),
        opt("lang", Kind::Lang),
    ];
    const LIST: &'static [&'static str] = &["last_name", "first_name", "email", "birth_date"];
    const SEARCH: &'static [&'static str] = &["last_name", "first_name", "email"];
    const SORTS: &'static [&'static str] = &["last_name", "email", "birth_date"];
    const LINKS: &'static [(&'static str, &'static str)] = &[("c_record", "/students/{id}")];
}

impl Console for parties::Teachers {
    const TITLE: &'static str = "c_teachers";
    const FIELDS: &'static [Field] = &[
        req("last_name", Kind::Text),
        req("first_name", Kind::Text),
        req("email", Kind::Email),
        opt("lang", Kind::Lang),
    ];
    const LIST: &'static [&'static str] = &["last_name", "first_name", "email"];
    const SEARCH: &'static [&'static str] = &["last_name", "first_name", "email"];
    const SORTS: &'static [&'static str] = &["last_name", "email"];
}

impl Console for contracts::Contracts {
    const TITLE: &'static str = "c_contracts";
    const FIELDS: &'static [Field] = &[
        req("student_id", Kind::Ref("students", PERSON)),
        req("company_id", Kind::Ref("companies", "legal_name")),
        req("tutor_id", Kind::Ref("tutors", PERSON)),
        req("programme_id", PROGRAMME),
        req("academic_year_id", YEAR),
        opt("group_id", Kind::Ref("student_groups", "name")),
        opt("kind", Kind::Text),
        req("start_date", Kind::Date),
        req("end_date", Kind::Date),
        opt("defence_date", Kind::Date),
        req("place", Kind::Text),
        req("planned_hours_s9", Kind::Hours),
        req("planned_hours_s10", Kind::Hours),
        req("price_s9_cents", Kind::Euros),
        req("price_s10_cents", Kind::Euros),
        opt("opco_name", Kind::Text),
        opt("opco_email", Kind::Email),
        opt("subrogation", Kind::Bool),
        opt("subrogation_received_on", Kind::Date),
        opt("opco_agreement_on", Kind::Date),
        opt("opco_hourly_cents", Kind::Euros),
        opt("termination_date", Kind::Date),
        opt("termination_reason", Kind::Text),
    ];
    const LIST: &'static [&'static str] = &[
        "student_id",
        "company_id",
        "group_id",
        "start_date",
        "end_date",
    ];
    const SEARCH: &'static [&'static str] = &[
        "(SELECT last_name || ' ' || first_name FROM students s WHERE s.id = contracts.student_id)",
        "(SELECT legal_name FROM companies e WHERE e.id = contracts.company_id)",
    ];
    const SORTS: &'static [&'static str] = &["start_date", "end_date"];
    const LINKS: &'static [(&'static str, &'static str)] = &[
        ("c_contract_page", "/console/contracts/{id}/overview"),
        ("c_billing", "/contracts/{id}/billing"),
    ];
}

impl Console for sessions::Sessions {
    const TITLE: &'static str = "c_sessions";
    const FIELDS: &'static [Field] = &[
        req("group_id", Kind::Ref("student_groups", "name")),
        req("module_id", Kind::Ref("modules", "name")),
        req("teacher_id", Kind::Ref("teachers", PERSON)),
        req("day", Kind::Date),
        req("starts_at", Kind::Time),
        req("ends_at", Kind::Time),
        opt("room", Kind::Text),
    ];
    const LIST: &'static [&'static str] = &[
        "day",
        "starts_at",
        "ends_at",
        "group_id",
        "module_id",
        "teacher_id",
        "room",
    ];
    const SEARCH: &'static [&'static str] = &["room"];
    const SORTS: &'static [&'static str] = &["day"];
    const LINKS: &'static [(&'static str, &'static str)] = &[("c_roll_call", "/sessions/{id}")];
}
