//! A timetable feed as fetched or uploaded (issue 20): any text must give occurrences within
//! the window or an error naming a line of the file, and mapping them never panics.
#![no_main]

use assidu::domain::timetable::ics::parse;
use assidu::domain::timetable::mapping::{Directory, Mapping, ModuleEntry, TeacherEntry};
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(2025, 9, 1),
        NaiveDate::from_ymd_opt(2026, 2, 27),
    ) else {
        return;
    };
    match parse(text, from, to) {
        Ok(events) => {
            assert!(events.iter().all(|e| from <= e.day && e.day <= to));
            let directory = Directory {
                modules: vec![ModuleEntry {
                    id: 1,
                    name: "Ingénierie logicielle".into(),
                }],
                teachers: vec![TeacherEntry {
                    id: 1,
                    last_name: "Prof".into(),
                    first_name: "Anne".into(),
                    email: "anne@school.test".into(),
                }],
            };
            let Ok(mapping) = Mapping::default().compile(&directory) else {
                panic!("the default mapping compiles");
            };
            for event in &events {
                let _ = mapping.resolve(event, &directory);
            }
        }
        Err(error) => {
            // Unfolding never adds lines: the error names one of the file's.
            assert!(error.line >= 1 && error.line <= text.split('\n').count().max(1));
        }
    }
});
