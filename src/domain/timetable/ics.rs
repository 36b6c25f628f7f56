//! Reads an iCalendar feed (RFC 5545) with the `icalendar` crate's parser and expands its
//! recurring events with `rrule`: the occurrences between two dates, in Paris civil time.

use chrono::NaiveDate;

use super::{IcsError, SourceEvent};

/// The occurrences of `text`'s events whose day falls from `from` to `to` (inclusive), in
/// file order then time order. Errors name the line of the file as received.
pub fn parse(text: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<SourceEvent>, IcsError> {
    let _ = (text, from, to);
    todo!("issue 20: ICS parsing (helper ics)")
}
