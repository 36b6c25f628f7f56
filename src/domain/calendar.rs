//! The training calendar (Annex 1): every day of an academic year is a school day, a company
//! day or a holiday. Humans edit it as a CSV file, one line per ISO week range or date range.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    School,
    Company,
    Holiday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::School => "school",
            DayKind::Company => "company",
            DayKind::Holiday => "holiday",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            DayKind::School => "école",
            DayKind::Company => "entreprise",
            DayKind::Holiday => "congé",
        }
    }
}

impl FromStr for DayKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "school" | "école" | "ecole" => Ok(DayKind::School),
            "company" | "entreprise" => Ok(DayKind::Company),
            "holiday" | "congé" | "conge" | "férié" | "ferie" => Ok(DayKind::Holiday),
            other => Err(format!(
                "type de jour inconnu « {other} » (attendu : school, company ou holiday)"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub note: Option<String>,
}

impl utoipa::PartialSchema for DayKind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(["school", "company", "holiday"]))
            .into()
    }
}
impl utoipa::ToSchema for DayKind {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFileError {
    /// 1-based line of the file; 0 for the file as a whole.
    pub line: usize,
    pub column: Option<&'static str>,
    pub message: String,
}

impl fmt::Display for CalendarFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => f.write_str(&self.message),
            (line, Some(column)) => write!(f, "ligne {line}, colonne {column} : {}", self.message),
            (line, None) => write!(f, "ligne {line} : {}", self.message),
        }
    }
}

const MAX_ERRORS: usize = 50;
const HEADER: [&str; 4] = ["kind", "from", "to", "note"];

pub fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

pub fn iso_week_monday(year: i32, week: u32) -> Option<NaiveDate> {
    NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
}

fn fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// One end of a line's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Point {
    /// The Monday of an ISO week.
    Week(NaiveDate),
    Date(NaiveDate),
}

fn parse_point(raw: &str) -> Result<Point, String> {
    let v = raw.trim();
    if let Some((year, week)) = v.split_once(['W', 'w']) {
        let year = year.strip_suffix('-').unwrap_or(year);
        return match (year.parse::<i32>(), week.parse::<u32>()) {
            (Ok(y), Ok(w)) => iso_week_monday(y, w)
                .map(Point::Week)
                .ok_or_else(|| format!("la semaine {w} n’existe pas en {y}")),
            _ => Err(format!("semaine invalide « {v} » (attendu : 2025-W36)")),
        };
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%d/%m/%Y"))
        .map(Point::Date)
        .map_err(|_| {
            format!("date invalide « {v} » (attendu : 2025-10-01, 01/10/2025 ou 2025-W40)")
        })
}

/// The days a line sets.
fn line_days(from: Point, to: Point) -> Result<Vec<NaiveDate>, (&'static str, String)> {
    match (from, to) {
        (Point::Week(a), Point::Week(b)) if b < a => {
            Err(("to", "la fin précède le début".to_owned()))
        }
        (Point::Date(a), Point::Date(b)) if b < a => {
            Err(("to", "la fin précède le début".to_owned()))
        }
        (Point::Week(a), Point::Week(b)) => Ok(a
            .iter_days()
            .take_while(|d| *d <= b + Duration::days(4))
            .filter(|d| !is_weekend(*d))
            .collect()),
        (Point::Date(a), Point::Date(b)) => Ok(a.iter_days().take_while(|d| *d <= b).collect()),
        _ => Err((
            "to",
            "début et fin doivent être tous deux des semaines ou tous deux des dates".to_owned(),
        )),
    }
}

/// Parses a calendar file for the year `first_day..=last_day`: one day per date, in order.
pub fn parse_calendar_file(
    text: &str,
    first_day: NaiveDate,
    last_day: NaiveDate,
) -> Result<Vec<CalendarDay>, Vec<CalendarFileError>> {
    let mut errors = Vec::new();
    let mut err = |line: usize, column: Option<&'static str>, message: String| {
        if errors.len() < MAX_ERRORS {
            errors.push(CalendarFileError {
                line,
                column,
                message,
            });
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut set: HashMap<NaiveDate, (DayKind, Option<String>, usize)> = HashMap::new();
    let mut header_seen = false;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                err(line, None, format!("ligne illisible : {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if !header_seen {
            header_seen = true;
            let names: Vec<String> = record.iter().map(str::to_lowercase).collect();
            if names.len() < 3 || names.len() > 4 || names.iter().zip(HEADER).any(|(a, b)| a != b) {
                err(line, None, "en-tête attendu : kind,from,to,note".to_owned());
                return Err(errors);
            }
            continue;
        }
        if record.len() < 2 || record.len() > 4 {
            err(
                line,
                None,
                format!(
                    "{} colonnes au lieu de 3 ou 4 (kind,from,to,note)",
                    record.len()
                ),
            );
            continue;
        }
        let kind = record[0]
            .parse::<DayKind>()
            .map_err(|e| err(line, Some("kind"), e))
            .ok();
        let from = parse_point(&record[1])
            .map_err(|e| err(line, Some("from"), e))
            .ok();
        let to_raw = record.get(2).unwrap_or("");
        let to = if to_raw.is_empty() {
            from
        } else {
            parse_point(to_raw)
                .map_err(|e| err(line, Some("to"), e))
                .ok()
        };
        let note = record.get(3).filter(|n| !n.is_empty()).map(str::to_owned);
        let (Some(kind), Some(from), Some(to)) = (kind, from, to) else {
            continue;
        };
        let days = match line_days(from, to) {
            Ok(days) => days,
            Err((column, message)) => {
                err(line, Some(column), message);
                continue;
            }
        };
        if let Some(d) = days.iter().find(|d| **d < first_day || **d > last_day) {
            err(
                line,
                None,
                format!(
                    "le {} est hors de l’année (du {} au {})",
                    fr(*d),
                    fr(first_day),
                    fr(last_day)
                ),
            );
            continue;
        }
        if let Some((d, earlier)) = days
            .iter()
            .find_map(|d| set.get(d).map(|(_, _, l)| (*d, *l)))
        {
            err(
                line,
                None,
                format!("le {} est déjà défini ligne {earlier}", fr(d)),
            );
            continue;
        }
        for d in days {
            set.insert(d, (kind, note.clone(), line));
        }
    }
    if !header_seen {
        err(
            0,
            None,
            "fichier vide : en-tête kind,from,to,note attendu".to_owned(),
        );
    }

    let mut days = Vec::new();
    let mut missing: Vec<NaiveDate> = Vec::new();
    for date in first_day.iter_days().take_while(|d| *d <= last_day) {
        match set.remove(&date) {
            Some((kind, note, _)) => days.push(CalendarDay { date, kind, note }),
            None if is_weekend(date) => days.push(CalendarDay {
                date,
                kind: DayKind::Holiday,
                note: None,
            }),
            None => missing.push(date),
        }
    }
    if !missing.is_empty() {
        err(
            0,
            None,
            format!("jours ouvrés sans type : {}", describe_runs(&missing)),
        );
    }
    if errors.is_empty() {
        Ok(days)
    } else {
        Err(errors)
    }
}

/// « du 22/12/2025 au 26/12/2025, 01/01/2026 »: consecutive dates as one run.
fn describe_runs(dates: &[NaiveDate]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < dates.len() {
        let mut j = i;
        while j + 1 < dates.len() && dates[j + 1] == dates[j] + Duration::days(1) {
            j += 1;
        }
        parts.push(if i == j {
            fr(dates[i])
        } else {
            format!("du {} au {}", fr(dates[i]), fr(dates[j]))
        });
        i = j + 1;
    }
    parts.join(", ")
}

fn is_implicit(d: &CalendarDay) -> bool {
    is_weekend(d.date) && d.kind == DayKind::Holiday && d.note.is_none()
}

fn iso_week(d: NaiveDate) -> String {
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// Writes a calendar as its file: whole weeks as week lines, the rest as date ranges.
pub fn format_calendar_file(title: &str, days: &[CalendarDay]) -> String {
    let by_date: HashMap<NaiveDate, &CalendarDay> = days.iter().map(|d| (d.date, d)).collect();
    let same = |d: NaiveDate, kind: DayKind, note: &Option<String>| {
        by_date
            .get(&d)
            .is_some_and(|x| !is_implicit(x) && x.kind == kind && &x.note == note)
    };
    let implicit_or_absent = |d: NaiveDate| by_date.get(&d).is_none_or(|x| is_implicit(x));
    // A week whose Monday–Friday share (kind, note) and whose weekend is implicit.
    let whole_week = |monday: NaiveDate, kind: DayKind, note: &Option<String>| {
        (0..5).all(|i| same(monday + Duration::days(i), kind, note))
            && (5..7).all(|i| implicit_or_absent(monday + Duration::days(i)))
            && by_date.contains_key(&(monday + Duration::days(6)))
    };

    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut lines: Vec<[String; 4]> = Vec::new();
    let mut sorted: Vec<&CalendarDay> = days.iter().collect();
    sorted.sort_by_key(|d| d.date);
    let mut i = 0;
    while i < sorted.len() {
        let day = sorted[i];
        if is_implicit(day) {
            i += 1;
            continue;
        }
        let (kind, note) = (day.kind, &day.note);
        let note_text = note.clone().unwrap_or_default();
        if day.date.weekday() == Weekday::Mon && whole_week(day.date, kind, note) {
            let mut last_monday = day.date;
            while whole_week(last_monday + Duration::days(7), kind, note) {
                last_monday += Duration::days(7);
            }
            let to = if last_monday == day.date {
                String::new()
            } else {
                iso_week(last_monday)
            };
            lines.push([kind.as_str().to_owned(), iso_week(day.date), to, note_text]);
            let end = last_monday + Duration::days(6);
            while i < sorted.len() && sorted[i].date <= end {
                i += 1;
            }
        } else {
            let mut last = day.date;
            while same(last + Duration::days(1), kind, note) {
                last += Duration::days(1);
            }
            let to = if last == day.date {
                String::new()
            } else {
                last.to_string()
            };
            lines.push([
                kind.as_str().to_owned(),
                day.date.to_string(),
                to,
                note_text,
            ]);
            while i < sorted.len() && sorted[i].date <= last {
                i += 1;
            }
        }
    }
    let _ = out.write_record(HEADER);
    for line in &lines {
        let _ = out.write_record(line);
    }
    let body = out
        .into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    format!(
        "# {title}\n# Une ligne par semaine ISO (2025-W36, du lundi au vendredi) ou par période de dates ; \
         kind = school, company ou holiday ; samedis et dimanches non cités = holiday.\n{body}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const YEAR: &str = "\
# Calendrier 2025-2026
kind,from,to,note
school,2025-W36,2025-W39,
school,2025-09-29,2025-09-30,Semaine 40 : 29 et 30/09 à l'école (convention)
company,2025-10-01,2025-10-10,\"01/10 au 10/10 en entreprise, convention\"
school,2025-W42,2025-W43,
holiday,2025-W44,,Toussaint
school,2025-W45,2025-W46,
company,2025-W47,2025-W51,
holiday,2025-W52,2026-W01,Noël
school,2026-W02,2026-W09,
company,2026-W10,2026-W35,Projet de fin d'études
";

    fn year() -> Vec<CalendarDay> {
        parse_calendar_file(YEAR, d(2025, 9, 1), d(2026, 8, 30)).unwrap()
    }

    fn kind(days: &[CalendarDay], date: NaiveDate) -> DayKind {
        days.iter().find(|x| x.date == date).unwrap().kind
    }

    #[test]
    fn a_year_sets_every_day() {
        let days = year();
        assert_eq!(days.len(), 364);
        assert_eq!(kind(&days, d(2025, 9, 1)), DayKind::School);
        assert_eq!(kind(&days, d(2025, 9, 6)), DayKind::Holiday);
        assert_eq!(kind(&days, d(2025, 9, 30)), DayKind::School);
        assert_eq!(kind(&days, d(2025, 10, 1)), DayKind::Company);
        assert_eq!(kind(&days, d(2025, 10, 4)), DayKind::Company);
        assert_eq!(kind(&days, d(2026, 3, 2)), DayKind::Company);
        assert_eq!(kind(&days, d(2026, 8, 28)), DayKind::Company);
        assert_eq!(
            days.iter()
                .find(|x| x.date == d(2025, 10, 27))
                .unwrap()
                .note
                .as_deref(),
            Some("Toussaint")
        );
    }

    #[test]
    fn the_file_round_trips() {
        let days = year();
        let text = format_calendar_file("Test", &days);
        assert!(text.contains("school,2025-W36,2025-W39,"), "{text}");
        assert!(
            text.contains("\"01/10 au 10/10 en entreprise, convention\""),
            "{text}"
        );
        assert_eq!(
            parse_calendar_file(&text, d(2025, 9, 1), d(2026, 8, 30)).unwrap(),
            days
        );
        // Formatting is stable.
        assert_eq!(
            format_calendar_file(
                "Test",
                &parse_calendar_file(&text, d(2025, 9, 1), d(2026, 8, 30)).unwrap()
            ),
            text
        );
    }

    #[test]
    fn random_calendars_round_trip() {
        // A small deterministic generator: no dependency needed for a few hundred cases.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let kinds = [DayKind::School, DayKind::Company, DayKind::Holiday];
        let notes = [None, Some("a".to_owned()), Some("b, c".to_owned())];
        for _ in 0..300 {
            let start = d(2025, 9, 1) + Duration::days((next() % 7) as i64);
            let days: Vec<CalendarDay> = (0..120)
                .map(|i| {
                    let r = next();
                    CalendarDay {
                        date: start + Duration::days(i),
                        kind: kinds[(r % 3) as usize],
                        note: notes[((r >> 8) % 3) as usize].clone(),
                    }
                })
                .collect();
            let last = days[days.len() - 1].date;
            let text = format_calendar_file("Random", &days);
            assert_eq!(
                parse_calendar_file(&text, start, last).unwrap(),
                days,
                "{text}"
            );
        }
    }

    #[test]
    fn week_53_exists_only_in_long_years() {
        assert_eq!(iso_week_monday(2026, 53), Some(d(2026, 12, 28)));
        assert_eq!(iso_week_monday(2025, 53), None);
        let file = "kind,from,to\nholiday,2025-W53,\n";
        let err = parse_calendar_file(file, d(2025, 9, 1), d(2026, 8, 30)).unwrap_err();
        assert_eq!((err[0].line, err[0].column), (2, Some("from")));
        let ok = "kind,from,to\nholiday,2026-W53,\n";
        let days = parse_calendar_file(ok, d(2026, 12, 28), d(2027, 1, 3)).unwrap();
        assert!(days.iter().all(|x| x.kind == DayKind::Holiday));
    }

    fn errors(text: &str) -> Vec<CalendarFileError> {
        parse_calendar_file(text, d(2025, 9, 1), d(2025, 9, 14)).unwrap_err()
    }

    #[test]
    fn errors_name_their_line_and_column() {
        let e = errors("kind,from,to\nschool,2025-W36,\nholyday,2025-W37,\n");
        assert_eq!((e[0].line, e[0].column), (3, Some("kind")));
        assert!(e[0].to_string().starts_with("ligne 3, colonne kind"));
        let e = errors("kind,from,to\nschool,2025-W36,\nschool,2025-09-08,2025-09-31\n");
        assert_eq!((e[0].line, e[0].column), (3, Some("to")));
        let e = errors("kind,from,to\nschool,2025-W36,2025-09-12\n");
        assert_eq!((e[0].line, e[0].column), (2, Some("to")));
        let e = errors("kind,from,to\nschool,2025-W37,2025-W36\n");
        assert_eq!((e[0].line, e[0].column), (2, Some("to")));
        let e = errors("kind,from,to\nschool,2025-W36,,x,y\n");
        assert_eq!(e[0].line, 2);
        let e = errors("when,what\nschool,2025-W36\n");
        assert_eq!(e[0].line, 1);
    }

    #[test]
    fn overlaps_gaps_and_out_of_year_days_are_refused() {
        let e = errors("# c\n\nkind,from,to\nschool,2025-W36,2025-W37\ncompany,2025-09-10,,\n");
        assert_eq!(e[0].line, 5);
        assert!(
            e[0].message.contains("10/09/2025") && e[0].message.contains("ligne 4"),
            "{}",
            e[0]
        );
        let e = errors("kind,from,to\nschool,2025-W36,\n");
        assert_eq!(e[0].line, 0);
        assert_eq!(
            e[0].message,
            "jours ouvrés sans type : du 08/09/2025 au 12/09/2025"
        );
        let e = errors("kind,from,to\nschool,2025-W36,2025-W38\n");
        assert!(e[0].message.contains("hors de l’année"), "{}", e[0]);
        assert!(errors("").iter().any(|x| x.message.contains("vide")));
    }

    #[test]
    fn french_input_and_leap_days() {
        let file = "kind,from,to,note\nécole,01/09/2025,05/09/2025,\nentreprise,2025-W37,,\n";
        let days = parse_calendar_file(file, d(2025, 9, 1), d(2025, 9, 14)).unwrap();
        assert_eq!(kind(&days, d(2025, 9, 3)), DayKind::School);
        assert_eq!(kind(&days, d(2025, 9, 6)), DayKind::Holiday);
        let leap = "kind,from,to\ncompany,2028-02-28,2028-03-01\n";
        let days = parse_calendar_file(leap, d(2028, 2, 28), d(2028, 3, 1)).unwrap();
        assert_eq!(days.len(), 3);
        assert_eq!(days[1].date, d(2028, 2, 29));
        assert_eq!("Férié".parse::<DayKind>().unwrap(), DayKind::Holiday);
    }
}

/// Hostile input: whatever the bytes, the parser answers (days or errors naming a line of the
/// file), never panics, and a file it wrote reads back to the same days.
#[cfg(test)]
mod hostile_input {
    use proptest::prelude::*;

    use super::*;

    fn year() -> (NaiveDate, NaiveDate) {
        (
            NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 8, 30).unwrap(),
        )
    }

    /// A complete year: every weekday has its kind.
    const VALID: &str = include_str!("../../demo/calendars/2025-2026.csv");

    /// Lines made of the file's own vocabulary, so that the fuzzer reaches past the header.
    fn line() -> impl Strategy<Value = String> {
        let word = prop::sample::select(vec![
            "school",
            "company",
            "holiday",
            "kind",
            "from",
            "to",
            "note",
            "2025-W36",
            "2025-W53",
            "2026-W00",
            "2025-02-29",
            "2025-09-01",
            "2026-08-31",
            "9999-12-31",
            "-1",
            "",
            "\"",
            "é",
            ",",
            "#",
            " ",
            "\u{feff}",
        ]);
        prop::collection::vec(word, 0..6).prop_map(|w| w.join(","))
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        let (first, last) = year();
        let lines = text.lines().count();
        match parse_calendar_file(text, first, last) {
            Ok(days) => {
                prop_assert!(days.windows(2).all(|w| w[0].date < w[1].date));
                prop_assert!(days.iter().all(|d| first <= d.date && d.date <= last));
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in errors {
                    prop_assert!(e.line <= lines + 1, "line {} of {lines}: {e}", e.line);
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3_000))]

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,400}") {
            check(&text)?;
        }

        #[test]
        fn files_of_the_right_words_never_panic(lines in prop::collection::vec(line(), 0..12)) {
            check(&format!("kind,from,to,note\n{}", lines.join("\n")))?;
        }

        #[test]
        fn a_valid_file_cut_or_spliced_never_panics(cut in 0usize..VALID.len(), insert in ".{0,12}") {
            let at = (0..=cut).rev().find(|i| VALID.is_char_boundary(*i)).unwrap_or(0);
            check(&format!("{}{insert}{}", &VALID[..at], &VALID[at..]))?;
        }
    }

    #[test]
    fn a_written_file_reads_back_to_the_same_days() {
        let (first, last) = year();
        let days = parse_calendar_file(VALID, first, last).expect("valid");
        let written = format_calendar_file("essai", &days);
        assert_eq!(
            parse_calendar_file(&written, first, last).expect("reads back"),
            days
        );
    }
}
