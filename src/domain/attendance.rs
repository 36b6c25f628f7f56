//! Attendance rules: what a mark may say, what it counts for, who may still change it and
//! when a student may sign in. Pure functions; the HTTP layer feeds them rows.

use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// A student's mark for one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Present,
    Late,
    LeftEarly,
    Absent,
    /// An absence with an accepted justification.
    Excused,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Present,
        Status::Late,
        Status::LeftEarly,
        Status::Absent,
        Status::Excused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Late => "late",
            Status::LeftEarly => "left_early",
            Status::Absent => "absent",
            Status::Excused => "excused",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Status::Present => "présent·e",
            Status::Late => "en retard",
            Status::LeftEarly => "parti·e plus tôt",
            Status::Absent => "absent·e",
            Status::Excused => "absence justifiée",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Late => "late",
            Status::LeftEarly => "left early",
            Status::Absent => "absent",
            Status::Excused => "excused absence",
        }
    }

    /// Late and left early are the statuses that carry missed minutes.
    pub fn counts_minutes(self) -> bool {
        matches!(self, Status::Late | Status::LeftEarly)
    }

    /// The student was there for at least part of the session.
    pub fn attended(self) -> bool {
        matches!(self, Status::Present | Status::Late | Status::LeftEarly)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a change of mark came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The student's own sign-in.
    #[serde(rename = "self")]
    SelfSignIn,
    Teacher,
    Admin,
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::SelfSignIn => "self",
            Source::Teacher => "teacher",
            Source::Admin => "admin",
            Source::Import => "import",
        }
    }
}

/// Checks the minutes a mark says were missed against the session's length, and answers the
/// problem in French when there is one.
pub fn check_minutes(
    status: Status,
    minutes_missed: i64,
    session_minutes: i64,
) -> Result<(), String> {
    if minutes_missed < 0 {
        return Err("les minutes manquées ne peuvent pas être négatives".to_owned());
    }
    if minutes_missed > session_minutes {
        return Err(format!(
            "{minutes_missed} minutes manquées pour une séance de {session_minutes} minutes"
        ));
    }
    if status.counts_minutes() {
        if minutes_missed == 0 {
            return Err(format!(
                "indiquez les minutes manquées (1 à {}) pour le statut « {} »",
                session_minutes - 1,
                status.label_fr()
            ));
        }
        if minutes_missed == session_minutes {
            return Err(
                "toute la séance manquée : c’est une absence (statut « absent »)".to_owned(),
            );
        }
    } else if minutes_missed != 0 {
        return Err(format!(
            "les minutes manquées valent 0 pour le statut « {} » (elles ne comptent que pour un retard ou un départ anticipé)",
            status.label_fr()
        ));
    }
    Ok(())
}

/// Checks the minutes of a late arrival or an early leave that are excused (by an accepted
/// justification, or by the office): a part of the minutes missed, never more, and only for
/// those two statuses (a whole absence is excused by its status, `excused`).
pub fn check_excused(
    status: Status,
    minutes_missed: i64,
    excused_minutes: i64,
) -> Result<(), String> {
    if excused_minutes < 0 {
        return Err("les minutes justifiées ne peuvent pas être négatives".to_owned());
    }
    if excused_minutes == 0 {
        return Ok(());
    }
    if !status.counts_minutes() {
        return Err(format!(
            "seuls un retard ou un départ anticipé ont des minutes justifiées (statut « {} »)",
            status.label_fr()
        ));
    }
    if excused_minutes > minutes_missed {
        return Err(format!(
            "{excused_minutes} minutes justifiées pour {minutes_missed} minutes manquées"
        ));
    }
    Ok(())
}

/// A student's mark for one session: its status, the minutes a late arrival or an early
/// leave missed, and how many of those are excused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub status: Status,
    pub minutes_missed: i64,
    pub excused_minutes: i64,
}

impl Mark {
    pub fn new(status: Status, minutes_missed: i64) -> Mark {
        Mark {
            status,
            minutes_missed,
            excused_minutes: 0,
        }
    }

    /// Minutes of the session this mark misses (all of it for an absence, excused or not).
    pub fn missed(&self, session_minutes: i64) -> i64 {
        session_minutes - attended_minutes(self.status, self.minutes_missed, session_minutes)
    }

    /// Of the minutes missed, those excused.
    pub fn excused(&self, session_minutes: i64) -> i64 {
        if self.status == Status::Excused {
            session_minutes
        } else {
            self.excused_minutes.clamp(0, self.missed(session_minutes))
        }
    }

    /// Minutes missed that no justification covers.
    pub fn unexcused(&self, session_minutes: i64) -> i64 {
        self.missed(session_minutes) - self.excused(session_minutes)
    }
}

/// Minutes of the session the student attended.
pub fn attended_minutes(status: Status, minutes_missed: i64, session_minutes: i64) -> i64 {
    if status.attended() {
        (session_minutes - minutes_missed).clamp(0, session_minutes)
    } else {
        0
    }
}

/// One session of a student's semester, as the summary needs it.
#[derive(Debug, Clone, Copy)]
pub struct SessionMark {
    pub session_minutes: i64,
    /// The session has begun (marks of later sessions are only ever advance excuses).
    pub begun: bool,
    pub mark: Option<Mark>,
}

/// A student's hours over a set of sessions, in minutes. `scheduled` is always the sum of
/// the five parts; `excused` holds whole excused absences and the excused minutes of late
/// arrivals and early leaves, `absence` the rest of what was missed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub scheduled: i64,
    pub attended: i64,
    /// Unexcused: whole absences and the minutes missed by late arrivals and early leaves
    /// that no justification covers.
    pub absence: i64,
    pub excused: i64,
    /// Sessions begun or past with no mark yet.
    pub unrecorded: i64,
    /// Sessions still to come with no mark.
    pub upcoming: i64,
}

impl Tally {
    pub fn add(&mut self, s: SessionMark) {
        self.scheduled += s.session_minutes;
        match s.mark {
            Some(mark) => {
                let n = s.session_minutes;
                self.attended += n - mark.missed(n);
                self.excused += mark.excused(n);
                self.absence += mark.unexcused(n);
            }
            None if s.begun => self.unrecorded += s.session_minutes,
            None => self.upcoming += s.session_minutes,
        }
    }

    /// Attended share of the recorded hours, from 0 to 1 (four decimals); none before any mark.
    pub fn attendance_rate(&self) -> Option<f64> {
        let recorded = self.attended + self.absence + self.excused;
        (recorded > 0)
            .then(|| (self.attended as f64 / recorded as f64 * 10_000.0).round() / 10_000.0)
    }
}

impl FromIterator<SessionMark> for Tally {
    fn from_iter<I: IntoIterator<Item = SessionMark>>(iter: I) -> Self {
        let mut t = Tally::default();
        for s in iter {
            t.add(s);
        }
        t
    }
}

/// A civil time in Paris as an instant; at the autumn change the earlier of the two.
pub fn paris_instant(day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = day.and_time(time);
    match Paris.from_local_datetime(&local).earliest() {
        Some(t) => t.with_timezone(&Utc),
        // A time skipped by the spring change: an hour later exists.
        None => Paris
            .from_local_datetime(&(local + Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&local)),
    }
}

/// The instants a session starts and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
}

impl SessionTimes {
    pub fn new(day: NaiveDate, starts_at: NaiveTime, ends_at: NaiveTime) -> Self {
        SessionTimes {
            starts: paris_instant(day, starts_at),
            ends: paris_instant(day, ends_at),
        }
    }

    pub fn minutes(&self) -> i64 {
        (self.ends - self.starts).num_minutes()
    }

    pub fn has_begun(&self, now: DateTime<Utc>) -> bool {
        now >= self.starts
    }

    /// Students sign themselves in from a quarter of an hour before the start to the end.
    pub fn signin_open(&self, now: DateTime<Utc>) -> bool {
        now >= self.starts - Duration::minutes(SIGNIN_EARLY_MINUTES) && now <= self.ends
    }

    /// Minutes a self sign-in at `now` arrived after the start (0 before it).
    pub fn minutes_late(&self, now: DateTime<Utc>) -> i64 {
        (now - self.starts).num_minutes().clamp(0, self.minutes())
    }

    /// A teacher may still change the marks: up to `days` days after the end.
    pub fn teacher_may_edit(&self, now: DateTime<Utc>, days: u32) -> bool {
        now <= self.ends + Duration::days(i64::from(days))
    }
}

pub const SIGNIN_EARLY_MINUTES: i64 = 15;

/// How long one QR code is shown before the next replaces it.
pub const QR_PERIOD_SECONDS: i64 = 30;

/// The number of the 30-second period an instant falls in.
pub fn qr_period(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(QR_PERIOD_SECONDS)
}

/// The sign-in code of a session for one period: short, unguessable without the server's
/// secret, and the same on every instance that shares it.
pub fn qr_code(secret: &[u8], session_id: i64, period: i64) -> String {
    let mut h = Sha256::new();
    h.update(secret);
    h.update(session_id.to_be_bytes());
    h.update(period.to_be_bytes());
    hex::encode(&h.finalize()[..6])
}

/// A code is accepted during its own period and the next one, so a code scanned just before
/// the screen changes still works (at most a minute in all).
pub fn qr_code_valid(secret: &[u8], session_id: i64, code: &str, now: DateTime<Utc>) -> bool {
    let period = qr_period(now);
    let code = code.trim().to_ascii_lowercase();
    [period, period - 1]
        .into_iter()
        .any(|p| constant_time_eq(qr_code(secret, session_id, p).as_bytes(), code.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// "matin" or "après-midi": funders count half-days.
pub fn half_day_fr(starts_at: NaiveTime) -> &'static str {
    if starts_at < NaiveTime::from_hms_opt(12, 30, 0).unwrap_or(NaiveTime::MIN) {
        "matin"
    } else {
        "après-midi"
    }
}

pub fn half_day_en(starts_at: NaiveTime) -> &'static str {
    if half_day_fr(starts_at) == "matin" {
        "morning"
    } else {
        "afternoon"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }
    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn minutes_follow_the_status() {
        assert!(check_minutes(Status::Present, 0, 210).is_ok());
        assert!(check_minutes(Status::Late, 15, 210).is_ok());
        assert!(check_minutes(Status::LeftEarly, 209, 210).is_ok());
        assert!(check_minutes(Status::Absent, 0, 210).is_ok());
        assert!(
            check_minutes(Status::Present, -1, 210)
                .unwrap_err()
                .contains("négatives")
        );
        assert!(
            check_minutes(Status::Late, 211, 210)
                .unwrap_err()
                .contains("séance de 210")
        );
        assert!(check_minutes(Status::Late, 0, 210).is_err());
        assert!(
            check_minutes(Status::Late, 210, 210)
                .unwrap_err()
                .contains("absence")
        );
        assert!(check_minutes(Status::Present, 10, 210).is_err());
        assert!(check_minutes(Status::Excused, 10, 210).is_err());
    }

    #[test]
    fn tally_parts_add_up_to_the_schedule() {
        let s = |mark, begun| SessionMark {
            session_minutes: 210,
            begun,
            mark,
        };
        let m = |status, minutes| Some(Mark::new(status, minutes));
        let tally: Tally = [
            s(m(Status::Present, 0), true),
            s(m(Status::Late, 15), true),
            s(m(Status::LeftEarly, 30), true),
            s(m(Status::Absent, 0), true),
            s(m(Status::Excused, 0), true),
            s(None, true),
            s(None, false),
            // An absence excused in advance for a later session.
            s(m(Status::Excused, 0), false),
            // A 45-minute medical appointment, justified for 40 of them.
            s(
                Some(Mark {
                    status: Status::Late,
                    minutes_missed: 45,
                    excused_minutes: 40,
                }),
                true,
            ),
        ]
        .into_iter()
        .collect();
        assert_eq!(tally.scheduled, 9 * 210);
        assert_eq!(tally.attended, 210 + 195 + 180 + 165);
        assert_eq!(tally.absence, 15 + 30 + 210 + 5);
        assert_eq!(tally.excused, 420 + 40);
        assert_eq!(tally.unrecorded, 210);
        assert_eq!(tally.upcoming, 210);
        assert_eq!(
            tally.attended + tally.absence + tally.excused + tally.unrecorded + tally.upcoming,
            tally.scheduled
        );
        assert_eq!(tally.attendance_rate(), Some(0.5102));
        assert_eq!(Tally::default().attendance_rate(), None);
    }

    #[test]
    fn excused_minutes_are_part_of_a_late_arrival_or_an_early_leave() {
        assert!(check_excused(Status::Late, 45, 45).is_ok());
        assert!(check_excused(Status::LeftEarly, 45, 20).is_ok());
        assert!(check_excused(Status::Present, 0, 0).is_ok());
        assert!(
            check_excused(Status::Late, 45, 46)
                .unwrap_err()
                .contains("45 minutes manquées")
        );
        assert!(check_excused(Status::Absent, 0, 10).is_err());
        assert!(check_excused(Status::Late, 45, -1).is_err());
        let partly = Mark {
            status: Status::Late,
            minutes_missed: 45,
            excused_minutes: 30,
        };
        assert_eq!(
            (
                partly.missed(210),
                partly.excused(210),
                partly.unexcused(210)
            ),
            (45, 30, 15)
        );
        let whole = Mark::new(Status::Excused, 0);
        assert_eq!((whole.missed(210), whole.excused(210)), (210, 210));
    }

    #[test]
    fn session_times_are_paris_civil_times() {
        // 1 September 2025: Paris is UTC+2.
        let st = SessionTimes::new(d(2025, 9, 1), t(8, 30), t(12, 0));
        assert_eq!(st.starts.to_rfc3339(), "2025-09-01T06:30:00+00:00");
        assert_eq!(st.minutes(), 210);
        // 5 January 2026: UTC+1.
        let winter = SessionTimes::new(d(2026, 1, 5), t(13, 30), t(17, 0));
        assert_eq!(winter.starts.to_rfc3339(), "2026-01-05T12:30:00+00:00");
    }

    #[test]
    fn signin_window_and_edit_window() {
        let st = SessionTimes::new(d(2025, 9, 1), t(8, 30), t(12, 0));
        let at = |h, m| paris_instant(d(2025, 9, 1), t(h, m));
        assert!(!st.signin_open(at(8, 14)));
        assert!(st.signin_open(at(8, 15)));
        assert!(st.signin_open(at(12, 0)));
        assert!(!st.signin_open(at(12, 1)));
        assert_eq!(st.minutes_late(at(8, 20)), 0);
        assert_eq!(st.minutes_late(at(8, 47)), 17);
        assert!(st.teacher_may_edit(paris_instant(d(2025, 9, 8), t(12, 0)), 7));
        assert!(!st.teacher_may_edit(paris_instant(d(2025, 9, 8), t(12, 1)), 7));
    }

    #[test]
    fn qr_codes_rotate_and_expire() {
        let secret = b"secret";
        let now = paris_instant(d(2025, 9, 1), t(8, 40));
        let code = qr_code(secret, 7, qr_period(now));
        assert_eq!(code.len(), 12);
        assert!(qr_code_valid(secret, 7, &code, now));
        assert!(qr_code_valid(
            secret,
            7,
            &code.to_uppercase(),
            now + Duration::seconds(30)
        ));
        assert!(!qr_code_valid(
            secret,
            7,
            &code,
            now + Duration::seconds(60)
        ));
        assert!(!qr_code_valid(secret, 8, &code, now));
        assert!(!qr_code_valid(b"other", 7, &code, now));
        assert_ne!(code, qr_code(secret, 7, qr_period(now) + 1));
    }

    #[test]
    fn half_days() {
        assert_eq!(half_day_fr(t(8, 30)), "matin");
        assert_eq!(half_day_fr(t(13, 30)), "après-midi");
        assert_eq!(half_day_en(t(13, 30)), "afternoon");
    }
}
