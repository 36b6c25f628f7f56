//! The rules that turn a source event into a session of the group: which text gives the
//! module, the teacher and the room, and which events to leave out.

use std::collections::{BTreeMap, HashMap};

use regex::{Regex, RegexBuilder};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::SourceEvent;
use crate::domain::text::sort_key;

/// Where a rule reads its text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    #[default]
    Summary,
    Description,
    Location,
    Categories,
}

/// Where the teacher is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TeacherField {
    /// ATTENDEE, then ORGANIZER, then each line of DESCRIPTION, then SUMMARY: the first
    /// text that names a known teacher.
    #[default]
    Auto,
    Attendee,
    Organizer,
    Description,
    Summary,
}

/// How the module is found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ModuleRule {
    pub field: Field,
    /// A regular expression: its first group (or the whole match) is the module's text.
    /// Without it, the whole field is.
    pub pattern: Option<String>,
    /// Texts (codes) → module ids; a text not in the table is matched against the modules'
    /// names (case and accents ignored).
    pub codes: BTreeMap<String, i64>,
}

/// How the teacher is found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TeacherRule {
    pub field: TeacherField,
    /// A regular expression applied to each candidate text (each line of DESCRIPTION): its
    /// first group (or the whole match) is the name.
    pub pattern: Option<String>,
    /// Names as the feed writes them → teacher ids; others are matched on the teachers'
    /// e-mail, « NOM Prénom » or « Prénom Nom » (case and accents ignored).
    pub names: BTreeMap<String, i64>,
}

/// How the room is found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RoomRule {
    pub field: Field,
    pub pattern: Option<String>,
}

impl Default for RoomRule {
    fn default() -> Self {
        RoomRule {
            field: Field::Location,
            pattern: None,
        }
    }
}

/// A source's mapping rules, as the admin writes them (JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Mapping {
    pub module: ModuleRule,
    pub teacher: TeacherRule,
    pub room: RoomRule,
    /// Regular expressions on SUMMARY (case ignored): a matching event is ignored (exams,
    /// holidays, company days…).
    pub ignore: Vec<String>,
    /// A regular expression that SUMMARY or DESCRIPTION must match for the event to be this
    /// group's (a feed shared by several groups); none: every event is.
    pub group: Option<String>,
}

/// A module the mapping may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleEntry {
    pub id: i64,
    pub name: String,
}

/// A teacher the mapping may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeacherEntry {
    pub id: i64,
    pub last_name: String,
    pub first_name: String,
    pub email: String,
}

/// What the mapping may name: the group's programme's modules (or every module when the
/// group has no programme) and every teacher.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub modules: Vec<ModuleEntry>,
    pub teachers: Vec<TeacherEntry>,
}

/// A mapping whose expressions compiled, with the directory's names ready to compare.
#[derive(Debug, Clone)]
pub struct CompiledMapping {
    pub mapping: Mapping,
    module_pattern: Option<Regex>,
    teacher_pattern: Option<Regex>,
    room_pattern: Option<Regex>,
    ignore: Vec<(String, Regex)>,
    group: Option<Regex>,
    /// The `codes` table by normalised key.
    codes: HashMap<String, i64>,
    /// The `names` table by normalised key.
    names: HashMap<String, i64>,
    /// The directory's modules by normalised name.
    modules: HashMap<String, i64>,
    /// The directory's teachers by e-mail and by « NOM Prénom » / « Prénom Nom », normalised.
    teachers: HashMap<String, i64>,
    /// Last names borne by exactly one teacher (`M. DUPONT`); `None` for a shared one.
    last_names: HashMap<String, Option<i64>>,
}

/// A mistake in a mapping: the field's path (`mapping.module.pattern`, `mapping.ignore[2]`,
/// `mapping.module.codes.GC501`…) and what is wrong, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError {
    pub field: String,
    pub message: String,
}

/// The session an event becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub module_id: i64,
    pub teacher_id: i64,
    pub room: String,
}

/// What the mapping makes of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A session.
    Session(Draft),
    /// Left out: an ignore rule, the group filter, or an event that cannot be a session
    /// (its shape problem); the reason in French.
    Ignored(String),
    /// No module or no teacher found: the reason names the text that was looked for.
    Unmatched(String),
}

/// Room names longer than this are cut (the session's room column).
const ROOM_MAX: usize = 100;
/// Candidates quoted in an « aucun·e enseignant·e » reason.
const QUOTED_CANDIDATES: usize = 5;

fn regex(pattern: &str, field: &str, errors: &mut Vec<MappingError>) -> Option<Regex> {
    match RegexBuilder::new(pattern)
        .case_insensitive(true)
        .unicode(true)
        // An admin's expression, run on every event: bounded.
        .size_limit(1 << 20)
        .build()
    {
        Ok(re) => Some(re),
        Err(e) => {
            let detail = e.to_string();
            let detail = detail
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .trim_start_matches("error: ")
                .to_owned();
            errors.push(MappingError {
                field: field.to_owned(),
                message: format!("expression régulière invalide ({detail})"),
            });
            None
        }
    }
}

/// Lower case, accents gone, spaces collapsed: how names are compared.
pub fn normalise(text: &str) -> String {
    let folded = sort_key(text);
    let mut out = String::with_capacity(folded.len());
    for word in folded
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            match c {
                'œ' => out.push_str("oe"),
                'æ' => out.push_str("ae"),
                '’' => out.push('\''),
                c => out.push(c),
            }
        }
    }
    out
}

/// The first group of `pattern`'s match in `text` (the whole match without a group); the
/// text itself without a pattern; `None` when it does not match.
fn capture(pattern: Option<&Regex>, text: &str) -> Option<String> {
    let Some(re) = pattern else {
        return Some(text.trim().to_owned());
    };
    let caps = re.captures(text)?;
    let m = caps.get(1).or_else(|| caps.get(0))?;
    Some(m.as_str().trim().to_owned())
}

fn quoted(text: &str) -> String {
    let short: String = text.chars().take(80).collect();
    let short = short.replace('\n', " ");
    if text.chars().count() > 80 {
        format!("« {short}… »")
    } else {
        format!("« {short} »")
    }
}

impl Mapping {
    /// Checks the expressions, and that the tables' ids are in `directory`; every mistake.
    pub fn compile(&self, directory: &Directory) -> Result<CompiledMapping, Vec<MappingError>> {
        let mut errors = Vec::new();
        let module_pattern = self
            .module
            .pattern
            .as_deref()
            .and_then(|p| regex(p, "mapping.module.pattern", &mut errors));
        let teacher_pattern = self
            .teacher
            .pattern
            .as_deref()
            .and_then(|p| regex(p, "mapping.teacher.pattern", &mut errors));
        let room_pattern = self
            .room
            .pattern
            .as_deref()
            .and_then(|p| regex(p, "mapping.room.pattern", &mut errors));
        let mut ignore = Vec::new();
        for (i, pattern) in self.ignore.iter().enumerate() {
            if let Some(re) = regex(pattern, &format!("mapping.ignore[{i}]"), &mut errors) {
                ignore.push((pattern.clone(), re));
            }
        }
        let group = self
            .group
            .as_deref()
            .and_then(|p| regex(p, "mapping.group", &mut errors));
        for (key, id) in &self.module.codes {
            if !directory.modules.iter().any(|m| m.id == *id) {
                errors.push(MappingError {
                    field: format!("mapping.module.codes.{key}"),
                    message: format!("module n° {id} inconnu (ou hors du programme du groupe)"),
                });
            }
        }
        for (key, id) in &self.teacher.names {
            if !directory.teachers.iter().any(|t| t.id == *id) {
                errors.push(MappingError {
                    field: format!("mapping.teacher.names.{key}"),
                    message: format!("enseignant·e n° {id} inconnu·e"),
                });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }

        let mut modules = HashMap::new();
        for m in &directory.modules {
            modules.entry(normalise(&m.name)).or_insert(m.id);
        }
        let mut teachers = HashMap::new();
        let mut last_names: HashMap<String, Option<i64>> = HashMap::new();
        for t in &directory.teachers {
            let email = t.email.trim().to_lowercase();
            if !email.is_empty() {
                teachers.entry(email).or_insert(t.id);
            }
            let last = normalise(&t.last_name);
            let first = normalise(&t.first_name);
            teachers
                .entry(normalise(&format!("{last} {first}")))
                .or_insert(t.id);
            teachers
                .entry(normalise(&format!("{first} {last}")))
                .or_insert(t.id);
            last_names
                .entry(last)
                .and_modify(|id| {
                    if *id != Some(t.id) {
                        *id = None;
                    }
                })
                .or_insert(Some(t.id));
        }
        Ok(CompiledMapping {
            codes: self
                .module
                .codes
                .iter()
                .map(|(k, v)| (normalise(k), *v))
                .collect(),
            names: self
                .teacher
                .names
                .iter()
                .map(|(k, v)| (normalise(k), *v))
                .collect(),
            mapping: self.clone(),
            module_pattern,
            teacher_pattern,
            room_pattern,
            ignore,
            group,
            modules,
            teachers,
            last_names,
        })
    }
}

fn field_texts(event: &SourceEvent, field: Field) -> Vec<String> {
    match field {
        Field::Summary => vec![event.summary.clone()],
        Field::Description => vec![event.description.clone()],
        Field::Location => vec![event.location.clone()],
        Field::Categories => event.categories.clone(),
    }
}

/// Civilities and labels in front of a name (`M. DUPONT`, `Enseignant : DUPONT Jean`).
const CIVILITIES: [&str; 9] = ["m.", "m", "mme", "mme.", "mlle", "dr", "dr.", "pr", "pr."];

impl CompiledMapping {
    /// What `event` becomes for the group. `directory` is the one the mapping was compiled
    /// with: its names were prepared then.
    pub fn resolve(&self, event: &SourceEvent, directory: &Directory) -> Resolution {
        if let Some(problem) = &event.shape_problem {
            return Resolution::Ignored(problem.clone());
        }
        if let Some(group) = &self.group
            && !group.is_match(&event.summary)
            && !group.is_match(&event.description)
        {
            return Resolution::Ignored(format!("hors du groupe : {}", quoted(&event.summary)));
        }
        if let Some((pattern, _)) = self
            .ignore
            .iter()
            .find(|(_, re)| re.is_match(&event.summary))
        {
            return Resolution::Ignored(format!("règle d’exclusion {}", quoted(pattern)));
        }
        let _ = directory;
        let module_id = match self.module(event) {
            Ok(id) => id,
            Err(reason) => return Resolution::Unmatched(reason),
        };
        let teacher_id = match self.teacher(event) {
            Ok(id) => id,
            Err(reason) => return Resolution::Unmatched(reason),
        };
        let room = field_texts(event, self.mapping.room.field)
            .iter()
            .filter_map(|t| capture(self.room_pattern.as_ref(), t))
            .find(|t| !t.is_empty())
            .unwrap_or_default();
        let room: String = room.trim().chars().take(ROOM_MAX).collect();
        Resolution::Session(Draft {
            module_id,
            teacher_id,
            room: room.trim_end().to_owned(),
        })
    }

    fn module(&self, event: &SourceEvent) -> Result<i64, String> {
        let texts = field_texts(event, self.mapping.module.field);
        let candidates: Vec<String> = texts
            .iter()
            .filter_map(|t| capture(self.module_pattern.as_ref(), t))
            .filter(|t| !t.is_empty())
            .collect();
        if candidates.is_empty() {
            let shown = texts.first().map(String::as_str).unwrap_or("");
            return Err(if self.module_pattern.is_some() {
                format!(
                    "le titre {} ne correspond pas au motif du module",
                    quoted(shown)
                )
            } else {
                format!("aucun module pour {}", quoted(shown))
            });
        }
        for candidate in &candidates {
            if let Some(id) = self.mapping.module.codes.get(candidate.as_str()) {
                return Ok(*id);
            }
            let key = normalise(candidate);
            if let Some(id) = self.codes.get(&key).or_else(|| self.modules.get(&key)) {
                return Ok(*id);
            }
        }
        Err(format!("aucun module pour {}", quoted(&candidates[0])))
    }

    fn teacher_candidates(&self, event: &SourceEvent) -> Vec<String> {
        let mut texts = Vec::new();
        let field = self.mapping.teacher.field;
        let auto = field == TeacherField::Auto;
        if auto || field == TeacherField::Attendee {
            for a in &event.attendees {
                texts.push(a.email.clone());
                texts.push(a.name.clone());
            }
        }
        if (auto || field == TeacherField::Organizer)
            && let Some(o) = &event.organizer
        {
            texts.push(o.email.clone());
            texts.push(o.name.clone());
        }
        if auto || field == TeacherField::Description {
            texts.extend(event.description.lines().map(str::to_owned));
        }
        if auto || field == TeacherField::Summary {
            texts.extend(
                event
                    .summary
                    .split(" - ")
                    .flat_map(|s| s.split([',', ';', '/']))
                    .map(str::to_owned),
            );
        }
        texts
            .iter()
            .filter_map(|t| capture(self.teacher_pattern.as_ref(), t))
            .filter(|t| !t.is_empty())
            .collect()
    }

    fn teacher(&self, event: &SourceEvent) -> Result<i64, String> {
        let candidates = self.teacher_candidates(event);
        for candidate in &candidates {
            if let Some(id) = self.mapping.teacher.names.get(candidate.as_str()) {
                return Ok(*id);
            }
            if let Some(id) = self.known_teacher(candidate) {
                return Ok(id);
            }
        }
        let mut shown: Vec<String> = Vec::new();
        for c in &candidates {
            let q = quoted(c);
            if !shown.contains(&q) {
                shown.push(q);
            }
        }
        let more = shown.len() > QUOTED_CANDIDATES;
        shown.truncate(QUOTED_CANDIDATES);
        let mut list = shown.join(", ");
        if more {
            list.push_str(", …");
        }
        if list.is_empty() {
            list = "aucun nom dans l’événement".to_owned();
        }
        Err(format!("aucun·e enseignant·e reconnu·e ({list})"))
    }

    fn known_teacher(&self, candidate: &str) -> Option<i64> {
        let key = normalise(candidate);
        if let Some(id) = self.names.get(&key).or_else(|| self.teachers.get(&key)) {
            return Some(*id);
        }
        // `Enseignant : DUPONT Jean`: the name after the label.
        let name = match key.rsplit_once(':') {
            Some((_, name)) => name.trim(),
            None => key.as_str(),
        };
        if let Some(id) = self.names.get(name).or_else(|| self.teachers.get(name)) {
            return Some(*id);
        }
        // `M. DUPONT`: a civility then a last name only one teacher bears.
        let mut words = name.split(' ');
        let first = words.next()?;
        if CIVILITIES.contains(&first) {
            let rest = words.collect::<Vec<_>>().join(" ");
            if let Some(id) = self.teachers.get(&rest) {
                return Some(*id);
            }
            return self.last_names.get(&rest).copied().flatten();
        }
        None
    }
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;
