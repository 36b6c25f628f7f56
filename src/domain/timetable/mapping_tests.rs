use super::*;
use crate::domain::timetable::ics;
use chrono::NaiveDate;
use proptest::prelude::*;

const ADE: &str = include_str!("../../../tests/fixtures/timetable/ade.ics");
const HYPERPLANNING: &str = include_str!("../../../tests/fixtures/timetable/hyperplanning.ics");
const OUTLOOK: &str = include_str!("../../../tests/fixtures/timetable/outlook.ics");

fn directory() -> Directory {
    Directory {
        modules: vec![
            ModuleEntry {
                id: 1,
                name: "Ingénierie logicielle".into(),
            },
            ModuleEntry {
                id: 2,
                name: "Bases de données".into(),
            },
        ],
        teachers: vec![
            TeacherEntry {
                id: 7,
                last_name: "Prof".into(),
                first_name: "Anne".into(),
                email: "anne@school.test".into(),
            },
            TeacherEntry {
                id: 8,
                last_name: "Dupont".into(),
                first_name: "Jean".into(),
                email: "jean.dupont@school.test".into(),
            },
        ],
    }
}

fn events(text: &str) -> Vec<SourceEvent> {
    let from = NaiveDate::from_ymd_opt(2025, 9, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2026, 2, 27).unwrap();
    ics::parse(text, from, to).unwrap()
}

fn session(module_id: i64, teacher_id: i64, room: &str) -> Resolution {
    Resolution::Session(Draft {
        module_id,
        teacher_id,
        room: room.into(),
    })
}

#[test]
fn ade_with_an_ignore_rule() {
    let mapping = Mapping {
        ignore: vec!["^examen".into()],
        ..Mapping::default()
    };
    let dir = directory();
    let compiled = mapping.compile(&dir).unwrap();
    let got: Vec<_> = events(ADE)
        .iter()
        .map(|e| compiled.resolve(e, &dir))
        .collect();
    // ADE lists PROF Anne before DUPONT Jean: the first teacher the school knows wins.
    assert_eq!(
        got.iter().filter(|r| **r == session(1, 7, "B204")).count(),
        8
    );
    assert!(got.contains(&Resolution::Ignored("règle d’exclusion « ^examen »".into())));
    assert!(got.contains(&Resolution::Ignored(
        "événement sur la journée entière".into()
    )));
    assert!(got.contains(&session(1, 7, "B204 (Amphithéâtre Marie Curie)")));
}

#[test]
fn hyperplanning_summary_pattern_and_unknown_teacher() {
    let mapping = Mapping {
        module: ModuleRule {
            pattern: Some(r"^(.+?) - ".into()),
            ..ModuleRule::default()
        },
        group: Some("2IA-IL".into()),
        ..Mapping::default()
    };
    let dir = directory();
    let compiled = mapping.compile(&dir).unwrap();
    let got: Vec<_> = events(HYPERPLANNING)
        .iter()
        .map(|e| compiled.resolve(e, &dir))
        .collect();
    assert_eq!(
        got.iter().filter(|r| **r == session(1, 7, "A101")).count(),
        4
    );
    let unmatched: Vec<_> = got
        .iter()
        .filter_map(|r| match r {
            Resolution::Unmatched(reason) => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(unmatched.len(), 1);
    assert!(unmatched[0].starts_with("aucun·e enseignant·e reconnu·e ("));
    assert!(
        unmatched[0].contains("« Enseignant : MARTIN Paul »"),
        "{}",
        unmatched[0]
    );
    // Another group's feed: everything is out of the group.
    let other = Mapping {
        group: Some("3IA".into()),
        ..mapping
    }
    .compile(&dir)
    .unwrap();
    let first = &events(HYPERPLANNING)[0];
    assert_eq!(
        other.resolve(first, &dir),
        Resolution::Ignored(
            "hors du groupe : « Ingénierie logicielle - PROF Anne - TD - 2IA-IL »".into()
        )
    );
}

#[test]
fn outlook_organizer_email_and_room() {
    let dir = directory();
    let compiled = Mapping {
        room: RoomRule {
            field: Field::Location,
            pattern: Some(r"^(\S+)".into()),
        },
        ..Mapping::default()
    }
    .compile(&dir)
    .unwrap();
    for e in events(OUTLOOK) {
        assert_eq!(compiled.resolve(&e, &dir), session(1, 7, "C003"));
    }
}

#[test]
fn codes_categories_names_and_unmatched_modules() {
    let dir = directory();
    let mut event = events(HYPERPLANNING)[0].clone();
    event.categories = vec!["CM".into(), "BDD-101".into()];
    let mapping = Mapping {
        module: ModuleRule {
            field: Field::Categories,
            pattern: None,
            codes: [("bdd-101".to_owned(), 2)].into(),
        },
        ..Mapping::default()
    };
    let compiled = mapping.compile(&dir).unwrap();
    // Case-insensitive key.
    assert_eq!(compiled.resolve(&event, &dir), session(2, 7, "A101"));

    event.summary = "IL-TP".into();
    let by_summary = Mapping::default().compile(&dir).unwrap();
    assert_eq!(
        by_summary.resolve(&event, &dir),
        Resolution::Unmatched("aucun module pour « IL-TP »".into())
    );
    let patterned = Mapping {
        module: ModuleRule {
            pattern: Some(r"^\[(\w+)\]".into()),
            ..ModuleRule::default()
        },
        ..Mapping::default()
    }
    .compile(&dir)
    .unwrap();
    assert_eq!(
        patterned.resolve(&event, &dir),
        Resolution::Unmatched("le titre « IL-TP » ne correspond pas au motif du module".into())
    );
    // Names: accents, case and spaces do not count.
    event.summary = "  INGENIERIE   Logicielle ".into();
    assert_eq!(by_summary.resolve(&event, &dir), session(1, 7, "A101"));
}

#[test]
fn teachers_by_names_table_civility_and_pattern() {
    let dir = directory();
    let mut event = events(HYPERPLANNING)[0].clone();
    event.description = "Enseignant : M. DUPONT".into();
    event.summary = "Ingénierie logicielle".into();
    let compiled = Mapping::default().compile(&dir).unwrap();
    assert_eq!(compiled.resolve(&event, &dir), session(1, 8, "A101"));

    event.description = "Intervenant : J-D".into();
    let table = Mapping {
        teacher: TeacherRule {
            field: TeacherField::Description,
            pattern: Some(r"Intervenant : (.+)".into()),
            names: [("J-D".to_owned(), 8)].into(),
        },
        ..Mapping::default()
    }
    .compile(&dir)
    .unwrap();
    assert_eq!(table.resolve(&event, &dir), session(1, 8, "A101"));

    event.description = "Dupont Jean".into();
    assert_eq!(compiled.resolve(&event, &dir), session(1, 8, "A101"));
    event.description = "Jean DUPONT".into();
    assert_eq!(compiled.resolve(&event, &dir), session(1, 8, "A101"));
}

#[test]
fn compile_reports_every_mistake_with_its_field() {
    let dir = directory();
    let mapping = Mapping {
        module: ModuleRule {
            pattern: Some("(".into()),
            codes: [("GC501".to_owned(), 12)].into(),
            ..ModuleRule::default()
        },
        teacher: TeacherRule {
            pattern: Some("[".into()),
            names: [("X".to_owned(), 9)].into(),
            ..TeacherRule::default()
        },
        room: RoomRule {
            field: Field::Location,
            pattern: Some("a{99999999}".into()),
        },
        ignore: vec!["ok".into(), ")".into()],
        group: Some("(?P<".into()),
    };
    let errors = mapping.compile(&dir).unwrap_err();
    let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "mapping.module.pattern",
            "mapping.teacher.pattern",
            "mapping.room.pattern",
            "mapping.ignore[1]",
            "mapping.group",
            "mapping.module.codes.GC501",
            "mapping.teacher.names.X",
        ]
    );
    assert!(
        errors[0]
            .message
            .starts_with("expression régulière invalide")
    );
    assert_eq!(
        errors[5].message,
        "module n° 12 inconnu (ou hors du programme du groupe)"
    );
    assert_eq!(errors[6].message, "enseignant·e n° 9 inconnu·e");
}

#[test]
fn a_long_room_is_cut() {
    let dir = directory();
    let mut event = events(ADE)[0].clone();
    event.location = "é".repeat(150);
    let compiled = Mapping::default().compile(&dir).unwrap();
    let Resolution::Session(draft) = compiled.resolve(&event, &dir) else {
        panic!("a session");
    };
    assert_eq!(draft.room.chars().count(), 100);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn resolve_never_panics(
        summary in ".{0,40}",
        description in ".{0,60}",
        location in ".{0,120}",
        pattern in proptest::option::of("[a-z().*+?|\\[\\]]{0,8}"),
    ) {
        let dir = directory();
        let mut event = events(ADE)[0].clone();
        event.summary = summary;
        event.description = description;
        event.location = location;
        let mapping = Mapping {
            module: ModuleRule { pattern: pattern.clone(), ..ModuleRule::default() },
            teacher: TeacherRule { pattern: pattern.clone(), ..TeacherRule::default() },
            room: RoomRule { field: Field::Location, pattern },
            ..Mapping::default()
        };
        if let Ok(compiled) = mapping.compile(&dir) {
            let _ = compiled.resolve(&event, &dir);
        }
    }
}
