//! Benchmarks of the pure rules: `cargo bench --bench domain`.

use std::hint::black_box;

use assidu::domain::calendar::{format_calendar_file, parse_calendar_file};
use assidu::domain::hours::Minutes;
use assidu::domain::semester::{
    ContractDates, ScheduledSession, coverage, semesters, sessions_outside,
};
use chrono::{Duration, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};

const CALENDAR: &str = include_str!("../demo/calendars/2025-2026.csv");

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn calendar(c: &mut Criterion) {
    let (first, last) = (d(2025, 9, 1), d(2026, 8, 30));
    c.bench_function("calendar: parse a year file", |b| {
        b.iter(|| parse_calendar_file(black_box(CALENDAR), first, last).unwrap())
    });
    let days = parse_calendar_file(CALENDAR, first, last).unwrap();
    c.bench_function("calendar: format a year", |b| {
        b.iter(|| format_calendar_file("bench", black_box(&days)))
    });
}

fn semester(c: &mut Criterion) {
    let contract = ContractDates {
        academic_year_start: d(2025, 9, 1),
        start: d(2025, 10, 6),
        end: d(2026, 8, 28),
        defence: Some(d(2026, 8, 28)),
        termination: None,
    };
    // A year of a group: 128 half-day sessions.
    let sessions: Vec<ScheduledSession> = (0..128)
        .map(|i| ScheduledSession {
            id: i,
            date: d(2025, 9, 1) + Duration::days(i),
            minutes: Minutes(225),
        })
        .collect();
    c.bench_function(
        "semester: periods, coverage and outside sessions of one contract",
        |b| {
            b.iter(|| {
                let periods = semesters(black_box(&contract));
                let cov = coverage(
                    &periods,
                    Minutes(270 * 60),
                    Minutes(210 * 60),
                    black_box(&sessions),
                    None,
                );
                (cov, sessions_outside(&contract, &sessions))
            })
        },
    );
}

/// One contract's statement from a year of 120 marked half-days (`billing::statement`), and
/// the CSV of 1,000 statements.
fn billing(c: &mut Criterion) {
    use assidu::pdf::statement::fixtures;
    use chrono::TimeZone;
    let now = chrono::Utc.with_ymd_and_hms(2026, 9, 15, 8, 0, 0).unwrap();
    let (facts, sessions) = (fixtures::facts(2), fixtures::sessions(2, d(2026, 8, 28)));
    c.bench_function("billing: a contract's statement (120 sessions)", |b| {
        b.iter(|| assidu::billing::statement(black_box(&facts), black_box(&sessions), now))
    });
    let statements: Vec<_> = (0..1000).map(fixtures::contract).collect();
    c.bench_function("billing: CSV of 1,000 statements", |b| {
        b.iter(|| assidu::billing::statements_csv(black_box(&statements)).unwrap())
    });
}

criterion_group!(benches, calendar, semester, billing);
criterion_main!(benches);
