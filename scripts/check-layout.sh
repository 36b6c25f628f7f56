#!/usr/bin/env bash
# Keeps each thing in its room (docs/architecture.md). Run by .ci/run.
#
# Rules that already hold fail at once when broken:
#   - no SQLite/PostgreSQL branch outside src/db/ (src/db/dialect.rs answers them);
#   - src/domain/ does no I/O: no sqlx, no db, no clock.
# Rules the code is still being moved towards (issue 17) are a ratchet: the counts in
# scripts/layout-baseline.txt may only go down, and the target is 0.
#   sql_files       files outside src/db/ that run SQL (sqlx::query*, db_run!, tx_run!)
#   http_importers  files outside src/http/ and src/web/ that import them
#   long_files      files in src/ over 800 lines
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
say() { printf '%s\n' "$*"; }

branches=$(grep -rnE 'Db::(Sqlite|Postgres)|Tx::(Sqlite|Postgres)' src --include='*.rs' | grep -v '^src/db/' || true)
if [ -n "$branches" ]; then
    say "engine branches outside src/db/ (use src/db/dialect.rs):"
    say "$branches"
    fail=1
fi

impure=$(grep -rlnE 'sqlx::|db_run!|tx_run!|crate::db::|Utc::now\(\)|crate::clock' src/domain --include='*.rs' || true)
if [ -n "$impure" ]; then
    say "src/domain/ must stay pure (no database, no clock):"
    say "$impure"
    fail=1
fi

sql_files=$(grep -rlE 'sqlx::query|db_run!|tx_run!' src --include='*.rs' | grep -v '^src/db/' | sort)
http_importers=$(grep -rlE 'crate::(http|web)\b' src --include='*.rs' | grep -vE '^src/(http|web)/' | sort)
long_files=$(find src -name '*.rs' -print0 | xargs -0 wc -l | awk '$2 != "total" && $1 > 800 { print $2 }' | sort)

count() { if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l | tr -d ' '; fi; }
baseline() { awk -v k="$1" '$1 == k { print $2 }' scripts/layout-baseline.txt; }

for metric in sql_files http_importers long_files; do
    now=$(count "${!metric}")
    max=$(baseline "$metric")
    if [ "$now" -gt "$max" ]; then
        say "$metric: $now, more than the baseline $max — the new ones:"
        printf '%s\n' "${!metric}" | sed 's/^/  /'
        fail=1
    elif [ "$now" -lt "$max" ]; then
        say "$metric: $now (baseline $max): lower scripts/layout-baseline.txt to $now"
    fi
done

if [ "$fail" -ne 0 ]; then
    say "check-layout: FAILED"
    exit 1
fi
say "check-layout: ok (sql_files $(count "$sql_files"), http_importers $(count "$http_importers"), long_files $(count "$long_files"); target 0 each)"
