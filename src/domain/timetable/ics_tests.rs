use super::*;
use chrono::Datelike;
use proptest::prelude::*;

const ADE: &str = include_str!("../../../tests/fixtures/timetable/ade.ics");
const HYPERPLANNING: &str = include_str!("../../../tests/fixtures/timetable/hyperplanning.ics");
const OUTLOOK: &str = include_str!("../../../tests/fixtures/timetable/outlook.ics");

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn year(text: &str) -> Vec<SourceEvent> {
    parse(text, d(2025, 9, 1), d(2026, 2, 27)).unwrap()
}

fn feed(events: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\n{events}END:VCALENDAR\r\n")
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn ade_export_gives_its_events_in_paris_time() {
    let events = year(ADE);
    assert_eq!(events.len(), 11);
    let first = &events[0];
    assert_eq!(first.day, d(2025, 9, 9));
    assert_eq!((first.starts_at, first.ends_at), (t(8, 30), t(12, 0)));
    assert_eq!(first.summary, "Ingénierie logicielle");
    assert_eq!(first.location, "B204");
    assert_eq!(
        first.description,
        "2IA-IL\n2IA-DS\nPROF Anne\nDUPONT Jean\n(Exporté le:03/09/2025 10:12)"
    );
    assert_eq!(first.shape_problem, None);
    assert!(!first.cancelled);
    assert_eq!(first.line, 6);
    assert_eq!(
        first.uid,
        "ADE60323032352d323032362d4c6963656e63652d3e9-0-0"
    );
    let second = &events[1];
    assert_eq!((second.starts_at, second.ends_at), (t(13, 30), t(17, 0)));
    assert_eq!(second.line, 19);
    let sessions = events
        .iter()
        .filter(|e| e.summary == "Ingénierie logicielle" && e.day.month() == 9)
        .count();
    assert_eq!(sessions, 8);
    assert!(events.iter().any(|e| e.summary == "Examen final"));
    assert!(events.iter().any(|e| e.day == d(2025, 10, 2)));
    let holiday = events.iter().find(|e| e.summary == "Férié").unwrap();
    assert_eq!(holiday.day, d(2025, 11, 11));
    assert_eq!(
        holiday.shape_problem.as_deref(),
        Some("événement sur la journée entière")
    );
    // The window keeps only the days within it.
    let week = parse(ADE, d(2025, 9, 15), d(2025, 9, 21)).unwrap();
    assert_eq!(week.len(), 5);
    assert!(
        week.windows(2)
            .all(|w| (w[0].day, w[0].starts_at) <= (w[1].day, w[1].starts_at))
    );
}

#[test]
fn hyperplanning_recurrence_exdate_and_override() {
    let events = year(HYPERPLANNING);
    let uid = "Cours-412345-7-2IA-IL-Index-Education";
    let weekly: Vec<_> = events.iter().filter(|e| e.uid.starts_with(uid)).collect();
    let days: Vec<_> = weekly
        .iter()
        .map(|e| (e.day, e.starts_at, e.ends_at))
        .collect();
    assert_eq!(
        days,
        [
            (d(2025, 9, 8), t(8, 30), t(12, 0)),
            (d(2025, 9, 22), t(13, 30), t(17, 0)),
            (d(2025, 9, 29), t(8, 30), t(12, 0)),
        ],
        "15/09 is an EXDATE, 22/09 moved to the afternoon"
    );
    assert_eq!(weekly[0].uid, format!("{uid}/20250908T063000Z"));
    assert_eq!(weekly[1].uid, format!("{uid}/20250922T063000Z"));
    assert_eq!(weekly[1].line, line_of(HYPERPLANNING, "RECURRENCE-ID") - 5);
    assert_eq!(weekly[0].categories, ["TD"]);
    assert_eq!(
        weekly[0].summary,
        "Ingénierie logicielle - PROF Anne - TD - 2IA-IL"
    );
    assert_eq!(
        weekly[0].description,
        "Matière : Ingénierie logicielle\nEnseignant : PROF Anne\nPromotion : 2IA-IL\nSalle : A101"
    );
    let cancelled: Vec<_> = events.iter().filter(|e| e.cancelled).collect();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].day, d(2025, 9, 24));
    assert!(events.iter().any(|e| e.summary.contains("MARTIN Paul")));
    assert_eq!(events.len(), 5);
}

#[test]
fn outlook_windows_zone_and_people() {
    let events = year(OUTLOOK);
    assert_eq!(events.len(), 2);
    assert_eq!(
        (events[0].day, events[0].starts_at, events[0].ends_at),
        (d(2025, 9, 10), t(8, 30), t(12, 0))
    );
    assert_eq!(
        events[0].organizer,
        Some(Person {
            name: "PROF Anne".into(),
            email: "anne@school.test".into()
        })
    );
    assert_eq!(events[0].attendees[0].name, "Groupe 2IA-IL");
    assert_eq!(
        events[0].description,
        "Séance de TP, apporter son ordinateur\nSalle réservée."
    );
    assert_eq!(events[1].starts_at, t(13, 30));
}

#[test]
fn a_weekly_rule_keeps_its_paris_time_across_the_october_change() {
    let text = feed(
        "BEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=Europe/Paris:20251015T083000\r\n\
         DTEND;TZID=Europe/Paris:20251015T100000\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT\r\n",
    );
    let events = year(&text);
    assert_eq!(events.len(), 4);
    assert!(
        events
            .iter()
            .all(|e| e.starts_at == t(8, 30) && e.ends_at == t(10, 0))
    );
    // The key is the UTC start: +02:00 before the change, +01:00 after.
    assert_eq!(events[0].uid, "w/20251015T063000Z");
    assert_eq!(events[3].uid, "w/20251105T073000Z");
    // Same with a Windows zone name and with a floating time.
    for start in [
        "DTSTART;TZID=Romance Standard Time:20251015T083000\r\nDTEND;TZID=Romance Standard Time:20251015T100000",
        "DTSTART:20251015T083000\r\nDTEND:20251015T100000",
    ] {
        let text = feed(&format!(
            "BEGIN:VEVENT\r\nUID:w\r\n{start}\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT\r\n"
        ));
        let events = year(&text);
        assert_eq!(events.len(), 4, "{start}");
        assert!(events.iter().all(|e| e.starts_at == t(8, 30)), "{start}");
    }
}

#[test]
fn an_endless_daily_rule_stops_at_the_window() {
    let text = feed(
        "BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20000101T083000Z\r\nDURATION:PT1H\r\n\
         RRULE:FREQ=DAILY\r\nEND:VEVENT\r\n",
    );
    let started = std::time::Instant::now();
    let events = parse(&text, d(2025, 9, 1), d(2025, 9, 30)).unwrap();
    assert!(started.elapsed().as_secs() < 5);
    // 2000 to 2025 is beyond the cap: nothing reaches the window, and nothing hangs.
    assert!(events.len() <= 30);
    let text = feed(
        "BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20250101T083000Z\r\nDURATION:PT1H30M\r\n\
         RRULE:FREQ=DAILY\r\nEND:VEVENT\r\n",
    );
    let events = parse(&text, d(2025, 9, 1), d(2025, 9, 30)).unwrap();
    assert_eq!(events.len(), 30);
    assert_eq!(
        (events[0].starts_at, events[0].ends_at),
        (t(10, 30), t(12, 0))
    );
}

#[test]
fn an_override_out_of_the_rule_and_a_cancelled_master() {
    let text = feed(
        "BEGIN:VEVENT\r\nUID:m\r\nDTSTART;TZID=Europe/Paris:20250908T083000\r\n\
         DTEND;TZID=Europe/Paris:20250908T100000\r\nRRULE:FREQ=WEEKLY;COUNT=2\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:m\r\nRECURRENCE-ID;TZID=Europe/Paris:20250910T083000\r\n\
         DTSTART;TZID=Europe/Paris:20250911T140000\r\nDTEND;TZID=Europe/Paris:20250911T150000\r\nEND:VEVENT\r\n",
    );
    let events = year(&text);
    let uids: Vec<_> = events.iter().map(|e| e.uid.as_str()).collect();
    assert_eq!(
        uids,
        [
            "m/20250908T063000Z",
            "m/20250910T063000Z",
            "m/20250915T063000Z"
        ]
    );
    assert!(events.iter().all(|e| e.cancelled));
}

#[test]
fn missing_and_duplicate_uids() {
    let event = |summary: &str| {
        format!(
            "BEGIN:VEVENT\r\nDTSTART:20250909T063000Z\r\nDTEND:20250909T100000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\n"
        )
    };
    let dup = "BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20250910T063000Z\r\nDTEND:20250910T100000Z\r\nEND:VEVENT\r\n";
    let text = feed(&format!("{}{}{dup}{dup}{dup}", event("A"), event("B")));
    let events = year(&text);
    let uids: Vec<_> = events.iter().map(|e| e.uid.clone()).collect();
    assert!(uids[0].starts_with("sans-uid-") && uids[1].starts_with("sans-uid-"));
    assert_ne!(uids[0], uids[1]);
    assert_eq!(&uids[2..], ["x", "x#2", "x#3"]);
    // Stable: the same feed gives the same derived UIDs.
    assert_eq!(year(&text)[0].uid, uids[0]);
}

#[test]
fn shapes_that_cannot_be_sessions() {
    let event = |times: &str| {
        feed(&format!(
            "BEGIN:VEVENT\r\nUID:s\r\n{times}\r\nEND:VEVENT\r\n"
        ))
    };
    let problem = |times: &str| year(&event(times))[0].shape_problem.clone();
    assert_eq!(
        problem("DTSTART:20250909T063000Z\r\nDTEND:20250910T063000Z").as_deref(),
        Some("l’événement se termine un autre jour")
    );
    assert_eq!(
        problem("DTSTART:20250909T063000Z\r\nDTEND:20250909T050000Z").as_deref(),
        Some("l’événement finit avant de commencer")
    );
    assert_eq!(
        problem("DTSTART:20250909T063000Z").as_deref(),
        Some("l’événement finit avant de commencer")
    );
    assert_eq!(problem("DTSTART:20250909T063000Z\r\nDURATION:PT2H"), None);
    assert_eq!(
        problem("DTSTART;VALUE=DATE:20250909").as_deref(),
        Some("événement sur la journée entière")
    );
}

#[test]
fn files_that_are_not_feeds() {
    let from = d(2025, 9, 1);
    let to = d(2026, 2, 27);
    for text in ["", "   \n", "nom;prénom\nDUPONT;Jean\n"] {
        let e = parse(text, from, to).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(
            e.message.contains("BEGIN:VCALENDAR attendu"),
            "{}",
            e.message
        );
    }
    let e = parse("<!DOCTYPE html><html>Connexion</html>", from, to).unwrap_err();
    assert!(e.message.contains("HTML"), "{}", e.message);
    // Only to-dos, or nothing: fine and empty.
    let todo = feed("BEGIN:VTODO\r\nUID:t\r\nSUMMARY:rendre le rapport\r\nEND:VTODO\r\n");
    assert_eq!(parse(&todo, from, to).unwrap(), []);
    assert_eq!(parse(&feed(""), from, to).unwrap(), []);
}

#[test]
fn errors_name_the_line_of_the_file_as_received() {
    let from = d(2025, 9, 1);
    let to = d(2026, 2, 27);
    // A bad DTSTART, after folded lines: its line in the file, not in the unfolded text.
    let broken = ADE.replacen("DTSTART:20250916T063000Z", "DTSTART:2025-13-45", 1);
    let e = parse(&broken, from, to).unwrap_err();
    assert_eq!(e.line, line_of(&broken, "2025-13-45"));
    assert!(
        e.message.contains("DTSTART") && e.message.contains("2025-13-45"),
        "{}",
        e.message
    );
    // LF line ends count the same.
    let lf = broken.replace("\r\n", "\n");
    assert_eq!(parse(&lf, from, to).unwrap_err().line, e.line);

    let broken = ADE.replacen("DTEND:20250916T100000Z", "DTEND:demain", 1);
    let e = parse(&broken, from, to).unwrap_err();
    assert_eq!(e.line, line_of(&broken, "DTEND:demain"));

    let broken = HYPERPLANNING.replacen("FREQ=WEEKLY;UNTIL", "FREQ=SOUVENT;UNTIL", 1);
    let e = parse(&broken, from, to).unwrap_err();
    assert_eq!(e.line, line_of(&broken, "RRULE:FREQ=SOUVENT"));
    assert!(e.message.contains("RRULE"), "{}", e.message);

    let broken = HYPERPLANNING.replacen(
        "EXDATE;TZID=Europe/Paris:20250915T083000",
        "EXDATE:jamais",
        1,
    );
    let e = parse(&broken, from, to).unwrap_err();
    assert_eq!(e.line, line_of(&broken, "EXDATE:"));

    let broken = ADE.replacen("DTSTART:20250918T113000Z\r\n", "", 1);
    let e = parse(&broken, from, to).unwrap_err();
    let begin = line_of(&broken, "DTEND:20250918T150000Z") - 2;
    assert_eq!(e.line, begin);
    assert!(e.message.contains("DTSTART"), "{}", e.message);

    let broken = ADE.replacen("LOCATION:B204\r\n", "LOCATION B204\r\n", 1);
    let e = parse(&broken, from, to).unwrap_err();
    assert_eq!(e.line, line_of(&broken, "LOCATION B204"));

    let unknown = feed(
        "BEGIN:VEVENT\r\nUID:z\r\nDTSTART;TZID=Mars/Olympus:20250909T083000\r\nEND:VEVENT\r\n",
    );
    let e = parse(&unknown, from, to).unwrap_err();
    assert_eq!(e.line, 6);
    assert_eq!(
        e.message,
        "DTSTART : fuseau horaire inconnu « Mars/Olympus »"
    );
}

#[test]
fn a_custom_zone_defined_as_france_is_paris() {
    let text = feed(
        "BEGIN:VTIMEZONE\r\nTZID:Heure de Paris\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\n\
         TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n\
         DTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\n\
         END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:c\r\nDTSTART;TZID=Heure de Paris:20251110T083000\r\n\
         DTEND;TZID=Heure de Paris:20251110T100000\r\nEND:VEVENT\r\n",
    );
    let events = year(&text);
    assert_eq!(
        (events[0].starts_at, events[0].ends_at),
        (t(8, 30), t(10, 0))
    );
}

/// 500 events in a feed: a school's year of one group; 25 feeds must parse in well under a
/// second in release, so one must be quick even in debug.
#[test]
fn a_500_event_feed_parses_quickly() {
    let mut events = String::new();
    let mut day = d(2025, 9, 1);
    for i in 0..500 {
        if i % 2 == 0 {
            day = day.succ_opt().unwrap();
        }
        let hour = if i % 2 == 0 { 6 } else { 11 };
        events.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:ev-{i}\r\nDTSTAMP:20250903T101200Z\r\n\
             DTSTART:{0}T{hour:02}3000Z\r\nDTEND:{0}T{1:02}0000Z\r\nSUMMARY:Ingénierie logicielle\r\n\
             LOCATION:B204\r\nDESCRIPTION:\\n\\n2IA-IL\\nPROF Anne\\n(Exporté le:03/09/2025 10:12)\\n\r\n\
             END:VEVENT\r\n",
            day.format("%Y%m%d"),
            hour + 3
        ));
    }
    let text = feed(&events);
    let started = std::time::Instant::now();
    let parsed = parse(&text, d(2025, 9, 1), d(2027, 12, 31)).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(parsed.len(), 500);
    assert!(elapsed.as_millis() < 1_500, "{elapsed:?}");
}

/// Folds each content line of `text` at the given character counts (RFC 5545 3.1 allows any
/// character boundary).
fn refold(text: &str, cuts: &[usize]) -> String {
    let unfolded = parser::unfold(text);
    let mut out = String::new();
    for (n, line) in unfolded.split("\r\n").filter(|l| !l.is_empty()).enumerate() {
        let cut = cuts[n % cuts.len()].max(1);
        let chars: Vec<char> = line.chars().collect();
        for (i, chunk) in chars.chunks(cut).enumerate() {
            if i > 0 {
                out.push_str("\r\n ");
            }
            out.extend(chunk);
        }
        out.push_str("\r\n");
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn refolding_gives_the_same_events(
        which in 0usize..3,
        cuts in proptest::collection::vec(1usize..80, 1..8),
    ) {
        let text = [ADE, HYPERPLANNING, OUTLOOK][which];
        let expected: Vec<_> = year(text)
            .into_iter()
            .map(|e| SourceEvent { line: 0, ..e })
            .collect();
        let refolded = refold(text, &cuts);
        let got: Vec<_> = year(&refolded)
            .into_iter()
            .map(|e| SourceEvent { line: 0, ..e })
            .collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn parse_never_panics(text in "(BEGIN:VCALENDAR\r\n)?(BEGIN:VEVENT\r\n|END:VEVENT\r\n|DTSTART[;A-Z=/ ]{0,12}:[0-9TZ]{0,16}\r\n|RRULE:[A-Z=;0-9]{0,30}\r\n| [a-zé]{0,5}\r\n|[A-Z]{1,8}:.{0,10}\r\n){0,12}(END:VCALENDAR)?") {
        if let Ok(events) = parse(&text, d(2025, 9, 1), d(2026, 2, 27)) {
            prop_assert!(events.len() <= MAX_OCCURRENCES * 12);
        }
    }

    #[test]
    fn parse_never_panics_on_any_text(text in ".{0,200}") {
        let with_header = format!("BEGIN:VCALENDAR\n{text}");
        let _ = parse(&text, d(2025, 9, 1), d(2026, 2, 27));
        let _ = parse(&with_header, d(2025, 9, 1), d(2026, 2, 27));
    }
}
