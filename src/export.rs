//! Files for spreadsheets: CSV as French Excel opens it, with every cell made inert.

use std::borrow::Cow;

/// A cell a spreadsheet shows as text: one that starts like a formula (`=`, `+`, `-`, `@`, a
/// tab or a carriage return) gets a leading apostrophe, so that a name or a reason typed by
/// anyone cannot run in the office's spreadsheet (CSV injection). Numbers stay numbers.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    let formula = cell
        .trim_start_matches(' ')
        .starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula && cell.parse::<f64>().is_err() {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// CSV as French Excel opens it with a double click: UTF-8 with a byte order mark, `;`
/// between fields, CRLF between records; every cell through [`spreadsheet_safe`].
pub fn excel_csv<I>(header: &[&str], rows: I) -> anyhow::Result<Vec<u8>>
where
    I: IntoIterator<Item = Vec<String>>,
{
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(header)?;
    for row in rows {
        w.write_record(row.iter().map(|c| spreadsheet_safe(c).into_owned()))?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_made_inert_and_numbers_kept() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("  @SUM(A1)"), "'  @SUM(A1)");
        assert_eq!(spreadsheet_safe("+33 4 66"), "'+33 4 66");
        assert_eq!(spreadsheet_safe("-12.50"), "-12.50");
        assert_eq!(spreadsheet_safe("Zoé ÉLÈVE"), "Zoé ÉLÈVE");
        let csv = excel_csv(&["nom"], [vec!["=1+1".to_owned()]]).unwrap();
        assert_eq!(csv, b"\xEF\xBB\xBFnom\r\n'=1+1\r\n");
    }
}
