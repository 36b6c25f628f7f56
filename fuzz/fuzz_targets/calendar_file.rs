//! A training calendar file as uploaded (`PUT /api/v1/calendars/{id}/file`, `assidu calendar
//! import`): any text must give days or errors naming a line of the file, never a panic.
#![no_main]

use assidu::domain::calendar::{format_calendar_file, parse_calendar_file};
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(2025, 9, 1),
        NaiveDate::from_ymd_opt(2026, 8, 30),
    ) else {
        return;
    };
    match parse_calendar_file(text, first, last) {
        Ok(days) => {
            assert!(days.iter().all(|d| first <= d.date && d.date <= last));
            // What is accepted reads back to itself once written.
            let written = format_calendar_file("fuzz", &days);
            assert_eq!(parse_calendar_file(&written, first, last).ok(), Some(days));
        }
        Err(errors) => {
            let lines = text.lines().count();
            assert!(errors.iter().all(|e| e.line <= lines + 1));
        }
    }
});
