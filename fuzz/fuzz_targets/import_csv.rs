//! The CSV import files (companies, tutors, students, contracts): any bytes must give records
//! and line errors, never a panic.
#![no_main]

use assidu::import::parse::{Kind, parse_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data.split(|b| *b == b'\n' || *b == b'\r').count();
    for kind in Kind::ALL {
        let parsed = parse_file(kind, data);
        assert!(parsed.errors.iter().all(|e| e.line <= lines + 1));
    }
});
