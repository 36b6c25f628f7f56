//! Deciding what an import does, line by line, from what the database holds (read once by
//! `super`) and the files read by [`super::parse`]. No I/O here.
//!
//! Records the import creates get negative placeholder ids, so that a later file may refer
//! to them (a contract to a company of the same import); `super` swaps in the database's
//! ids when it writes.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde_json::Value as Json;

use super::parse::{self, Kind, Parsed, Record, error};
use super::{Action, KindReport, LineReport, Report};
use crate::db::Value;
use crate::domain::text::date_fr;
use crate::error::LineError;
use crate::records::contracts::{Contract, Contracts};
use crate::records::parties::{Companies, Company, Student, Students, Tutor, Tutors};
use crate::records::{Columns, Resource};

/// What the database holds, read once inside the import's transaction.
pub struct Stored {
    pub companies: Vec<Company>,
    pub tutors: Vec<Tutor>,
    pub students: Vec<Student>,
    pub contracts: Vec<Contract>,
    /// (id, department, option)
    pub programmes: Vec<(i64, String, String)>,
    /// (id, name, starts_on, ends_on)
    pub years: Vec<(i64, String, NaiveDate, NaiveDate)>,
    /// (id, academic year, name)
    pub groups: Vec<(i64, i64, String)>,
}

pub enum Step {
    Create,
    /// The database columns whose value changes.
    Update(Vec<&'static str>),
    Keep,
}

/// One line of a file, checked and ready to write.
pub struct Planned {
    pub line: usize,
    pub key: String,
    /// The record's id; negative for a record this import creates, until it is written.
    pub id: i64,
    pub columns: Columns,
    pub step: Step,
}

pub struct Plan {
    /// In the order of the files: companies, tutors, students, contracts.
    pub kinds: Vec<(Kind, Vec<Planned>)>,
    /// Every bad line; the plan is written only when there is none.
    pub errors: Vec<LineError>,
}

impl Plan {
    pub fn report(&self, dry_run: bool) -> Report {
        let kinds = self
            .kinds
            .iter()
            .map(|(kind, rows)| {
                let lines: Vec<LineReport> = rows
                    .iter()
                    .map(|p| {
                        let (action, changed) = match &p.step {
                            Step::Create => (Action::Created, Vec::new()),
                            Step::Keep => (Action::Unchanged, Vec::new()),
                            Step::Update(columns) => {
                                // The file's column names, once each.
                                let mut names: Vec<String> = Vec::new();
                                for c in columns {
                                    let name = kind.column(c).map_or(*c, |c| c.name).to_owned();
                                    if !names.contains(&name) {
                                        names.push(name);
                                    }
                                }
                                (Action::Updated, names)
                            }
                        };
                        LineReport {
                            line: p.line,
                            action,
                            key: p.key.clone(),
                            changed,
                        }
                    })
                    .collect();
                let count = |a: Action| lines.iter().filter(|l| l.action == a).count();
                KindReport {
                    kind: *kind,
                    created: count(Action::Created),
                    updated: count(Action::Updated),
                    unchanged: count(Action::Unchanged),
                    lines,
                }
            })
            .collect();
        Report {
            dry_run,
            applied: !dry_run,
            kinds,
        }
    }
}

/// A tutor as contracts see them: their id and company once the import is applied.
enum TutorRef {
    One {
        id: i64,
        company: Option<i64>,
    },
    /// Several stored tutors share the address (the API allows it): no line can tell which.
    Several(Vec<i64>),
}

/// Where a contract's dates come from, for the one-contract-at-a-time rule.
#[derive(Clone, Copy)]
enum Origin {
    Line(usize),
    Stored(i64),
}

/// A contract's days: from its start to its last day (the end, or the termination if earlier).
struct Span {
    start: NaiveDate,
    last: NaiveDate,
    origin: Origin,
}

/// Checks every line of the files (sorted by kind) against the stored records and each
/// other, and says what to write.
pub fn plan(stored: &Stored, files: &[Parsed]) -> Plan {
    let mut planner = Planner::new(stored, files);
    let mut kinds = Vec::new();
    for file in files {
        let rows = match file.kind {
            Kind::Companies => planner.companies(file),
            Kind::Tutors => planner.tutors(file),
            Kind::Students => planner.students(file),
            Kind::Contracts => planner.contracts(file),
        };
        kinds.push((file.kind, rows));
    }
    planner.one_contract_at_a_time();
    planner.moved_tutors_keep_their_contracts();
    Plan {
        kinds,
        errors: planner.errors,
    }
}

struct Planner<'a> {
    stored: &'a Stored,
    errors: Vec<LineError>,
    /// The last placeholder id handed out.
    placeholder: i64,
    /// SIRET → id, stored or created by the companies file.
    companies: HashMap<String, i64>,
    /// E-mail → tutor, stored or from the tutors file.
    tutors: HashMap<String, TutorRef>,
    /// E-mail → id, stored or created by the students file.
    students: HashMap<String, i64>,
    /// Stored contracts a line of the contracts file matched.
    touched: HashSet<i64>,
    /// Each student's contracts in the contracts file.
    spans: HashMap<i64, Vec<Span>>,
    /// Tutors whose company changes: (line, tutor, new company).
    moved: Vec<(usize, i64, i64)>,
}

impl<'a> Planner<'a> {
    fn new(stored: &'a Stored, files: &[Parsed]) -> Self {
        let mut by_email: HashMap<&str, Vec<i64>> = HashMap::new();
        for t in &stored.tutors {
            by_email.entry(t.email.as_str()).or_default().push(t.id);
        }
        let tutors = by_email
            .into_iter()
            .map(|(email, ids)| {
                let found = match ids.as_slice() {
                    [id] => TutorRef::One {
                        id: *id,
                        company: stored
                            .tutors
                            .iter()
                            .find(|t| t.id == *id)
                            .map(|t| t.company_id),
                    },
                    _ => TutorRef::Several(ids),
                };
                (email.to_owned(), found)
            })
            .collect();
        Planner {
            stored,
            errors: files.iter().flat_map(|f| f.errors.clone()).collect(),
            placeholder: 0,
            companies: stored
                .companies
                .iter()
                .map(|c| (c.siret.clone(), c.id))
                .collect(),
            tutors,
            students: stored
                .students
                .iter()
                .map(|s| (s.email.clone(), s.id))
                .collect(),
            touched: HashSet::new(),
            spans: HashMap::new(),
            moved: Vec::new(),
        }
    }

    fn placeholder(&mut self) -> i64 {
        self.placeholder -= 1;
        self.placeholder
    }

    /// Checks one line with the API's rules over its stored version, and says what to do.
    fn step<R: Resource>(
        &mut self,
        kind: Kind,
        record: &Record,
        existing: Option<&R::Row>,
        id: i64,
        ids: &[(&'static str, Json)],
    ) -> Option<Planned> {
        let stored = existing.and_then(|row| serde_json::to_value(row).ok());
        let columns = match parse::to_columns::<R>(kind, record, stored.as_ref(), ids) {
            Ok(c) => c,
            Err(e) => {
                self.errors.extend(e);
                return None;
            }
        };
        let step = match &stored {
            None => Step::Create,
            Some(stored) => {
                let changed: Vec<&'static str> = match parse::stored_columns::<R>(stored) {
                    Some(before) => columns
                        .iter()
                        .filter(|(name, value)| {
                            before.iter().find(|(n, _)| n == name).map(|(_, v)| v) != Some(value)
                        })
                        .map(|(name, _)| *name)
                        .collect(),
                    // A stored record the rules now refuse: rewritten whole.
                    None => columns.iter().map(|(name, _)| *name).collect(),
                };
                if changed.is_empty() {
                    Step::Keep
                } else {
                    Step::Update(changed)
                }
            }
        };
        Some(Planned {
            line: record.line,
            key: record.key.clone().unwrap_or_default(),
            id,
            columns,
            step,
        })
    }

    fn report(&mut self, kind: Kind, line: usize, column: &str, message: String) {
        self.errors.push(error(kind, line, Some(column), message));
    }

    fn companies(&mut self, file: &Parsed) -> Vec<Planned> {
        let db = self.stored;
        let stored: HashMap<&str, &Company> =
            db.companies.iter().map(|c| (c.siret.as_str(), c)).collect();
        let mut rows = Vec::new();
        for r in &file.records {
            let existing = r.key.as_deref().and_then(|k| stored.get(k)).copied();
            let id = existing.map_or_else(|| self.placeholder(), |c| c.id);
            if let Some(key) = &r.key {
                self.companies.insert(key.clone(), id);
            }
            rows.extend(self.step::<Companies>(file.kind, r, existing, id, &[]));
        }
        rows
    }

    fn tutors(&mut self, file: &Parsed) -> Vec<Planned> {
        let db = self.stored;
        let mut stored: HashMap<&str, Vec<&Tutor>> = HashMap::new();
        for t in &db.tutors {
            stored.entry(t.email.as_str()).or_default().push(t);
        }
        let mut rows = Vec::new();
        for r in &file.records {
            let company = self.company_of(file.kind, r);
            let existing = match r.key.as_deref().and_then(|k| stored.get(k)) {
                None => None,
                Some(found) if found.len() == 1 => Some(found[0]),
                Some(found) => {
                    let ids = found.iter().map(|t| t.id).collect::<Vec<_>>();
                    self.errors
                        .push(several_tutors(file.kind, r.line, "email", &ids));
                    continue;
                }
            };
            let id = existing.map_or_else(|| self.placeholder(), |t| t.id);
            if let Some(key) = &r.key {
                let company = company.or(existing.map(|t| t.company_id));
                self.tutors
                    .insert(key.clone(), TutorRef::One { id, company });
            }
            // An unknown company is reported; 0 lets the other rules still run.
            let ids = [("company_id", Json::from(company.unwrap_or(0)))];
            let Some(planned) = self.step::<Tutors>(file.kind, r, existing, id, &ids) else {
                continue;
            };
            if let (Step::Update(changed), Some(company)) = (&planned.step, company)
                && changed.contains(&"company_id")
            {
                self.moved.push((r.line, id, company));
            }
            rows.push(planned);
        }
        rows
    }

    fn students(&mut self, file: &Parsed) -> Vec<Planned> {
        let db = self.stored;
        let stored: HashMap<&str, &Student> =
            db.students.iter().map(|s| (s.email.as_str(), s)).collect();
        let mut rows = Vec::new();
        for r in &file.records {
            let existing = r.key.as_deref().and_then(|k| stored.get(k)).copied();
            let id = existing.map_or_else(|| self.placeholder(), |s| s.id);
            if let Some(key) = &r.key {
                self.students.insert(key.clone(), id);
            }
            rows.extend(self.step::<Students>(file.kind, r, existing, id, &[]));
        }
        rows
    }

    fn contracts(&mut self, file: &Parsed) -> Vec<Planned> {
        let kind = file.kind;
        let db = self.stored;
        let mut stored: HashMap<(i64, NaiveDate), Vec<&Contract>> = HashMap::new();
        for c in &db.contracts {
            stored
                .entry((c.student_id, c.start_date))
                .or_default()
                .push(c);
        }
        let mut rows = Vec::new();
        for r in &file.records {
            let student = self.student_of(kind, r);
            let company = self.company_of(kind, r);
            let tutor = self.tutor_of(kind, r, company);
            let programme = self.programme_of(kind, r);
            let year = self.year_of(kind, r);
            let mut ids: Vec<(&'static str, Json)> = Vec::new();
            for (field, value) in [
                ("student_id", student),
                ("company_id", company),
                ("tutor_id", tutor),
                ("programme_id", programme),
                ("academic_year_id", year.map(|y| y.0)),
            ] {
                // An unknown reference is reported; 0 lets the other rules still run.
                ids.push((field, Json::from(value.unwrap_or(0))));
            }
            if let Some(group) = self.group_of(kind, r, year) {
                ids.push(("group_id", group));
            }
            let existing = match (student, r.date("start_date")) {
                (Some(student), Some(start)) => match stored.get(&(student, start)) {
                    None => None,
                    Some(found) if found.len() == 1 => Some(found[0]),
                    Some(found) => {
                        let ids: Vec<String> = found.iter().map(|c| c.id.to_string()).collect();
                        self.report(
                            kind,
                            r.line,
                            "start_date",
                            format!(
                                "plusieurs contrats de ce·tte salarié·e commencent ce jour-là (n° {}) : corrigez-les d’abord",
                                ids.join(", ")
                            ),
                        );
                        continue;
                    }
                },
                _ => None,
            };
            if let Some(c) = existing {
                self.touched.insert(c.id);
            }
            let id = existing.map_or_else(|| self.placeholder(), |c| c.id);
            let Some(planned) = self.step::<Contracts>(kind, r, existing, id, &ids) else {
                continue;
            };
            if let (Some(start), Some(end)) = (
                date_of(&planned.columns, "start_date"),
                date_of(&planned.columns, "end_date"),
            ) {
                if let Some((_, name, starts_on, ends_on)) = year
                    && (start < *starts_on || start > *ends_on)
                {
                    self.report(
                        kind,
                        r.line,
                        "start_date",
                        format!(
                            "le contrat doit commencer pendant l’année {name} (du {} au {})",
                            date_fr(*starts_on),
                            date_fr(*ends_on)
                        ),
                    );
                }
                if let Some(student) = student {
                    let last =
                        date_of(&planned.columns, "termination_date").map_or(end, |t| t.min(end));
                    self.spans.entry(student).or_default().push(Span {
                        start,
                        last,
                        origin: Origin::Line(r.line),
                    });
                }
            }
            rows.push(planned);
        }
        rows
    }

    fn company_of(&mut self, kind: Kind, r: &Record) -> Option<i64> {
        let siret = r.reference("company_siret")?;
        let found = self.companies.get(siret).copied();
        if found.is_none() {
            self.report(
                kind,
                r.line,
                "company_siret",
                format!(
                    "entreprise inconnue : aucun SIRET « {siret} » dans la base ni dans le fichier des entreprises"
                ),
            );
        }
        found
    }

    fn student_of(&mut self, kind: Kind, r: &Record) -> Option<i64> {
        let email = r.reference("student_email")?;
        let found = self.students.get(email).copied();
        if found.is_none() {
            self.report(
                kind,
                r.line,
                "student_email",
                format!(
                    "salarié·e inconnu·e : aucune adresse « {email} » dans la base ni dans le fichier des salarié·es"
                ),
            );
        }
        found
    }

    /// The contract's tutor, who must belong to the contract's company.
    fn tutor_of(&mut self, kind: Kind, r: &Record, company: Option<i64>) -> Option<i64> {
        let email = r.reference("tutor_email")?;
        let (id, tutor_company) = match self.tutors.get(email) {
            None => {
                self.report(
                    kind,
                    r.line,
                    "tutor_email",
                    format!(
                        "tuteur inconnu : aucune adresse « {email} » dans la base ni dans le fichier des tuteurs"
                    ),
                );
                return None;
            }
            Some(TutorRef::Several(ids)) => {
                let error = several_tutors(kind, r.line, "tutor_email", ids);
                self.errors.push(error);
                return None;
            }
            Some(TutorRef::One { id, company }) => (*id, *company),
        };
        if let (Some(tutor_company), Some(company)) = (tutor_company, company)
            && tutor_company != company
        {
            self.report(
                kind,
                r.line,
                "tutor_email",
                "ce tuteur appartient à une autre entreprise que celle du contrat".to_owned(),
            );
        }
        Some(id)
    }

    /// The programme by department and option (UNIQUE (department, option_name)).
    fn programme_of(&mut self, kind: Kind, r: &Record) -> Option<i64> {
        let department = r.reference("department")?;
        let option = r.reference("option_name").unwrap_or("");
        let of_department = by_name(
            self.stored.programmes.iter().map(|p| (p.1.as_str(), p)),
            department,
        );
        if of_department.is_empty() {
            self.report(
                kind,
                r.line,
                "department",
                format!("programme inconnu : aucun département « {department} »"),
            );
            return None;
        }
        let found = by_name(of_department.iter().map(|p| (p.2.as_str(), p.0)), option);
        if let [id] = found.as_slice() {
            return Some(*id);
        }
        let options: Vec<String> = of_department
            .iter()
            .map(|p| {
                if p.2.is_empty() {
                    "(sans option)".to_owned()
                } else {
                    format!("« {} »", p.2)
                }
            })
            .collect();
        let asked = if option.is_empty() {
            "sans option".to_owned()
        } else {
            format!("option « {option} »")
        };
        self.report(
            kind,
            r.line,
            "option_name",
            format!(
                "programme inconnu : département « {department} », {asked} (options du département : {})",
                options.join(", ")
            ),
        );
        None
    }

    fn year_of(
        &mut self,
        kind: Kind,
        r: &Record,
    ) -> Option<&'a (i64, String, NaiveDate, NaiveDate)> {
        let name = r.reference("academic_year")?;
        let stored = self.stored;
        let found = by_name(stored.years.iter().map(|y| (y.1.as_str(), y)), name);
        if let [year] = found.as_slice() {
            return Some(*year);
        }
        let known: Vec<&str> = stored.years.iter().map(|y| y.1.as_str()).collect();
        self.report(
            kind,
            r.line,
            "academic_year",
            format!(
                "année inconnue « {name} » (années connues : {})",
                known.join(", ")
            ),
        );
        None
    }

    /// The group's id (null for an empty cell) when the file has the column; a group is
    /// named within the contract's year.
    fn group_of(
        &mut self,
        kind: Kind,
        r: &Record,
        year: Option<&(i64, String, NaiveDate, NaiveDate)>,
    ) -> Option<Json> {
        let name = r.reference("group")?;
        if name.is_empty() {
            return Some(Json::Null);
        }
        let year = year?;
        let found = by_name(
            self.stored
                .groups
                .iter()
                .filter(|g| g.1 == year.0)
                .map(|g| (g.2.as_str(), g.0)),
            name,
        );
        if let [id] = found.as_slice() {
            return Some(Json::from(*id));
        }
        self.report(
            kind,
            r.line,
            "group",
            format!("aucun groupe « {name} » pour l’année {}", year.1),
        );
        None
    }

    /// One student, one contract at a time: the file's contracts against each other and
    /// against the stored contracts the file leaves alone.
    fn one_contract_at_a_time(&mut self) {
        let mut spans = std::mem::take(&mut self.spans);
        for c in &self.stored.contracts {
            if self.touched.contains(&c.id) {
                continue;
            }
            if let Some(list) = spans.get_mut(&c.student_id) {
                list.push(Span {
                    start: c.start_date,
                    last: c.termination_date.map_or(c.end_date, |t| t.min(c.end_date)),
                    origin: Origin::Stored(c.id),
                });
            }
        }
        for list in spans.values() {
            for (i, a) in list.iter().enumerate() {
                for b in &list[i + 1..] {
                    if a.start > b.last || b.start > a.last {
                        continue;
                    }
                    let (line, other) = match (a.origin, b.origin) {
                        (Origin::Line(x), Origin::Line(y)) => {
                            (x.max(y), format!("celui de la ligne {}", x.min(y)))
                        }
                        (Origin::Line(line), Origin::Stored(id)) => (line, stored_span(id, b)),
                        (Origin::Stored(id), Origin::Line(line)) => (line, stored_span(id, a)),
                        (Origin::Stored(_), Origin::Stored(_)) => continue,
                    };
                    self.report(
                        Kind::Contracts,
                        line,
                        "start_date",
                        format!(
                            "ce·tte salarié·e a déjà un contrat sur ces dates ({other}) : un seul contrat à la fois"
                        ),
                    );
                }
            }
        }
    }

    /// A tutor who changes company may not leave contracts of the old one behind.
    fn moved_tutors_keep_their_contracts(&mut self) {
        for (line, tutor, company) in std::mem::take(&mut self.moved) {
            let left: Vec<String> = self
                .stored
                .contracts
                .iter()
                .filter(|c| {
                    c.tutor_id == tutor && c.company_id != company && !self.touched.contains(&c.id)
                })
                .map(|c| c.id.to_string())
                .collect();
            if !left.is_empty() {
                self.report(
                    Kind::Tutors,
                    line,
                    "company_siret",
                    format!(
                        "ce tuteur suit des contrats d’une autre entreprise (n° {}) : importez-les aussi, avec leur nouvelle entreprise ou un autre tuteur",
                        left.join(", ")
                    ),
                );
            }
        }
    }
}

fn stored_span(id: i64, span: &Span) -> String {
    format!(
        "le n° {id}, du {} au {}",
        date_fr(span.start),
        date_fr(span.last)
    )
}

fn several_tutors(kind: Kind, line: usize, column: &str, ids: &[i64]) -> LineError {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    error(
        kind,
        line,
        Some(column),
        format!(
            "plusieurs tuteurs ont cette adresse (n° {}) : corrigez-les d’abord dans l’application",
            ids.join(", ")
        ),
    )
}

/// Finds a record by a name people typed: exactly, or else ignoring case.
fn by_name<'n, T>(items: impl Iterator<Item = (&'n str, T)>, wanted: &str) -> Vec<T> {
    let wanted = wanted.trim();
    let mut exact = Vec::new();
    let mut folded = Vec::new();
    for (name, item) in items {
        if name == wanted {
            exact.push(item);
        } else if name.to_lowercase() == wanted.to_lowercase() {
            folded.push(item);
        }
    }
    if exact.is_empty() { folded } else { exact }
}

fn date_of(columns: &Columns, name: &str) -> Option<NaiveDate> {
    columns.iter().find_map(|(n, v)| match v {
        Value::Date(d) if *n == name => *d,
        _ => None,
    })
}

#[cfg(test)]
mod tests;
