//! The rules that turn a source event into a session of the group: which text gives the
//! module, the teacher and the room, and which events to leave out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::SourceEvent;

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

/// A mapping whose expressions compiled.
#[derive(Debug, Clone)]
pub struct CompiledMapping {
    pub mapping: Mapping,
    // The compiled expressions (helper ics fills this in).
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

impl Mapping {
    /// Checks the expressions, and that the tables' ids are in `directory`; every mistake.
    pub fn compile(&self, directory: &Directory) -> Result<CompiledMapping, Vec<MappingError>> {
        let _ = directory;
        todo!("issue 20: mapping (helper ics)")
    }
}

impl CompiledMapping {
    /// What `event` becomes for the group.
    pub fn resolve(&self, event: &SourceEvent, directory: &Directory) -> Resolution {
        let _ = (event, directory);
        todo!("issue 20: mapping (helper ics)")
    }
}
