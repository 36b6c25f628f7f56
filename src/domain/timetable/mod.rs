//! Timetables published by the school's planning tool (ADE Campus, Hyperplanning, EDT, any
//! iCalendar feed, RFC 5545), turned into training sessions (issue 20): parse and expand the
//! feed ([`ics`]), map each occurrence to a module, a teacher and a room ([`mapping`]), and
//! plan what a sync does to the group's sessions ([`plan`]). Pure: the caller fetches the
//! feed and reads the database.

pub mod ics;
pub mod mapping;
pub mod plan;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A person named by an event (ATTENDEE or ORGANIZER): their `CN` and their address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    /// The `mailto:` address, lower-cased; empty when the feed gives none.
    pub email: String,
}

/// One occurrence of a source event, in Paris civil time: a single event gives one, a
/// recurring one gives one per date of its recurrence set (RRULE, RDATE minus EXDATE), with
/// any RECURRENCE-ID override applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceEvent {
    /// The event's UID, and for an occurrence of a recurring event `UID/YYYYMMDDTHHMMSSZ`
    /// (its original start in UTC, as RECURRENCE-ID names it): stable across re-syncs.
    pub uid: String,
    /// The line of its `BEGIN:VEVENT` in the file as received (folded lines counted).
    pub line: usize,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    /// Why this occurrence cannot be a session whatever the mapping says (an all-day or
    /// multi-day event, one ending before it starts), in French; `None` for a timed event
    /// within one day.
    pub shape_problem: Option<String>,
    /// STATUS:CANCELLED (on the event or on this occurrence's override).
    pub cancelled: bool,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub categories: Vec<String>,
    pub attendees: Vec<Person>,
    pub organizer: Option<Person>,
}

/// A file that is not an iCalendar feed, or a malformed one: the line (in the file as
/// received, 1-based) and what is wrong, in French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ligne {line} : {message}")]
pub struct IcsError {
    pub line: usize,
    pub message: String,
}

/// What a sync does with one source event (or one session whose event is gone).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A new session.
    New,
    /// The session is as the source says: nothing written.
    Unchanged,
    /// The session moves (day, times, module, teacher or room) with the source: it had no
    /// record yet.
    Moved,
    /// Cancelled or gone at the source: its session, which had no record, is deleted (or
    /// there was none).
    Cancelled,
    /// The mapping finds no module or no teacher for it (the reason says which text).
    Unmatched,
    /// Its day is not a school day of the group's calendar, outside the year, or outside the
    /// contract dates of every student of the group.
    Refused,
    /// It would overlap another session of the same group or teacher, or its session has a
    /// record (marks, sign-ins, a signed sheet) and changed or vanished at the source: it is
    /// listed, never written, and a recorded one is flagged for the office.
    Conflict,
    /// An ignore rule of the mapping, the group filter, or not a session at all.
    Ignored,
}

impl Outcome {
    pub const ALL: [Outcome; 8] = [
        Outcome::New,
        Outcome::Unchanged,
        Outcome::Moved,
        Outcome::Cancelled,
        Outcome::Unmatched,
        Outcome::Refused,
        Outcome::Conflict,
        Outcome::Ignored,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::New => "new",
            Outcome::Unchanged => "unchanged",
            Outcome::Moved => "moved",
            Outcome::Cancelled => "cancelled",
            Outcome::Unmatched => "unmatched",
            Outcome::Refused => "refused",
            Outcome::Conflict => "conflict",
            Outcome::Ignored => "ignored",
        }
    }

    /// Its French label, for pages and mails.
    pub fn label_fr(self) -> &'static str {
        match self {
            Outcome::New => "nouvelle séance",
            Outcome::Unchanged => "inchangée",
            Outcome::Moved => "déplacée",
            Outcome::Cancelled => "annulée",
            Outcome::Unmatched => "non reconnue",
            Outcome::Refused => "refusée",
            Outcome::Conflict => "en conflit",
            Outcome::Ignored => "ignorée",
        }
    }
}
