//! What a sync does: the source's occurrences, as the mapping resolved them, against the
//! group's sessions. Attendance is never put at risk: a session with a record (marks,
//! sign-ins, a signed sheet) is neither moved nor deleted, only flagged.

use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;
use utoipa::ToSchema;

use super::Outcome;

/// One line of a sync's report: an event of the source, or a session whose event is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PlannedEvent {
    /// The event's UID (with its occurrence for a recurring event).
    pub uid: String,
    pub outcome: Outcome,
    /// The session it is (or becomes, once applied; `null` in a dry run for a new one).
    pub session_id: Option<i64>,
    /// Why, in French, for every outcome but `new` and `unchanged`.
    pub reason: Option<String>,
    /// The occurrence as the source gives it (for a vanished event: the session's).
    pub day: NaiveDate,
    #[schema(value_type = String, example = "08:30:00")]
    pub starts_at: NaiveTime,
    #[schema(value_type = String, example = "12:00:00")]
    pub ends_at: NaiveTime,
    pub summary: String,
    /// The line of its `BEGIN:VEVENT` in the file; `null` for a vanished event.
    pub line: Option<usize>,
}

use std::collections::{HashMap, HashSet};

use chrono::Datelike;

use super::SourceEvent;
use super::mapping::{Draft, Resolution};
use crate::domain::calendar::DayKind;

/// An occurrence of the source and what the mapping made of it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub event: SourceEvent,
    pub resolution: Resolution,
}

/// Where and what a session is: the part a sync compares and writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Placement {
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub module_id: i64,
    pub teacher_id: i64,
    pub room: String,
}

/// A session the source made earlier (it carries the event's UID).
#[derive(Debug, Clone)]
pub struct SourcedSession {
    pub id: i64,
    pub uid: String,
    pub placement: Placement,
    /// It has a record: marks, sign-ins, history, justifications or a signed sheet.
    pub recorded: bool,
}

/// Another session that a new or moved one must not overlap: of the group, or of a teacher.
#[derive(Debug, Clone)]
pub struct Occupied {
    pub id: i64,
    pub group_id: i64,
    pub teacher_id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
}

/// The group's frame: its year, its calendar's days, its students' contract dates.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    pub group_id: i64,
    pub year_starts_on: NaiveDate,
    pub year_ends_on: NaiveDate,
    pub days: HashMap<NaiveDate, DayKind>,
    /// Each contract's first and last day of training (a termination cuts it).
    pub contracts: Vec<(NaiveDate, NaiveDate)>,
}

/// Why a recorded session is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Moved,
    Vanished,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Moved => "moved",
            Change::Vanished => "vanished",
        }
    }
}

/// A recorded session to flag for the office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagDraft {
    pub session_id: i64,
    pub uid: String,
    pub change: Change,
    pub recorded: Placement,
    /// `None` when the event vanished (or was cancelled).
    pub at_source: Option<Placement>,
}

/// The writes of a sync, and its report.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub events: Vec<PlannedEvent>,
    /// New sessions: the event's UID, the placement, and the index of its report line.
    pub creates: Vec<(String, Placement, usize)>,
    /// Sessions without a record that move with the source.
    pub moves: Vec<(i64, Placement)>,
    /// Sessions without a record whose event was cancelled or is gone.
    pub deletes: Vec<i64>,
    pub flags: Vec<FlagDraft>,
}

impl Plan {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.creates.is_empty()
            && self.moves.is_empty()
            && self.deletes.is_empty()
            && self.flags.is_empty()
    }
}

/// `lun. 08/09/2025 08:30–12:00`.
pub fn describe_slot(day: NaiveDate, starts_at: NaiveTime, ends_at: NaiveTime) -> String {
    const DAYS: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];
    format!(
        "{} {} {}–{}",
        DAYS[day.weekday().num_days_from_monday() as usize],
        day.format("%d/%m/%Y"),
        starts_at.format("%H:%M"),
        ends_at.format("%H:%M")
    )
}

/// What differs between the session and its event, in French.
fn differences(old: &Placement, new: &Placement) -> String {
    let mut out = Vec::new();
    if (old.day, old.starts_at, old.ends_at) != (new.day, new.starts_at, new.ends_at) {
        out.push(format!(
            "{} → {}",
            describe_slot(old.day, old.starts_at, old.ends_at),
            describe_slot(new.day, new.starts_at, new.ends_at)
        ));
    }
    if old.module_id != new.module_id {
        out.push(format!(
            "module n° {} → n° {}",
            old.module_id, new.module_id
        ));
    }
    if old.teacher_id != new.teacher_id {
        out.push(format!(
            "enseignant·e n° {} → n° {}",
            old.teacher_id, new.teacher_id
        ));
    }
    if old.room != new.room {
        out.push(format!("salle « {} » → « {} »", old.room, new.room));
    }
    out.join(" ; ")
}

/// Why the event's day cannot hold a session of the group, if it cannot.
fn refusal(frame: &Frame, day: NaiveDate) -> Option<String> {
    let date = day.format("%d/%m/%Y");
    if day < frame.year_starts_on || day > frame.year_ends_on {
        return Some(format!(
            "le {date} est hors de l’année du groupe (du {} au {})",
            frame.year_starts_on.format("%d/%m/%Y"),
            frame.year_ends_on.format("%d/%m/%Y")
        ));
    }
    match frame.days.get(&day) {
        Some(DayKind::School) => {}
        Some(kind) => {
            return Some(format!(
                "le {date} est un jour « {} » du calendrier du groupe",
                kind.label_fr()
            ));
        }
        None => {
            return Some(format!("le calendrier du groupe ne définit pas le {date}"));
        }
    }
    if !frame
        .contracts
        .iter()
        .any(|(first, last)| *first <= day && day <= *last)
    {
        return Some(format!(
            "le {date} est hors des dates de contrat de tous les alternant·es du groupe"
        ));
    }
    None
}

/// Sessions by group and by teacher, for the overlap check.
#[derive(Default)]
struct Occupancy {
    by_group: HashMap<NaiveDate, Vec<(i64, NaiveTime, NaiveTime)>>,
    by_teacher: HashMap<(i64, NaiveDate), Vec<(i64, NaiveTime, NaiveTime)>>,
}

impl Occupancy {
    fn add(
        &mut self,
        id: i64,
        of_group: bool,
        teacher: i64,
        day: NaiveDate,
        s: NaiveTime,
        e: NaiveTime,
    ) {
        if of_group {
            self.by_group.entry(day).or_default().push((id, s, e));
        }
        self.by_teacher
            .entry((teacher, day))
            .or_default()
            .push((id, s, e));
    }

    /// The first session `p` would overlap, other than `except`, and whose it is.
    fn clash(&self, p: &Placement, except: Option<i64>) -> Option<String> {
        let hit = |slots: Option<&Vec<(i64, NaiveTime, NaiveTime)>>| {
            slots.and_then(|v| {
                v.iter()
                    .find(|(id, s, e)| Some(*id) != except && *s < p.ends_at && p.starts_at < *e)
                    .copied()
            })
        };
        let name = |id: i64| {
            if id < 0 {
                "une autre séance de ce calendrier".to_owned()
            } else {
                format!("la séance n° {id}")
            }
        };
        if let Some((id, s, e)) = hit(self.by_group.get(&p.day)) {
            return Some(format!(
                "chevauche {} du groupe ({}–{})",
                name(id),
                s.format("%H:%M"),
                e.format("%H:%M")
            ));
        }
        if let Some((id, s, e)) = hit(self.by_teacher.get(&(p.teacher_id, p.day))) {
            return Some(format!(
                "chevauche {} de l’enseignant·e ({}–{})",
                name(id),
                s.format("%H:%M"),
                e.format("%H:%M")
            ));
        }
        None
    }
}

fn placement(event: &SourceEvent, draft: &Draft) -> Placement {
    Placement {
        day: event.day,
        starts_at: event.starts_at,
        ends_at: event.ends_at,
        module_id: draft.module_id,
        teacher_id: draft.teacher_id,
        room: draft.room.clone(),
    }
}

const RECORDED: &str = "séance enregistrée modifiée dans l’emploi du temps";

/// Plans a sync of one source: `candidates` are its occurrences with their resolution,
/// `sourced` the sessions it made earlier, `others` every other session that could overlap
/// (of the group or of any teacher; the source's own included, they are skipped by id).
///
/// The rules: a session without a record follows its event (moved, or deleted when the event
/// is cancelled, gone, ignored or refused); a recorded one never moves nor goes, it is
/// flagged; an event on a day that is not a school day of the group, outside its year, or
/// outside every contract is refused; one that would overlap a session of the group or of
/// its teacher is a conflict and is not written; an unchanged source plans no write.
pub fn plan(
    mut candidates: Vec<Candidate>,
    sourced: &[SourcedSession],
    others: &[Occupied],
    frame: &Frame,
) -> Plan {
    candidates.sort_by(|a, b| {
        (a.event.day, a.event.starts_at, &a.event.uid).cmp(&(
            b.event.day,
            b.event.starts_at,
            &b.event.uid,
        ))
    });
    let by_uid: HashMap<&str, &SourcedSession> =
        sourced.iter().map(|s| (s.uid.as_str(), s)).collect();
    let own: HashSet<i64> = sourced.iter().map(|s| s.id).collect();
    let mut plan = Plan::default();
    let line =
        |event: &SourceEvent, outcome: Outcome, session: Option<i64>, reason: Option<String>| {
            PlannedEvent {
                uid: event.uid.clone(),
                outcome,
                session_id: session,
                reason,
                day: event.day,
                starts_at: event.starts_at,
                ends_at: event.ends_at,
                summary: event.summary.clone(),
                line: Some(event.line),
            }
        };

    // First what becomes of each sourced session, and the events' own outcome where the
    // session decides it; new and moved placements wait for the overlap check.
    enum Pending {
        Create(Placement),
        Move(i64, Placement),
    }
    let mut pending: Vec<(usize, Pending)> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    // Sessions that stay where they are, for the overlap check.
    let mut staying: Vec<&SourcedSession> = Vec::new();
    // A sourced session whose event no longer wants it: deleted, or flagged when recorded.
    let let_go = |plan: &mut Plan,
                  s: &SourcedSession,
                  at_source: Option<Placement>,
                  why: String|
     -> (Outcome, String) {
        if s.recorded {
            let change = if at_source.is_some() {
                Change::Moved
            } else {
                Change::Vanished
            };
            plan.flags.push(FlagDraft {
                session_id: s.id,
                uid: s.uid.clone(),
                change,
                recorded: s.placement.clone(),
                at_source,
            });
            (
                Outcome::Conflict,
                format!(
                    "{RECORDED} ({why}) : elle a des présences enregistrées, elle reste telle quelle et l’école est prévenue"
                ),
            )
        } else {
            plan.deletes.push(s.id);
            (
                Outcome::Cancelled,
                format!("{why} : la séance n° {} est supprimée", s.id),
            )
        }
    };
    for c in &candidates {
        let event = &c.event;
        // A repeated UID (a broken feed) counts once: the first occurrence in time order.
        if !seen.insert(event.uid.as_str()) {
            let reason =
                "UID en double dans le calendrier : seule la première occurrence compte".to_owned();
            plan.events
                .push(line(event, Outcome::Ignored, None, Some(reason)));
            continue;
        }
        let existing = by_uid.get(event.uid.as_str()).copied();
        let index = plan.events.len();
        let draft = match &c.resolution {
            _ if event.cancelled => {
                let (outcome, session, reason) = match existing {
                    Some(s) => {
                        let (o, r) = let_go(
                            &mut plan,
                            s,
                            None,
                            "annulée dans l’emploi du temps".to_owned(),
                        );
                        if o == Outcome::Conflict {
                            staying.push(s);
                        }
                        (o, Some(s.id), r)
                    }
                    None => (
                        Outcome::Cancelled,
                        None,
                        "annulée dans l’emploi du temps".to_owned(),
                    ),
                };
                plan.events
                    .push(line(event, outcome, session, Some(reason)));
                continue;
            }
            Resolution::Ignored(why) | Resolution::Unmatched(why) if existing.is_none() => {
                let outcome = if matches!(c.resolution, Resolution::Ignored(_)) {
                    Outcome::Ignored
                } else {
                    Outcome::Unmatched
                };
                plan.events
                    .push(line(event, outcome, None, Some(why.clone())));
                continue;
            }
            Resolution::Ignored(why) => {
                let s = existing.expect("matched above");
                let (o, r) = let_go(&mut plan, s, None, format!("désormais ignorée ({why})"));
                if o == Outcome::Conflict {
                    staying.push(s);
                }
                plan.events.push(line(event, o, Some(s.id), Some(r)));
                continue;
            }
            Resolution::Unmatched(why) => {
                // The mapping lost it: its session stays as it is until the mapping is fixed.
                let s = existing.expect("matched above");
                staying.push(s);
                let reason = format!("{why} ; la séance n° {} reste telle quelle", s.id);
                plan.events
                    .push(line(event, Outcome::Unmatched, Some(s.id), Some(reason)));
                continue;
            }
            Resolution::Session(draft) => draft,
        };
        let wanted = placement(event, draft);
        if let Some(why) = refusal(frame, event.day) {
            let (outcome, session, reason) = match existing {
                Some(s) if s.placement == wanted => {
                    // Already there (the calendar changed since): leave it, say why.
                    staying.push(s);
                    (Outcome::Refused, Some(s.id), why)
                }
                Some(s) => {
                    let (o, r) = let_go(&mut plan, s, Some(wanted.clone()), why.clone());
                    if o == Outcome::Conflict {
                        staying.push(s);
                        (o, Some(s.id), r)
                    } else {
                        (
                            Outcome::Refused,
                            Some(s.id),
                            format!("{why} ; la séance n° {} est supprimée", s.id),
                        )
                    }
                }
                None => (Outcome::Refused, None, why),
            };
            plan.events
                .push(line(event, outcome, session, Some(reason)));
            continue;
        }
        match existing {
            Some(s) if s.placement == wanted => {
                staying.push(s);
                plan.events
                    .push(line(event, Outcome::Unchanged, Some(s.id), None));
            }
            Some(s) if s.recorded => {
                staying.push(s);
                let why = differences(&s.placement, &wanted);
                let (o, r) = let_go(&mut plan, s, Some(wanted), why);
                plan.events.push(line(event, o, Some(s.id), Some(r)));
            }
            Some(s) => {
                plan.events.push(line(
                    event,
                    Outcome::Moved,
                    Some(s.id),
                    Some(differences(&s.placement, &wanted)),
                ));
                pending.push((index, Pending::Move(s.id, wanted)));
            }
            None => {
                plan.events.push(line(event, Outcome::New, None, None));
                pending.push((index, Pending::Create(wanted)));
            }
        }
    }
    // Sessions whose event is gone from the source.
    for s in sourced {
        if seen.contains(s.uid.as_str()) {
            continue;
        }
        let (outcome, reason) = let_go(
            &mut plan,
            s,
            None,
            "disparue de l’emploi du temps".to_owned(),
        );
        if outcome == Outcome::Conflict {
            staying.push(s);
        }
        let p = &s.placement;
        plan.events.push(PlannedEvent {
            uid: s.uid.clone(),
            outcome,
            session_id: Some(s.id),
            reason: Some(reason),
            day: p.day,
            starts_at: p.starts_at,
            ends_at: p.ends_at,
            summary: String::new(),
            line: None,
        });
    }

    // The overlap check: other sessions, and the source's own that stay; then each new or
    // moved placement in time order, kept only if it overlaps nothing.
    let mut occupancy = Occupancy::default();
    for o in others.iter().filter(|o| !own.contains(&o.id)) {
        occupancy.add(
            o.id,
            o.group_id == frame.group_id,
            o.teacher_id,
            o.day,
            o.starts_at,
            o.ends_at,
        );
    }
    for s in &staying {
        let p = &s.placement;
        occupancy.add(s.id, true, p.teacher_id, p.day, p.starts_at, p.ends_at);
    }
    let mut next_new = -1;
    for (index, pending) in pending {
        let (p, except) = match &pending {
            Pending::Create(p) => (p, None),
            Pending::Move(id, p) => (p, Some(*id)),
        };
        if let Some(why) = occupancy.clash(p, except) {
            let entry = &mut plan.events[index];
            entry.outcome = Outcome::Conflict;
            entry.reason = Some(match except {
                Some(id) => format!("{why} : la séance n° {id} n’est pas déplacée"),
                None => format!("{why} : elle n’est pas créée"),
            });
            if let Some(id) = except {
                // It stays where it was, and holds that place.
                if let Some(s) = sourced.iter().find(|s| s.id == id) {
                    let q = &s.placement;
                    occupancy.add(id, true, q.teacher_id, q.day, q.starts_at, q.ends_at);
                }
            }
            continue;
        }
        match pending {
            Pending::Create(p) => {
                occupancy.add(next_new, true, p.teacher_id, p.day, p.starts_at, p.ends_at);
                next_new -= 1;
                plan.creates
                    .push((plan.events[index].uid.clone(), p, index));
            }
            Pending::Move(id, p) => {
                occupancy.add(id, true, p.teacher_id, p.day, p.starts_at, p.ends_at);
                plan.moves.push((id, p));
            }
        }
    }
    plan
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
