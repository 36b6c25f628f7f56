//! Moved to [`crate::attendance::hours`]; kept so that callers elsewhere compile until the
//! integration.

pub use crate::attendance::hours::{SemesterSummary, summarize, tally_semesters};
