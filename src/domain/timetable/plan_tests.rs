//! The sync planner's rules, on hand-made cases and on random ones.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveTime};
use proptest::prelude::*;

use super::*;
use crate::domain::timetable::mapping::{Draft, Resolution};
use crate::domain::timetable::{Outcome, SourceEvent};

fn d(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 9, day).unwrap()
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// September 2025: weekdays are school days, except the 10th (company) and the 11th
/// (holiday); one contract covering the whole month.
fn frame() -> Frame {
    let mut days = HashMap::new();
    for n in 1..=30 {
        let day = d(n);
        let kind = match n {
            10 => DayKind::Company,
            11 => DayKind::Holiday,
            _ if day.weekday().num_days_from_monday() >= 5 => DayKind::Holiday,
            _ => DayKind::School,
        };
        days.insert(day, kind);
    }
    Frame {
        group_id: 1,
        year_starts_on: d(1),
        year_ends_on: d(30),
        days,
        contracts: vec![(d(1), d(30))],
    }
}

fn event(uid: &str, day: NaiveDate, from: NaiveTime, to: NaiveTime) -> SourceEvent {
    SourceEvent {
        uid: uid.to_owned(),
        line: 1,
        day,
        starts_at: from,
        ends_at: to,
        shape_problem: None,
        cancelled: false,
        summary: "Ingénierie logicielle".to_owned(),
        description: String::new(),
        location: "B204".to_owned(),
        categories: Vec::new(),
        attendees: Vec::new(),
        organizer: None,
    }
}

fn session(e: SourceEvent, teacher: i64) -> Candidate {
    Candidate {
        event: e,
        resolution: Resolution::Session(Draft {
            module_id: 1,
            teacher_id: teacher,
            room: "B204".to_owned(),
        }),
    }
}

/// The source's sessions once `plan` is written (ids from 1000 on for new ones).
fn applied(plan: &Plan, before: &[SourcedSession]) -> Vec<SourcedSession> {
    let mut after: Vec<SourcedSession> = before
        .iter()
        .filter(|s| !plan.deletes.contains(&s.id))
        .cloned()
        .collect();
    for (id, p) in &plan.moves {
        let s = after.iter_mut().find(|s| s.id == *id).unwrap();
        s.placement = p.clone();
    }
    let next = after.iter().map(|s| s.id).max().unwrap_or(999).max(999);
    for (n, (uid, p, _)) in plan.creates.iter().enumerate() {
        after.push(SourcedSession {
            id: next + 1 + n as i64,
            uid: uid.clone(),
            placement: p.clone(),
            recorded: false,
        });
    }
    after
}

fn outcomes(plan: &Plan) -> Vec<(String, Outcome)> {
    plan.events
        .iter()
        .map(|e| (e.uid.clone(), e.outcome))
        .collect()
}

#[test]
fn new_then_unchanged_writes_nothing() {
    let events = vec![
        session(event("a", d(8), t(8, 30), t(12, 0)), 1),
        session(event("b", d(8), t(13, 30), t(17, 0)), 1),
    ];
    let first = plan(events.clone(), &[], &[], &frame());
    assert_eq!(
        outcomes(&first),
        vec![("a".into(), Outcome::New), ("b".into(), Outcome::New)]
    );
    assert_eq!(first.creates.len(), 2);
    let sourced = applied(&first, &[]);
    let again = plan(events, &sourced, &[], &frame());
    assert!(again.is_empty(), "{again:?}");
    assert!(again.events.iter().all(|e| e.outcome == Outcome::Unchanged));
}

#[test]
fn an_unrecorded_session_follows_its_event_and_a_recorded_one_is_flagged() {
    let before = plan(
        vec![
            session(event("a", d(8), t(8, 30), t(12, 0)), 1),
            session(event("b", d(9), t(8, 30), t(12, 0)), 1),
            session(event("c", d(12), t(8, 30), t(12, 0)), 1),
        ],
        &[],
        &[],
        &frame(),
    );
    let mut sourced = applied(&before, &[]);
    // b has marks.
    sourced.iter_mut().find(|s| s.uid == "b").unwrap().recorded = true;
    let next = plan(
        vec![
            session(event("a", d(15), t(8, 30), t(12, 0)), 1),
            session(event("b", d(16), t(8, 30), t(12, 0)), 1),
        ],
        &sourced,
        &[],
        &frame(),
    );
    let by_uid: HashMap<_, _> = next.events.iter().map(|e| (e.uid.as_str(), e)).collect();
    assert_eq!(by_uid["a"].outcome, Outcome::Moved);
    assert_eq!(by_uid["b"].outcome, Outcome::Conflict);
    assert!(
        by_uid["b"]
            .reason
            .as_deref()
            .unwrap()
            .contains("séance enregistrée modifiée dans l’emploi du temps")
    );
    assert_eq!(by_uid["c"].outcome, Outcome::Cancelled);
    let b = sourced.iter().find(|s| s.uid == "b").unwrap();
    assert_eq!(next.moves.len(), 1);
    assert!(next.moves.iter().all(|(id, _)| *id != b.id));
    assert!(!next.deletes.contains(&b.id));
    assert_eq!(next.flags.len(), 1);
    assert_eq!(next.flags[0].change, Change::Moved);
    assert_eq!(next.flags[0].at_source.as_ref().unwrap().day, d(16));
    // b vanishing altogether: flagged as vanished, still not deleted.
    let gone = plan(vec![], &sourced, &[], &frame());
    let flagged: Vec<_> = gone
        .flags
        .iter()
        .map(|f| (f.session_id, f.change))
        .collect();
    assert_eq!(flagged, vec![(b.id, Change::Vanished)]);
    assert!(!gone.deletes.contains(&b.id));
    assert_eq!(gone.deletes.len(), 2);
}

#[test]
fn days_that_cannot_hold_a_session_are_refused_with_the_reason() {
    let mut f = frame();
    let p = plan(
        vec![
            session(event("company", d(10), t(8, 30), t(12, 0)), 1),
            session(event("holiday", d(11), t(8, 30), t(12, 0)), 1),
            session(event("saturday", d(13), t(8, 30), t(12, 0)), 1),
        ],
        &[],
        &[],
        &f,
    );
    assert!(p.events.iter().all(|e| e.outcome == Outcome::Refused));
    assert!(
        p.events[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("« entreprise »")
    );
    assert!(p.creates.is_empty());
    // Outside every contract.
    f.contracts = vec![(d(20), d(30))];
    let p = plan(
        vec![session(event("x", d(8), t(8, 30), t(12, 0)), 1)],
        &[],
        &[],
        &f,
    );
    assert_eq!(p.events[0].outcome, Outcome::Refused);
    assert!(
        p.events[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("hors des dates de contrat")
    );
}

#[test]
fn overlaps_with_the_group_or_the_teacher_are_listed_not_written() {
    let others = vec![Occupied {
        id: 7,
        group_id: 2,
        teacher_id: 1,
        day: d(8),
        starts_at: t(10, 0),
        ends_at: t(11, 0),
    }];
    let p = plan(
        vec![
            // The teacher teaches group 2 at 10:00.
            session(event("a", d(8), t(8, 30), t(12, 0)), 1),
            // Two events of the group at once (half-groups): the second is a conflict.
            session(event("b", d(9), t(8, 30), t(12, 0)), 2),
            session(event("c", d(9), t(9, 0), t(10, 0)), 3),
        ],
        &[],
        &others,
        &frame(),
    );
    let o = outcomes(&p);
    assert_eq!(o[0], ("a".into(), Outcome::Conflict));
    assert!(
        p.events[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("séance n° 7")
    );
    assert_eq!(o[1], ("b".into(), Outcome::New));
    assert_eq!(o[2], ("c".into(), Outcome::Conflict));
    assert_eq!(p.creates.len(), 1);
}

#[test]
fn cancelled_ignored_and_unmatched_events() {
    let first = plan(
        vec![
            session(event("a", d(8), t(8, 30), t(12, 0)), 1),
            session(event("b", d(9), t(8, 30), t(12, 0)), 1),
        ],
        &[],
        &[],
        &frame(),
    );
    let sourced = applied(&first, &[]);
    let mut cancelled = session(event("a", d(8), t(8, 30), t(12, 0)), 1);
    cancelled.event.cancelled = true;
    let unmatched = Candidate {
        event: event("b", d(9), t(8, 30), t(12, 0)),
        resolution: Resolution::Unmatched("aucun module pour « X »".to_owned()),
    };
    let ignored = Candidate {
        event: event("exam", d(12), t(8, 30), t(12, 0)),
        resolution: Resolution::Ignored("règle d’exclusion « ^Examen »".to_owned()),
    };
    let p = plan(vec![cancelled, unmatched, ignored], &sourced, &[], &frame());
    let o = outcomes(&p);
    assert_eq!(o[0], ("a".into(), Outcome::Cancelled));
    // The mapping lost b: its session stays until the mapping is fixed.
    assert_eq!(o[1], ("b".into(), Outcome::Unmatched));
    assert_eq!(o[2], ("exam".into(), Outcome::Ignored));
    let a = sourced.iter().find(|s| s.uid == "a").unwrap().id;
    assert_eq!(p.deletes, vec![a]);
}

fn arbitrary_events() -> impl Strategy<Value = Vec<(u8, u32, u32, u32, i64, bool)>> {
    // (uid, day, start slot, length in half-hours, teacher, cancelled)
    proptest::collection::vec(
        (
            0u8..12,
            1u32..=30,
            0u32..16,
            1u32..8,
            1i64..4,
            proptest::bool::weighted(0.1),
        ),
        0..14,
    )
}

fn candidates(raw: &[(u8, u32, u32, u32, i64, bool)]) -> Vec<Candidate> {
    raw.iter()
        .map(|(uid, day, slot, len, teacher, cancelled)| {
            let start = t(8 + slot / 2, (slot % 2) * 30);
            let end_minutes = (8 * 60 + slot * 30 + len * 30).min(23 * 60);
            let end = t(end_minutes / 60, end_minutes % 60);
            let mut c = session(event(&format!("u{uid}"), d(*day), start, end), *teacher);
            c.event.cancelled = *cancelled;
            c
        })
        .collect()
}

proptest! {
    /// Whatever the source says: a recorded session is never moved nor deleted, no two
    /// sessions of the group or of a teacher overlap once the plan is written, and planning
    /// the same source again writes nothing.
    #[test]
    fn attendance_is_safe_and_a_resync_is_a_no_op(
        first in arbitrary_events(),
        second in arbitrary_events(),
        recorded in proptest::collection::vec(any::<bool>(), 16),
    ) {
        let f = frame();
        let p1 = plan(candidates(&first), &[], &[], &f);
        let mut sourced = applied(&p1, &[]);
        for (s, r) in sourced.iter_mut().zip(&recorded) {
            s.recorded = *r;
        }
        let p2 = plan(candidates(&second), &sourced, &[], &f);
        for s in sourced.iter().filter(|s| s.recorded) {
            prop_assert!(!p2.deletes.contains(&s.id));
            prop_assert!(p2.moves.iter().all(|(id, _)| *id != s.id));
        }
        let after = applied(&p2, &sourced);
        for (i, a) in after.iter().enumerate() {
            for b in &after[i + 1..] {
                let (p, q) = (&a.placement, &b.placement);
                let overlap = p.day == q.day && p.starts_at < q.ends_at && q.starts_at < p.ends_at;
                prop_assert!(!overlap, "{a:?} overlaps {b:?}");
            }
        }
        let p3 = plan(candidates(&second), &after, &[], &f);
        prop_assert!(p3.creates.is_empty() && p3.moves.is_empty() && p3.deletes.is_empty(),
            "{:?}", outcomes(&p3));
    }
}
