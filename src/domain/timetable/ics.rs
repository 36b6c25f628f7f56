//! Reads an iCalendar feed (RFC 5545) with the `icalendar` crate's parser and expands its
//! recurring events with `rrule`: the occurrences between two dates, in Paris civil time.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::parser::{self, Component as Parsed, Parameter, Property as ParsedProperty};
use icalendar::{CalendarComponent, CalendarDateTime, Component as _, DatePerhapsTime, EventLike};
use sha2::{Digest, Sha256};

use super::{IcsError, Person, SourceEvent};

const PARIS: Tz = chrono_tz::Europe::Paris;
/// Occurrences kept per event within the window: a rule without end cannot run away.
const MAX_OCCURRENCES: usize = 5_000;
/// Occurrences generated per event, before the window included (a daily rule from 1990).
const MAX_STEPS: usize = 50_000;

/// The occurrences of `text`'s events whose day falls from `from` to `to` (inclusive), in
/// file order then time order. Errors name the line of the file as received.
pub fn parse(text: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<SourceEvent>, IcsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let unfolded = parser::unfold(text);
    check_header(&unfolded)?;
    let lines = Lines::new(text, &unfolded);
    let calendar = parser::read_calendar(&unfolded).map_err(|e| lines.syntax_error(&e))?;

    let mut vevents = Vec::new();
    let mut vtimezones = Vec::new();
    for component in &calendar.components {
        collect(component, &mut vevents, &mut vtimezones);
    }
    let zones = Zones::new(&vtimezones);

    // The events as read, before their occurrences: base UIDs, overrides, cancellations.
    let mut events = Vec::with_capacity(vevents.len());
    for (index, component) in vevents.into_iter().enumerate() {
        let place = lines.vevents.get(index).copied().unwrap_or_default();
        events.push(Event::read(component, place, &lines, &zones)?);
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut uids = Vec::with_capacity(events.len());
    let mut master_cancelled: HashMap<&str, bool> = HashMap::new();
    let mut overridden: HashSet<String> = HashSet::new();
    for event in &events {
        match &event.recurrence_id {
            Some(key) => {
                overridden.insert(format!("{}/{key}", event.uid));
                uids.push(format!("{}/{key}", event.uid));
            }
            None => {
                let n = seen.entry(&event.uid).or_insert(0);
                *n += 1;
                if *n == 1 {
                    master_cancelled.insert(&event.uid, event.cancelled);
                    uids.push(event.uid.clone());
                } else {
                    uids.push(format!("{}#{n}", event.uid));
                }
            }
        }
    }

    let mut out = Vec::new();
    for (event, uid) in events.iter().zip(uids) {
        if event.recurrence_id.is_some() {
            let cancelled =
                event.cancelled || master_cancelled.get(event.uid.as_str()) == Some(&true);
            let occurrence = event.occurrence(event.start, uid, cancelled);
            if (from..=to).contains(&occurrence.day) {
                out.push(occurrence);
            }
        } else if event.recurring {
            event.expand(&uid, from, to, &overridden, &lines, &mut out)?;
        } else {
            let occurrence = event.occurrence(event.start, uid, event.cancelled);
            if (from..=to).contains(&occurrence.day) {
                out.push(occurrence);
            }
        }
    }
    out.sort_by(|a, b| (a.day, a.starts_at, &a.uid).cmp(&(b.day, b.starts_at, &b.uid)));
    Ok(out)
}

fn error(line: usize, message: impl Into<String>) -> IcsError {
    IcsError {
        line,
        message: message.into(),
    }
}

/// A login page or a spreadsheet instead of a feed is the usual mistake: say so plainly.
fn check_header(text: &str) -> Result<(), IcsError> {
    let start = text.trim_start();
    let header = start.get(..15).unwrap_or(start);
    if header.eq_ignore_ascii_case("BEGIN:VCALENDAR") {
        return Ok(());
    }
    let mut message = "ce n’est pas un fichier iCalendar (BEGIN:VCALENDAR attendu)".to_owned();
    if start.is_empty() {
        message.push_str(" : le fichier est vide");
    } else if start.starts_with('<') {
        message.push_str(" : on dirait une page HTML (une page de connexion ?)");
    }
    Err(error(1, message))
}

fn collect<'a>(
    component: &Parsed<'a>,
    vevents: &mut Vec<Parsed<'a>>,
    vtimezones: &mut Vec<Parsed<'a>>,
) {
    let name = component.name.as_str();
    if name.eq_ignore_ascii_case("VEVENT") {
        vevents.push(component.clone());
    } else if name.eq_ignore_ascii_case("VTIMEZONE") {
        vtimezones.push(component.clone());
    }
    // Nested VEVENTs are counted too, so the n-th one here is the n-th BEGIN:VEVENT line.
    for child in &component.components {
        collect(child, vevents, vtimezones);
    }
}

// ---- Lines of the file as received ------------------------------------------------------

/// Where the unfolded text's lines and events came from in the file as received.
struct Lines<'t> {
    unfolded: Vec<&'t str>,
    /// Original (1-based) line of each unfolded line.
    original: Vec<usize>,
    /// Each VEVENT's unfolded lines, from its BEGIN to its END.
    vevents: Vec<(usize, usize)>,
}

impl<'t> Lines<'t> {
    fn new(text: &str, unfolded: &'t str) -> Self {
        let mut original = Vec::new();
        for (n, line) in text.split('\n').enumerate() {
            // A line starting with a space or a tab continues the previous one (RFC 5545 3.1).
            if n == 0 || !(line.starts_with(' ') || line.starts_with('\t')) {
                original.push(n + 1);
            }
        }
        let unfolded: Vec<&str> = unfolded
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        let mut vevents: Vec<(usize, usize)> = Vec::new();
        let mut open = Vec::new();
        for (i, line) in unfolded.iter().enumerate() {
            let line = line.trim();
            if line.eq_ignore_ascii_case("BEGIN:VEVENT") {
                open.push(vevents.len());
                vevents.push((i, unfolded.len()));
            } else if line.eq_ignore_ascii_case("END:VEVENT") {
                if let Some(k) = open.pop() {
                    vevents[k].1 = i;
                }
            }
        }
        Lines {
            unfolded,
            original,
            vevents,
        }
    }

    fn original(&self, unfolded_index: usize) -> usize {
        self.original
            .get(unfolded_index)
            .or(self.original.last())
            .copied()
            .unwrap_or(1)
    }

    /// The line of the `nth` property `name` of the VEVENT at `place` (its BEGIN line when
    /// none is found).
    fn property(&self, place: (usize, usize), name: &str, nth: usize) -> usize {
        let (begin, end) = place;
        let found = self
            .unfolded
            .iter()
            .enumerate()
            .take(end.saturating_add(1))
            .skip(begin)
            .filter(|(_, line)| {
                let key = line.split([';', ':']).next().unwrap_or("").trim();
                key.eq_ignore_ascii_case(name)
            })
            .nth(nth);
        self.original(found.map_or(begin, |(i, _)| i))
    }

    /// The parser's message names a line of the unfolded text; name it in the original.
    fn syntax_error(&self, message: &str) -> IcsError {
        let number = message
            .split("at line ")
            .nth(1)
            .and_then(|rest| {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse::<usize>().ok()
            })
            .unwrap_or(1)
            .max(1);
        // nom backtracks to the component's BEGIN: the first line there or after that is not
        // `NAME[;PARAM=…]:value`, or closes what is not open, is the culprit.
        let number = self.suspect(number - 1).map_or(number, |i| i + 1);
        let content: String = self
            .unfolded
            .get(number - 1)
            .map(|l| l.trim())
            .unwrap_or("")
            .chars()
            .take(60)
            .collect();
        let message = if content.is_empty() {
            "fichier iCalendar incomplet (END:VCALENDAR attendu)".to_owned()
        } else {
            format!("ligne iCalendar illisible « {content} » (NOM:valeur attendu)")
        };
        error(self.original(number - 1), message)
    }
}

impl Lines<'_> {
    fn suspect(&self, from: usize) -> Option<usize> {
        let mut open: Vec<String> = Vec::new();
        for (i, line) in self.unfolded.iter().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            let bad = if name.eq_ignore_ascii_case("BEGIN") {
                open.push(value.trim().to_uppercase());
                value.trim().is_empty()
            } else if name.eq_ignore_ascii_case("END") {
                open.pop().as_deref() != Some(value.trim().to_uppercase().as_str())
            } else {
                let key = name.split(';').next().unwrap_or("");
                !line.contains(':')
                    || key.is_empty()
                    || !key
                        .chars()
                        .all(|c| c.is_alphanumeric() || "-_.,/".contains(c))
            };
            if bad && i >= from {
                return Some(i);
            }
        }
        None
    }
}

// ---- Time zones -------------------------------------------------------------------------

/// The zones the feed's TZIDs name: IANA names, Windows names (Outlook), or the feed's own
/// VTIMEZONE definitions when they are those of France.
struct Zones {
    custom: HashMap<String, Tz>,
}

impl Zones {
    fn new(vtimezones: &[Parsed<'_>]) -> Self {
        let mut custom = HashMap::new();
        for vtimezone in vtimezones {
            let Some(tzid) = vtimezone.find_prop("TZID") else {
                continue;
            };
            let mut standard = Vec::new();
            let mut daylight = Vec::new();
            for part in &vtimezone.components {
                let offset = part
                    .find_prop("TZOFFSETTO")
                    .map(|p| p.val.as_str().trim().to_owned())
                    .unwrap_or_default();
                if part.name.as_str().eq_ignore_ascii_case("STANDARD") {
                    standard.push(offset);
                } else if part.name.as_str().eq_ignore_ascii_case("DAYLIGHT") {
                    daylight.push(offset);
                }
            }
            let paris = !standard.is_empty()
                && standard.iter().all(|o| o == "+0100")
                && daylight.iter().all(|o| o == "+0200");
            if paris {
                custom.insert(clean_tzid(tzid.val.as_str()).to_owned(), PARIS);
            }
        }
        Zones { custom }
    }

    fn zone(&self, tzid: &str) -> Option<Tz> {
        let tzid = clean_tzid(tzid);
        if let Ok(tz) = tzid.parse::<Tz>() {
            return Some(tz);
        }
        let windows = match tzid {
            "Romance Standard Time" => Some(chrono_tz::Europe::Paris),
            "W. Europe Standard Time" => Some(chrono_tz::Europe::Berlin),
            "GMT Standard Time" => Some(chrono_tz::Europe::London),
            "UTC" | "Coordinated Universal Time" => Some(chrono_tz::UTC),
            _ => None,
        };
        if windows.is_some() {
            return windows;
        }
        if let Some(tz) = self.custom.get(tzid) {
            return Some(*tz);
        }
        // Prefixed names (`/mozilla.org/20050126_1/Europe/Paris`): the IANA name at the end.
        tzid.match_indices('/')
            .find_map(|(i, _)| tzid[i + 1..].parse::<Tz>().ok())
    }
}

fn clean_tzid(tzid: &str) -> &str {
    tzid.trim().trim_matches('"').trim()
}

// ---- Events -----------------------------------------------------------------------------

/// A start or end as the feed gives it.
#[derive(Debug, Clone, Copy)]
enum When {
    /// VALUE=DATE: a whole day.
    Date(NaiveDate),
    At(DateTime<Utc>),
}

impl When {
    /// The key RECURRENCE-ID gives the occurrence: its original start, in UTC.
    fn key(self) -> String {
        match self {
            When::Date(d) => d.format("%Y%m%d").to_string(),
            When::At(t) => t.format("%Y%m%dT%H%M%SZ").to_string(),
        }
    }
}

/// One VEVENT as read: what every occurrence of it shares.
struct Event<'a> {
    component: Parsed<'a>,
    place: (usize, usize),
    line: usize,
    uid: String,
    recurrence_id: Option<String>,
    recurring: bool,
    start: When,
    /// DTEND − DTSTART, or DURATION; zero without either.
    length: Duration,
    cancelled: bool,
    summary: String,
    description: String,
    location: String,
    categories: Vec<String>,
    attendees: Vec<Person>,
    organizer: Option<Person>,
}

fn text(component: &Parsed<'_>, name: &str) -> String {
    prop(component, name)
        .map(|p| p.val.as_str().trim().to_owned())
        .unwrap_or_default()
}

fn prop<'c, 'a>(component: &'c Parsed<'a>, name: &str) -> Option<&'c ParsedProperty<'a>> {
    component
        .properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn param<'c>(property: &'c ParsedProperty<'_>, key: &str) -> Option<&'c str> {
    property
        .params
        .iter()
        .find(|p| p.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|p| p.val.as_ref())
        .map(|v| v.as_str())
}

fn person(property: &ParsedProperty<'_>) -> Person {
    let value = property.val.as_str().trim();
    let email = match value.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &value[7..],
        _ if value.contains('@') => value,
        _ => "",
    };
    Person {
        name: param(property, "CN")
            .unwrap_or("")
            .trim()
            .trim_matches('"')
            .trim()
            .to_owned(),
        email: email.trim().to_lowercase(),
    }
}

impl<'a> Event<'a> {
    fn read(
        mut component: Parsed<'a>,
        place: (usize, usize),
        lines: &Lines<'_>,
        zones: &Zones,
    ) -> Result<Self, IcsError> {
        let line = lines.original(place.0);
        let at = |name: &str| lines.property(place, name, 0);
        let Some(dtstart) = prop(&component, "DTSTART") else {
            return Err(error(
                line,
                "événement sans date de début (DTSTART manquant)",
            ));
        };
        let start = when(dtstart, zones).map_err(|m| error(at("DTSTART"), m))?;
        let dtstart_value = dtstart.val.as_str().to_owned();
        let length = match (prop(&component, "DTEND"), prop(&component, "DURATION")) {
            (Some(dtend), _) => {
                let end = when(dtend, zones).map_err(|m| error(at("DTEND"), m))?;
                match (start, end) {
                    (When::At(s), When::At(e)) => e - s,
                    (When::Date(s), When::Date(e)) => e - s,
                    (When::Date(s), When::At(e)) => e - day_start(s),
                    (When::At(s), When::Date(e)) => day_start(e) - s,
                }
            }
            (None, Some(duration)) => parse_duration(duration.val.as_str()).ok_or_else(|| {
                error(
                    at("DURATION"),
                    format!("DURATION : durée « {} » invalide", duration.val.as_str()),
                )
            })?,
            (None, None) => Duration::zero(),
        };
        let recurrence_id = match prop(&component, "RECURRENCE-ID") {
            Some(p) => Some(
                when(p, zones)
                    .map_err(|m| error(at("RECURRENCE-ID"), m))?
                    .key(),
            ),
            None => None,
        };
        let recurring = recurrence_id.is_none()
            && (prop(&component, "RRULE").is_some() || prop(&component, "RDATE").is_some());
        if recurring {
            normalise_zones(&mut component, zones);
        }
        let summary = text(&component, "SUMMARY");
        let uid = match prop(&component, "UID").map(|p| p.val.as_str().trim()) {
            Some(uid) if !uid.is_empty() => uid.to_owned(),
            _ => {
                // Stable across re-syncs as long as the event keeps its start and title.
                let digest = Sha256::digest(format!("{dtstart_value}\n{summary}"));
                let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
                format!("sans-uid-{hex}")
            }
        };
        let mut categories = Vec::new();
        for p in component
            .properties
            .iter()
            .filter(|p| p.name.as_str().eq_ignore_ascii_case("CATEGORIES"))
        {
            let property = icalendar::Property::from(p.clone());
            let mut one = icalendar::Event::new();
            one.append_multi_property(property);
            categories.extend(
                one.get_categories()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty()),
            );
        }
        Ok(Event {
            line,
            place,
            uid,
            recurrence_id,
            recurring,
            start,
            length,
            cancelled: text(&component, "STATUS").eq_ignore_ascii_case("CANCELLED"),
            description: text(&component, "DESCRIPTION").replace("\r\n", "\n"),
            location: text(&component, "LOCATION"),
            categories,
            attendees: component
                .properties
                .iter()
                .filter(|p| p.name.as_str().eq_ignore_ascii_case("ATTENDEE"))
                .map(person)
                .collect(),
            organizer: prop(&component, "ORGANIZER").map(person),
            summary,
            component,
        })
    }

    fn occurrence(&self, start: When, uid: String, cancelled: bool) -> SourceEvent {
        let midnight = NaiveTime::MIN;
        let (day, starts_at, ends_at, shape_problem) = match start {
            When::Date(day) => (
                day,
                midnight,
                midnight,
                Some("événement sur la journée entière".to_owned()),
            ),
            When::At(t) => {
                let begin = t.with_timezone(&PARIS);
                let end = (t + self.length).with_timezone(&PARIS);
                let problem = if self.length <= Duration::zero() {
                    Some("l’événement finit avant de commencer")
                } else if end.date_naive() != begin.date_naive() {
                    Some("l’événement se termine un autre jour")
                } else {
                    None
                };
                (
                    begin.date_naive(),
                    begin.time(),
                    end.time(),
                    problem.map(str::to_owned),
                )
            }
        };
        SourceEvent {
            uid,
            line: self.line,
            day,
            starts_at,
            ends_at,
            shape_problem,
            cancelled,
            summary: self.summary.clone(),
            description: self.description.clone(),
            location: self.location.clone(),
            categories: self.categories.clone(),
            attendees: self.attendees.clone(),
            organizer: self.organizer.clone(),
        }
    }

    /// The occurrences of a recurring event within the window, those an override replaces
    /// left out.
    fn expand(
        &self,
        uid: &str,
        from: NaiveDate,
        to: NaiveDate,
        overridden: &HashSet<String>,
        lines: &Lines<'_>,
        out: &mut Vec<SourceEvent>,
    ) -> Result<(), IcsError> {
        // A bad EXDATE or RDATE value is named on its own line, before rrule mixes them up.
        for name in ["EXDATE", "RDATE"] {
            let props = self
                .component
                .properties
                .iter()
                .filter(|p| p.name.as_str().eq_ignore_ascii_case(name));
            for (nth, p) in props.enumerate() {
                for value in p.val.as_str().split(',') {
                    let mut single = p.clone();
                    single.val = value.trim().to_owned().into();
                    if param(p, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("PERIOD")) {
                        continue;
                    }
                    if DatePerhapsTime::from_property(&icalendar::Property::from(single)).is_none()
                    {
                        return Err(error(
                            lines.property(self.place, name, nth),
                            format!("{name} : date « {} » invalide", value.trim()),
                        ));
                    }
                }
            }
        }
        let CalendarComponent::Event(event) = CalendarComponent::from(self.component.clone())
        else {
            return Ok(());
        };
        let set = event.get_recurrence().map_err(|e| {
            let (name, value) = match prop(&self.component, "RRULE") {
                Some(rule) => ("RRULE", rule.val.as_str().to_owned()),
                None => ("DTSTART", text(&self.component, "DTSTART")),
            };
            let detail = match e {
                icalendar::RecurrenceError::Rule(rule) => rule.to_string(),
                other => other.to_string(),
            };
            error(
                lines.property(self.place, name, 0),
                format!("{name} : règle de récurrence « {value} » invalide ({detail})"),
            )
        })?;
        let all_day = matches!(self.start, When::Date(_));
        let mut kept = 0;
        for (step, at) in (&set).into_iter().enumerate() {
            if step >= MAX_STEPS || kept >= MAX_OCCURRENCES {
                break;
            }
            let start = if all_day {
                When::Date(at.naive_local().date())
            } else {
                When::At(at.with_timezone(&Utc))
            };
            let day = match start {
                When::Date(d) => d,
                When::At(t) => t.with_timezone(&PARIS).date_naive(),
            };
            if day > to {
                break;
            }
            let occurrence_uid = format!("{uid}/{}", start.key());
            if day < from || overridden.contains(&occurrence_uid) {
                continue;
            }
            out.push(self.occurrence(start, occurrence_uid, self.cancelled));
            kept += 1;
        }
        Ok(())
    }
}

fn day_start(day: NaiveDate) -> DateTime<Utc> {
    local(PARIS, day.and_time(NaiveTime::MIN))
}

/// A local time in `tz` as an instant: the earlier one when the clock goes back, the hour
/// after when it jumps forward.
fn local(tz: Tz, at: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&at)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(at + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&at))
}

fn when(property: &ParsedProperty<'_>, zones: &Zones) -> Result<When, String> {
    let name = property.name.as_str().to_uppercase();
    let value = property.val.as_str();
    let parsed = DatePerhapsTime::from_property(&icalendar::Property::from(property.clone()))
        .ok_or_else(|| format!("{name} : date « {value} » invalide"))?;
    Ok(match parsed {
        DatePerhapsTime::Date(d) => When::Date(d),
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(t)) => When::At(t),
        // A floating time is the school's own: Paris.
        DatePerhapsTime::DateTime(CalendarDateTime::Floating(n)) => When::At(local(PARIS, n)),
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid }) => {
            let tz = zones.zone(&tzid).ok_or_else(|| {
                format!("{name} : fuseau horaire inconnu « {} »", clean_tzid(&tzid))
            })?;
            When::At(local(tz, date_time))
        }
    })
}

/// rrule knows IANA names only, and takes a floating time as the machine's: give every
/// date of the rule its zone's IANA name, Paris for floating times, so the rule runs in the
/// event's own zone (08:30 stays 08:30 across the October change).
fn normalise_zones(component: &mut Parsed<'_>, zones: &Zones) {
    for property in &mut component.properties {
        let name = property.name.as_str();
        let dated = ["DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n));
        if !dated
            || param(property, "VALUE")
                .is_some_and(|v| v.eq_ignore_ascii_case("DATE") || v.eq_ignore_ascii_case("PERIOD"))
        {
            continue;
        }
        let value = property.val.as_str();
        if let Some(tzid) = property
            .params
            .iter_mut()
            .find(|p| p.key.as_str().eq_ignore_ascii_case("TZID"))
        {
            let current = tzid.val.as_ref().map(|v| v.as_str().to_owned());
            if let Some(tz) = current.as_deref().and_then(|t| zones.zone(t)) {
                tzid.val = Some(tz.name().to_owned().into());
            }
        } else if value.contains('T') && !value.trim_end().ends_with(['Z', 'z']) {
            property.params.push(Parameter {
                key: "TZID".to_owned().into(),
                val: Some(PARIS.name().to_owned().into()),
            });
        }
    }
}

/// An RFC 5545 duration (`PT1H30M`, `P1D`, `-PT15M`, `P2W`).
fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim();
    let (sign, rest) = match value.as_bytes().first()? {
        b'-' => (-1, &value[1..]),
        b'+' => (1, &value[1..]),
        _ => (1, value),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let mut total = 0i64;
    let mut number = String::new();
    let mut in_time = false;
    let mut any = false;
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            '0'..='9' => number.push(c),
            'T' if number.is_empty() => in_time = true,
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                let seconds = match (unit, in_time) {
                    ('W', false) => 7 * 86_400,
                    ('D', false) => 86_400,
                    ('H', true) => 3_600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(seconds)?)?;
                any = true;
            }
        }
    }
    if !number.is_empty() || !any {
        return None;
    }
    Duration::try_seconds(sign * total)
}

#[cfg(test)]
#[path = "ics_tests.rs"]
mod tests;
