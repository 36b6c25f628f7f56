//! Hostile input: whatever the bytes, each import file parses to records and errors, never a
//! panic; every error names a line of the file and, when it names a column, one of the kind's.

use proptest::prelude::*;

use super::*;

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,12}",
        prop::sample::select(vec![
            "",
            "\"",
            "\"\"",
            "=1+1",
            "2025-09-01",
            "01/09/2025",
            "31/02/2025",
            "73282932000074",
            "7328293200007",
            "4 500,00",
            "-3",
            "1e9",
            "oui",
            "non",
            "é",
            ";",
            ",",
            "\n",
            "\r\n",
        ])
        .prop_map(str::to_owned),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        for kind in Kind::ALL {
            let parsed = parse_file(kind, &bytes);
            let lines = bytes.split(|b| *b == b'\n' || *b == b'\r').count();
            for e in &parsed.errors {
                prop_assert!(e.line <= lines + 1, "{e:?} with {lines} lines");
            }
        }
    }

    #[test]
    fn rows_under_a_real_header_never_panic(
        kind in prop::sample::select(Kind::ALL.to_vec()),
        rows in prop::collection::vec(prop::collection::vec(cell(), 0..22), 0..8),
        separator in prop::sample::select(vec![',', ';']),
    ) {
        let names: Vec<&str> = kind.columns().iter().map(|c| c.name).collect();
        let header = names.join(&separator.to_string());
        let body: Vec<String> = rows
            .iter()
            .map(|cells| cells.join(&separator.to_string()))
            .collect();
        let text = format!("{header}\n{}", body.join("\n"));
        let parsed = parse_file(kind, text.as_bytes());
        for e in &parsed.errors {
            prop_assert!(e.line >= 1 && e.line <= text.split(['\n', '\r']).count() + 1, "{e:?}");
            if let Some(column) = &e.column {
                prop_assert!(names.contains(&column.as_str()), "{e:?}");
            }
        }
        // The csv reader ends a record at \n, \r or \r\n.
        prop_assert!(parsed.records.len() <= text.split(['\n', '\r']).count());
    }
}
