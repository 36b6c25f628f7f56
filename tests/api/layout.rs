//! `scripts/check-layout.sh` guards the house's rooms; these tests check that it does fail
//! on each kind of misplaced code (a guard that cannot fail guards nothing), and that the
//! repository itself passes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the script on a copy of the repository's `src/` with `extra` files added.
fn check_with(extra: &[(&str, String)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("scripts")).unwrap();
    std::fs::copy(
        repository().join("scripts/check-layout.sh"),
        root.join("scripts/check-layout.sh"),
    )
    .unwrap();
    copy_tree(&repository().join("src"), &root.join("src"));
    for (path, text) in extra {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    let out = Command::new("bash")
        .arg(root.join("scripts/check-layout.sh"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_repository_keeps_its_layout() {
    let (ok, text) = check_with(&[]);
    assert!(ok, "{text}");
}

#[test]
fn each_misplaced_thing_is_named() {
    let cases = [
        (
            "src/misplaced_sql.rs",
            "async fn f(db: &Db) { db_run!(db, |p| sqlx::query(\"SELECT 1\").execute(p).await); }"
                .to_owned(),
            "SQL outside src/db/",
        ),
        (
            "src/http/engine_branch.rs",
            "fn f(db: &Db) -> bool { matches!(db, Db::Sqlite(_)) }".to_owned(),
            "SQLite/PostgreSQL branches",
        ),
        (
            "src/use_case.rs",
            "use crate::http::extract::ApiJson;".to_owned(),
            "import them",
        ),
        (
            "src/domain/impure.rs",
            "fn now() { let _ = chrono::Utc::now(); }".to_owned(),
            "must stay pure",
        ),
        ("src/long.rs", "// a line\n".repeat(801), "over 800 lines"),
    ];
    for (path, text, rule) in cases {
        let (ok, out) = check_with(&[(path, text)]);
        assert!(!ok, "{path} passed: {out}");
        assert!(out.contains(rule), "{path}: {out}");
        assert!(out.contains(path), "{path} not named: {out}");
    }
}
