//! Calendar feeds (iCal, RFC 5545): a person's training sessions and their school, company
//! and holiday periods, as a calendar that phones subscribe to. Plain values in, text out.
//!
//! Times are written in UTC (`DTSTART:20251027T073000Z`), converted from Paris civil time
//! here: every client places them right, across the changes of summer time, without the
//! feed having to carry a `VTIMEZONE` of its own (which the `icalendar` crate cannot write).

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::attendance::SessionTimes;
use crate::domain::calendar::{CalendarDay, DayKind, is_weekend};
use crate::domain::text::{date_fr, is_invisible_format, sort_key};

/// Bumped when the text of a feed changes for the same data, so that ETags change too.
const FORMAT_VERSION: &str = "assidu-feed-2";

/// Where the roll call of a session stands, as a feed tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RollCall {
    /// The session has not begun.
    Upcoming,
    /// Begun or past, nobody marked yet.
    ToTake,
    /// Marks recorded, the sheet not signed yet.
    Recorded,
    /// The teacher signed the sheet.
    Signed,
}

impl RollCall {
    pub fn of(begun: bool, marks: i64, signed: bool) -> RollCall {
        match (signed, marks > 0, begun) {
            (true, _, _) => RollCall::Signed,
            (false, true, _) => RollCall::Recorded,
            (false, false, true) => RollCall::ToTake,
            (false, false, false) => RollCall::Upcoming,
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            RollCall::Upcoming => "à venir",
            RollCall::ToTake => "à faire",
            RollCall::Recorded => "saisi, non signé",
            RollCall::Signed => "signé",
        }
    }

    /// The `CATEGORIES` item: calendar apps can filter or colour on it.
    pub fn category(self) -> &'static str {
        match self {
            RollCall::Upcoming => "Appel à venir",
            RollCall::ToTake => "Appel à faire",
            RollCall::Recorded => "Appel saisi",
            RollCall::Signed => "Appel signé",
        }
    }
}

/// One training session of a feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedSession {
    pub id: i64,
    /// Civil date and times in Paris.
    pub day: NaiveDate,
    pub starts_at: NaiveTime,
    pub ends_at: NaiveTime,
    pub module: String,
    pub room: String,
    pub teacher: String,
    pub group: String,
    pub roll_call: RollCall,
    /// The students it concerns, named in a tutor's feed; empty in the others.
    pub students: Vec<String>,
}

/// Consecutive days of one kind, both ends included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    pub kind: DayKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Whose period it is, named in a tutor's feed; empty in a student's.
    pub students: Vec<String>,
}

/// Everything one feed shows.
#[derive(Debug, Clone, Serialize)]
pub struct Feed {
    /// « Prénom Nom » of the person whose timetable it is.
    pub owner_name: String,
    /// What the calendar holds, in a sentence (its `DESCRIPTION`).
    pub description: String,
    /// The host of the public URL, for the events' UIDs.
    pub host: String,
    /// The public URL (no trailing slash), for links to the sessions' pages.
    pub base_url: String,
    pub sessions: Vec<FeedSession>,
    pub periods: Vec<Period>,
}

/// Merges calendar days into periods of consecutive days of one kind, as people say them:
/// « à l'école du 01/09 au 30/09 », not one event per week. A weekend that is a holiday (the
/// calendar's default for weekends) or left out does not break a run, is no « Congés » of its
/// own, and widens the holidays it touches (« congés du 20/12 au 04/01 »).
pub fn merge_days(days: &[CalendarDay]) -> Vec<Period> {
    let is_rest = |d: &CalendarDay| d.kind == DayKind::Holiday && is_weekend(d.date);
    let rest: HashSet<NaiveDate> = days.iter().filter(|d| is_rest(d)).map(|d| d.date).collect();
    let mut worked: Vec<&CalendarDay> = days.iter().filter(|d| !is_rest(d)).collect();
    worked.sort_by_key(|d| d.date);
    let mut periods: Vec<Period> = Vec::new();
    for day in worked {
        if let Some(last) = periods.last_mut()
            && last.kind == day.kind
            && last.to < day.date
            && last.to.succ_opt().is_some_and(|next| {
                next.iter_days()
                    .take_while(|d| *d < day.date)
                    .all(is_weekend)
            })
        {
            last.to = day.date;
            continue;
        }
        periods.push(Period {
            kind: day.kind,
            from: day.date,
            to: day.date,
            students: Vec::new(),
        });
    }
    for p in periods.iter_mut().filter(|p| p.kind == DayKind::Holiday) {
        while let Some(before) = p.from.pred_opt().filter(|d| rest.contains(d)) {
            p.from = before;
        }
        while let Some(after) = p.to.succ_opt().filter(|d| rest.contains(d)) {
            p.to = after;
        }
    }
    periods
}

/// Sorts names the French way and drops repeats.
fn tidy_names(names: &mut Vec<String>) {
    names.sort_by_key(|n| sort_key(n));
    names.dedup();
}

/// One event per session: rows of the same session (one per student of a tutor, or one per
/// contract of a student) are merged with their students named together.
pub fn merge_sessions(rows: Vec<FeedSession>) -> Vec<FeedSession> {
    let mut rows = rows;
    rows.sort_by_key(|s| (s.day, s.starts_at, s.id));
    let mut merged: Vec<FeedSession> = Vec::with_capacity(rows.len());
    for row in rows {
        match merged.last_mut() {
            Some(last) if last.id == row.id => last.students.extend(row.students),
            _ => merged.push(row),
        }
    }
    for s in &mut merged {
        tidy_names(&mut s.students);
    }
    merged
}

/// Identical periods of several students (same kind and dates) become one, naming them all.
pub fn combine_periods(periods: Vec<Period>) -> Vec<Period> {
    let mut periods = periods;
    periods.sort_by_key(|p| (p.from, p.to, p.kind.as_str()));
    let mut combined: Vec<Period> = Vec::with_capacity(periods.len());
    for p in periods {
        match combined.last_mut() {
            Some(last) if (last.kind, last.from, last.to) == (p.kind, p.from, p.to) => {
                last.students.extend(p.students)
            }
            _ => combined.push(p),
        }
    }
    for p in &mut combined {
        tidy_names(&mut p.students);
    }
    combined
}

fn period_title(kind: DayKind) -> &'static str {
    match kind {
        DayKind::School => "À l’école",
        DayKind::Company => "En entreprise",
        DayKind::Holiday => "Congés",
    }
}

/// A value as an iCalendar TEXT may carry it, whatever the database holds: line breaks
/// become `\n` (escaped by the writer), other control and invisible characters go. A name
/// with a line break would otherwise start a property of its own (`BEGIN:VEVENT`…).
fn clean(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .chars()
        .map(|c| if c == '\r' { '\n' } else { c })
        .filter(|c| *c == '\n' || !(c.is_control() || is_invisible_format(*c)))
        .collect()
}

/// RFC 5545, 3.3.11, for the properties the writer copies raw (`NAME` is not in its table).
fn escaped(value: &str) -> String {
    clean(value)
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

fn session_event(s: &FeedSession, feed: &Feed, stamp: DateTime<Utc>) -> Event {
    let times = SessionTimes::new(s.day, s.starts_at, s.ends_at);
    let mut lines = Vec::with_capacity(5);
    match s.students.len() {
        0 => {}
        1 => lines.push(format!("Apprenti·e : {}", s.students[0])),
        _ => lines.push(format!("Apprenti·es : {}", s.students.join(", "))),
    }
    lines.push(format!("Enseignant·e : {}", s.teacher));
    lines.push(format!("Groupe : {}", s.group));
    lines.push(format!(
        "Horaires : {} de {} à {} (heure de Paris)",
        date_fr(s.day),
        s.starts_at.format("%H:%M"),
        s.ends_at.format("%H:%M")
    ));
    lines.push(format!("Appel : {}", s.roll_call.label_fr()));
    let mut event = Event::new();
    event
        .uid(&format!("session-{}@{}", s.id, feed.host))
        .timestamp(stamp)
        .starts(times.starts)
        .ends(times.ends)
        .summary(&clean(&s.module))
        .description(&clean(&lines.join("\n")))
        .status(EventStatus::Confirmed)
        .categories(["Séance", s.roll_call.category()])
        .url(&format!("{}/sessions/{}", feed.base_url, s.id));
    if !s.room.is_empty() {
        event.location(&clean(&s.room));
    }
    event.done()
}

fn period_event(p: &Period, feed: &Feed, stamp: DateTime<Utc>) -> Event {
    let title = if p.students.is_empty() {
        period_title(p.kind).to_owned()
    } else {
        format!("{} — {}", period_title(p.kind), p.students.join(", "))
    };
    let mut event = Event::new();
    event
        .uid(&format!(
            "{}-{}-{}@{}",
            p.kind.as_str(),
            p.from.format("%Y%m%d"),
            p.to.format("%Y%m%d"),
            feed.host
        ))
        .timestamp(stamp)
        .starts(p.from)
        // All-day events end on the day after their last (RFC 5545, 3.6.1).
        .ends(p.to + Duration::days(1))
        .summary(&clean(&title))
        .description(&format!("Du {} au {}", date_fr(p.from), date_fr(p.to)))
        .categories([period_title(p.kind)])
        // A period does not make anyone busy in a free/busy search; its sessions do.
        .add_property("TRANSP", "TRANSPARENT");
    event.done()
}

/// The feed as iCalendar text. `stamp` is its `DTSTAMP` (when it was generated).
pub fn render(feed: &Feed, stamp: DateTime<Utc>) -> String {
    let mut calendar = Calendar::empty();
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//assidu//Emploi du temps//FR"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
    ] {
        calendar.append_property(Property::new(key, value));
    }
    let name = format!("assidu — {}", feed.owner_name);
    calendar
        .append_property(Property::new("NAME", escaped(&name)))
        .append_property(Property::new("X-WR-CALNAME", clean(&name)))
        .description(&clean(&feed.description))
        .append_property(Property::new("X-WR-TIMEZONE", "Europe/Paris"))
        .ttl(&Duration::hours(1));
    for p in &feed.periods {
        calendar.push(period_event(p, feed, stamp));
    }
    for s in &feed.sessions {
        calendar.push(session_event(s, feed, stamp));
    }
    calendar.to_string()
}

/// A digest of what the feed shows (not of when it was generated): its ETag.
pub fn fingerprint(feed: &Feed) -> String {
    let mut h = Sha256::new();
    h.update(FORMAT_VERSION.as_bytes());
    // Serialising plain structs cannot fail; an empty digest input would only weaken caching.
    h.update(serde_json::to_vec(feed).unwrap_or_default());
    hex::encode(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    fn day(date: &str, kind: DayKind) -> CalendarDay {
        CalendarDay {
            date: d(date),
            kind,
            note: None,
        }
    }

    /// Days as a calendar import sets them: `kind` on weekdays, holiday on weekends.
    fn weeks(from: &str, to: &str, kind: DayKind) -> Vec<CalendarDay> {
        d(from)
            .iter_days()
            .take_while(|x| *x <= d(to))
            .map(|x| CalendarDay {
                date: x,
                kind: if is_weekend(x) {
                    DayKind::Holiday
                } else {
                    kind
                },
                note: None,
            })
            .collect()
    }

    fn session(id: i64, date: &str, start: &str, students: &[&str]) -> FeedSession {
        FeedSession {
            id,
            day: d(date),
            starts_at: t(start),
            ends_at: t(start) + Duration::hours(3) + Duration::minutes(30),
            module: "Ingénierie logicielle".to_owned(),
            room: "B101".to_owned(),
            teacher: "Anne Prof".to_owned(),
            group: "2IA-IL".to_owned(),
            roll_call: RollCall::Upcoming,
            students: students.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn feed(sessions: Vec<FeedSession>, periods: Vec<Period>) -> Feed {
        Feed {
            owner_name: "Zoé Élève".to_owned(),
            description: "Emploi du temps".to_owned(),
            host: "assidu.test".to_owned(),
            base_url: "https://assidu.test".to_owned(),
            sessions,
            periods,
        }
    }

    /// The lines of a calendar text with folded lines joined back (RFC 5545, 3.1).
    fn unfolded(text: &str) -> Vec<String> {
        text.replace("\r\n ", "")
            .split("\r\n")
            .map(str::to_owned)
            .collect()
    }

    /// Every property of every component, unescaped by the crate's own parser.
    fn parsed(text: &str) -> Vec<(String, Vec<(String, String)>)> {
        let unfolded = icalendar::parser::unfold(text);
        let calendar = icalendar::parser::read_calendar(&unfolded).expect("a calendar that parses");
        calendar
            .components
            .iter()
            .map(|c| {
                (
                    c.name.to_string(),
                    c.properties
                        .iter()
                        .map(|p| (p.name.to_string(), p.val.to_string()))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn names_cannot_inject_lines_into_the_feed() {
        let hostile = "Zoé\r\nBEGIN:VEVENT\r\nSUMMARY:Faux; cours, annulé\\\nEND:VEVENT\u{202E}";
        let mut s = session(1, "2025-09-15", "08:30", &[hostile]);
        s.module = hostile.to_owned();
        s.room = hostile.to_owned();
        s.teacher = hostile.to_owned();
        let mut f = feed(vec![s], Vec::new());
        f.owner_name = hostile.to_owned();
        let text = render(&f, DateTime::UNIX_EPOCH);
        let components = parsed(&text);
        let events: Vec<_> = components.iter().filter(|(n, _)| n == "VEVENT").collect();
        assert_eq!(events.len(), 1, "{text}");
        let summary = &events[0].1.iter().find(|(k, _)| k == "SUMMARY").unwrap().1;
        assert_eq!(
            summary,
            "Zoé\nBEGIN:VEVENT\nSUMMARY:Faux; cours, annulé\\\nEND:VEVENT"
        );
        for line in unfolded(&text) {
            assert!(!line.starts_with("BEGIN:VEVENT") || line == "BEGIN:VEVENT");
            assert!(!line.contains('\u{202E}'));
        }
        assert_eq!(
            unfolded(&text)
                .iter()
                .filter(|l| l.starts_with("NAME:"))
                .count(),
            1,
            "{text}"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_in_any_field_stays_in_its_property(
            name in "\\PC*", module in "(\\PC|[\\r\\n;,\\\\:])*", room in "(\\PC|[\\r\\n])*",
        ) {
            let mut s = session(1, "2025-09-15", "08:30", &[&name]);
            s.module = module.clone();
            s.room = room;
            let mut f = feed(vec![s], Vec::new());
            f.owner_name = name;
            let text = render(&f, DateTime::UNIX_EPOCH);
            let components = parsed(&text);
            let events: Vec<_> = components.iter().filter(|(n, _)| n == "VEVENT").collect();
            proptest::prop_assert_eq!(events.len(), 1);
            let summary = events[0].1.iter().find(|(k, _)| k == "SUMMARY").map(|(_, v)| v.clone());
            proptest::prop_assert_eq!(summary.unwrap_or_default(), clean(&module));
        }
    }

    #[test]
    fn weeks_merge_over_weekends_and_holidays_take_in_theirs() {
        // The test calendar's autumn: school to Tuesday 30/09, the company from Wednesday
        // 01/10 (a date range, its weekend included), school again, Christmas holidays.
        let mut days = weeks("2025-09-01", "2025-09-30", DayKind::School);
        days.extend(
            d("2025-10-01")
                .iter_days()
                .take_while(|x| *x <= d("2025-10-10"))
                .map(|x| CalendarDay {
                    date: x,
                    kind: DayKind::Company,
                    note: None,
                }),
        );
        days.extend(weeks("2025-10-11", "2025-10-24", DayKind::Company));
        days.extend(weeks("2025-10-25", "2025-12-19", DayKind::School));
        days.extend(weeks("2025-12-20", "2026-01-04", DayKind::Holiday));
        days.extend(weeks("2026-01-05", "2026-01-09", DayKind::School));
        let spans: Vec<(DayKind, String, String)> = merge_days(&days)
            .iter()
            .map(|p| (p.kind, p.from.to_string(), p.to.to_string()))
            .collect();
        let span = |k, a: &str, b: &str| (k, a.to_owned(), b.to_owned());
        assert_eq!(
            spans,
            vec![
                span(DayKind::School, "2025-09-01", "2025-09-30"),
                span(DayKind::Company, "2025-10-01", "2025-10-24"),
                span(DayKind::School, "2025-10-27", "2025-12-19"),
                span(DayKind::Holiday, "2025-12-20", "2026-01-04"),
                span(DayKind::School, "2026-01-05", "2026-01-09"),
            ]
        );
        // Weekends left out of the calendar bridge runs the same way.
        let weekdays_only: Vec<CalendarDay> = days
            .iter()
            .filter(|x| !is_weekend(x.date))
            .cloned()
            .collect();
        let merged = merge_days(&weekdays_only);
        assert_eq!(merged.len(), 5);
        assert_eq!(
            (merged[3].from, merged[3].to),
            (d("2025-12-22"), d("2026-01-02"))
        );
    }

    #[test]
    fn a_missing_weekday_or_another_kind_breaks_a_run() {
        // Wednesday missing: two runs. A Saturday in the company breaks the next one.
        let days = vec![
            day("2025-09-01", DayKind::School),
            day("2025-09-02", DayKind::School),
            day("2025-09-04", DayKind::School),
            day("2025-09-05", DayKind::School),
            day("2025-09-06", DayKind::Company),
            day("2025-09-08", DayKind::School),
        ];
        let periods = merge_days(&days);
        assert_eq!(periods.len(), 4, "{periods:?}");
        assert_eq!(
            (periods[1].from, periods[1].to),
            (d("2025-09-04"), d("2025-09-05"))
        );
        assert_eq!(periods[2].kind, DayKind::Company);
        // Unsorted input gives the same periods; no days, no periods.
        let mut reversed = days.clone();
        reversed.reverse();
        assert_eq!(merge_days(&reversed), periods);
        assert!(merge_days(&[]).is_empty());
    }

    #[test]
    fn rows_of_one_session_become_one_event_naming_its_students() {
        let merged = merge_sessions(vec![
            session(7, "2025-09-16", "08:30", &["Zoé Élève"]),
            session(3, "2025-09-15", "08:30", &["Léo Martin"]),
            session(7, "2025-09-16", "08:30", &["Adèle Dupont"]),
            session(7, "2025-09-16", "08:30", &["Zoé Élève"]),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].id, 3);
        assert_eq!(merged[1].students, vec!["Adèle Dupont", "Zoé Élève"]);
    }

    #[test]
    fn identical_periods_of_several_students_are_combined() {
        let p = |from: &str, to: &str, who: &str| Period {
            kind: DayKind::Company,
            from: d(from),
            to: d(to),
            students: vec![who.to_owned()],
        };
        let combined = combine_periods(vec![
            p("2025-10-01", "2025-10-24", "Zoé Élève"),
            p("2025-10-01", "2025-10-24", "Léo Martin"),
            p("2025-10-01", "2025-10-17", "Ana Lopez"),
        ]);
        assert_eq!(combined.len(), 2);
        assert_eq!(combined[0].students, vec!["Ana Lopez"]);
        assert_eq!(combined[1].students, vec!["Léo Martin", "Zoé Élève"]);
    }

    #[test]
    fn roll_call_states() {
        assert_eq!(RollCall::of(false, 0, false), RollCall::Upcoming);
        assert_eq!(RollCall::of(true, 0, false), RollCall::ToTake);
        assert_eq!(RollCall::of(true, 3, false), RollCall::Recorded);
        assert_eq!(RollCall::of(true, 3, true), RollCall::Signed);
    }

    #[test]
    fn sessions_are_placed_at_paris_time_across_the_autumn_change() {
        let stamp = "2025-10-20T08:00:00Z".parse().unwrap();
        let mut signed = session(3, "2025-10-24", "08:30", &[]);
        signed.roll_call = RollCall::Signed;
        let text = render(
            &feed(vec![signed, session(4, "2025-10-27", "08:30", &[])], vec![]),
            stamp,
        );
        let lines = unfolded(&text);
        let has = |l: &str| lines.iter().any(|x| x == l);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        assert!(text.ends_with("END:VCALENDAR\r\n"), "{text}");
        // Friday before the change: UTC+2; Monday after: UTC+1. Both 08:30 in Paris.
        assert!(has("DTSTART:20251024T063000Z"), "{text}");
        assert!(has("DTEND:20251024T100000Z"), "{text}");
        assert!(has("DTSTART:20251027T073000Z"), "{text}");
        assert!(has("UID:session-4@assidu.test"), "{text}");
        assert!(has("SUMMARY:Ingénierie logicielle"), "{text}");
        assert!(has("LOCATION:B101"), "{text}");
        assert!(has("STATUS:CONFIRMED"), "{text}");
        assert!(has("CATEGORIES:Séance,Appel signé"), "{text}");
        assert!(has("CATEGORIES:Séance,Appel à venir"), "{text}");
        assert!(has("DTSTAMP:20251020T080000Z"), "{text}");
        assert!(has("X-WR-CALNAME:assidu — Zoé Élève"), "{text}");
        assert!(has("URL:https://assidu.test/sessions/4"), "{text}");
        assert!(
            lines.iter().any(|l| l
                .starts_with("DESCRIPTION:Enseignant·e : Anne Prof\\nGroupe : 2IA-IL\\n")
                && l.ends_with("\\nAppel : signé")),
            "{text}"
        );
        // Lines are folded at 75 octets at most.
        assert!(text.split("\r\n").all(|l| l.len() <= 75), "{text}");
    }

    #[test]
    fn periods_are_all_day_events_ending_the_day_after() {
        let stamp = "2025-10-20T08:00:00Z".parse().unwrap();
        let text = render(
            &feed(
                vec![session(
                    4,
                    "2025-10-27",
                    "08:30",
                    &["Zoé Élève", "Léo Martin"],
                )],
                vec![Period {
                    kind: DayKind::Company,
                    from: d("2025-10-01"),
                    to: d("2025-10-24"),
                    students: vec!["Léo Martin".to_owned(), "Zoé Élève".to_owned()],
                }],
            ),
            stamp,
        );
        let lines = unfolded(&text);
        let has = |l: &str| lines.iter().any(|x| x == l);
        assert!(has("DTSTART;VALUE=DATE:20251001"), "{text}");
        assert!(has("DTEND;VALUE=DATE:20251025"), "{text}");
        assert!(
            has("SUMMARY:En entreprise — Léo Martin\\, Zoé Élève"),
            "{text}"
        );
        assert!(has("UID:company-20251001-20251024@assidu.test"), "{text}");
        assert!(has("TRANSP:TRANSPARENT"), "{text}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("DESCRIPTION:Apprenti·es : Zoé Élève\\, Léo Martin\\n")),
            "{text}"
        );
    }

    #[test]
    fn the_fingerprint_follows_the_content_not_the_stamp() {
        let a = feed(vec![session(4, "2025-10-27", "08:30", &[])], vec![]);
        let mut b = a.clone();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        b.sessions[0].roll_call = RollCall::ToTake;
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a).len(), 32);
    }
}
