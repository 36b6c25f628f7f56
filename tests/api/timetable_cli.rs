//! `assidu timetable …` through the binary (issue 20): add a file source, dry-run it
//! (planned events printed, nothing written), sync, re-sync (all unchanged), list; an unknown
//! group exits 2, bad input exits non-zero and writes nothing, a failing source exits 1.

use crate::cli::{assidu, text};
use crate::helpers::*;
use crate::timetable_job::{Feeds, MEETING, feed};

fn run(url: &str, args: &[&str]) -> std::process::Output {
    assidu(url, args, None)
}

#[tokio::test]
async fn add_dry_run_sync_and_sync_again_through_the_binary() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let dir = tempfile::tempdir().unwrap();
    let ics = dir.path().join("m1.ics");
    std::fs::write(&ics, feed(MEETING)).unwrap();
    let mapping = dir.path().join("mapping.json");
    std::fs::write(&mapping, r#"{"room": {"field": "location"}}"#).unwrap();
    let bad_mapping = dir.path().join("bad.json");
    std::fs::write(&bad_mapping, r#"{"module": {"colour": "blue"}}"#).unwrap();
    let not_ics = dir.path().join("notes.ics");
    std::fs::write(&not_ics, "Ceci n’est pas un calendrier\n").unwrap();
    let url = app.db_url();
    let group = b.group.to_string();
    let sessions = || {
        scalar(
            &app,
            "SELECT COUNT(*) FROM training_sessions WHERE source_id IS NOT NULL",
        )
    };
    let sources = || scalar(&app, "SELECT COUNT(*) FROM timetable_sources");

    // Bad input: a message naming the option, a non-zero exit, nothing written.
    let (u, g, m) = (url.clone(), group.clone(), bad_mapping.clone());
    let i = ics.clone();
    let out = tokio::task::spawn_blocking(move || {
        run(
            &u,
            &[
                "timetable",
                "add",
                "--group",
                &g,
                "--file",
                i.to_str().unwrap(),
                "--mapping",
                m.to_str().unwrap(),
            ],
        )
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--mapping : "),
        "{}",
        text(&out.stderr)
    );
    let (u, g, f) = (url.clone(), group.clone(), not_ics.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(
            &u,
            &[
                "timetable",
                "add",
                "--group",
                &g,
                "--file",
                f.to_str().unwrap(),
            ],
        )
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--file : "),
        "{}",
        text(&out.stderr)
    );
    let (u, f) = (url.clone(), ics.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(
            &u,
            &[
                "timetable",
                "add",
                "--group",
                "99",
                "--file",
                f.to_str().unwrap(),
            ],
        )
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("groupe n° 99 introuvable"));
    assert_eq!(sources().await, 0, "nothing written");

    // Added: its id on standard output.
    let (u, g, i, m) = (url.clone(), group.clone(), ics.clone(), mapping.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(
            &u,
            &[
                "timetable",
                "add",
                "--group",
                &g,
                "--file",
                i.to_str().unwrap(),
                "--label",
                "ADE M1",
                "--mapping",
                m.to_str().unwrap(),
            ],
        )
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id: i64 = text(&out.stdout).trim().parse().expect("the source's id");
    assert_eq!(sources().await, 1);

    // The dry run prints every planned event, and writes nothing.
    let (u, g) = (url.clone(), group.clone());
    let dry = tokio::task::spawn_blocking(move || {
        run(&u, &["timetable", "sync", "--group", &g, "--dry-run"])
    })
    .await
    .unwrap();
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    let stdout = text(&dry.stdout);
    assert!(
        stdout.contains(&format!(
            "Source n° {id} — 2IA-IL — ADE M1 (fichier m1.ics)"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("3\u{a0}nouvelles, 1\u{a0}non reconnue"),
        "{stdout}"
    );
    assert!(
        stdout.contains("nouvelle séance  15/09/2025  08:30–12:00  Ingénierie logicielle"),
        "{stdout}"
    );
    assert!(
        stdout.contains("non reconnue     18/09/2025  14:00–16:00  Réunion de rentrée — "),
        "{stdout}"
    );
    assert!(
        stdout.contains("simulation : rien n’a été écrit"),
        "{stdout}"
    );
    assert_eq!(sessions().await, 0, "a dry run writes nothing");

    // The sync writes them.
    let u = url.clone();
    let synced = tokio::task::spawn_blocking(move || run(&u, &["timetable", "sync"]))
        .await
        .unwrap();
    assert!(synced.status.success(), "{}", text(&synced.stderr));
    assert!(
        text(&synced.stdout).contains("1\u{a0}source synchronisée"),
        "{}",
        text(&synced.stdout)
    );
    assert_eq!(sessions().await, 3);
    let rooms = texts(
        &app,
        "SELECT DISTINCT room FROM training_sessions WHERE source_id IS NOT NULL",
    )
    .await;
    assert_eq!(rooms, ["B101"]);

    // Again: all unchanged, none listed.
    let (u, g) = (url.clone(), group.clone());
    let again = tokio::task::spawn_blocking(move || run(&u, &["timetable", "sync", "--group", &g]))
        .await
        .unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    let stdout = text(&again.stdout);
    assert!(stdout.contains("3\u{a0}inchangées"), "{stdout}");
    assert!(!stdout.contains("nouvelle séance"), "{stdout}");
    assert_eq!(sessions().await, 3);

    // The list, and an unknown group.
    let u = url.clone();
    let list = tokio::task::spawn_blocking(move || run(&u, &["timetable", "list"]))
        .await
        .unwrap();
    assert!(list.status.success(), "{}", text(&list.stderr));
    assert!(
        text(&list.stdout).contains(&format!("Source n° {id} — 2IA-IL — ADE M1")),
        "{}",
        text(&list.stdout)
    );
    let u = url.clone();
    let unknown =
        tokio::task::spawn_blocking(move || run(&u, &["timetable", "sync", "--group", "99"]))
            .await
            .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("groupe n° 99 introuvable"),
        "{}",
        text(&unknown.stderr)
    );
}

#[tokio::test]
async fn a_failing_source_exits_one_and_names_it() {
    let app = TestConfig::default().spawn().await;
    let admin = app.admin_token().await;
    let b = seed_basics(&app, &admin).await;
    let feeds = Feeds::default();
    let base = feeds.serve().await;
    feeds.set("m1.ics", &feed(""));
    let url = app.db_url();
    let group = b.group.to_string();
    // Two URL sources: one served, one a 404.
    for (label, name) in [("ADE M1", "m1.ics"), ("Ancien export", "gone.ics")] {
        let (u, g, address) = (url.clone(), group.clone(), format!("{base}/{name}"));
        let label = label.to_owned();
        let out = tokio::task::spawn_blocking(move || {
            run(
                &u,
                &[
                    "timetable",
                    "add",
                    "--group",
                    &g,
                    "--url",
                    &address,
                    "--label",
                    &label,
                ],
            )
        })
        .await
        .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let u = url.clone();
    let out = tokio::task::spawn_blocking(move || run(&u, &["timetable", "sync"]))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("2IA-IL — Ancien export"), "{stderr}");
    assert!(
        stderr.contains("le serveur a répondu 404 Not Found"),
        "{stderr}"
    );
    // The other source synced all the same.
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM training_sessions WHERE source_id IS NOT NULL"
        )
        .await,
        3
    );
}
