#!/usr/bin/env bash
# Keeps each thing in its room (docs/architecture.md). Run by .ci/run; each rule names the
# files that break it.
#   1. SQL (sqlx::query*, db_run!, tx_run!) only in src/db/.
#   2. No SQLite/PostgreSQL branch outside src/db/dialect.rs (and src/db/mod.rs, which
#      opens the two kinds of pool).
#   3. Nothing outside src/http/ and src/web/ imports them: use cases sit below the adapters
#      (src/app.rs, which mounts their routers on the service, is the one exception).
#   4. src/domain/ does no I/O: no sqlx, no db, no clock.
#   5. No file in src/ over 800 lines.
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
rule() {
    local what=$1 found=$2
    if [ -n "$found" ]; then
        printf '%s:\n%s\n' "$what" "$(printf '%s\n' "$found" | sed 's/^/  /')"
        fail=1
    fi
}

rule "SQL outside src/db/ (move it into a repository function there)" \
    "$(grep -rlE 'sqlx::query|db_run!|tx_run!' src --include='*.rs' | grep -v '^src/db/' | sort || true)"

rule "SQLite/PostgreSQL branches outside src/db/dialect.rs (add a function there)" \
    "$(grep -rnE 'Db::(Sqlite|Postgres)|Tx::(Sqlite|Postgres)' src --include='*.rs' |
        grep -vE '^src/db/(dialect|mod)\.rs:' || true)"

rule "modules outside src/http/ and src/web/ that import them (call a use case instead)" \
    "$(grep -rlE 'crate::(http|web)\b' src --include='*.rs' | grep -vE '^src/(http|web)/|^src/app\.rs$' | sort || true)"

rule "src/domain/ must stay pure (no database, no clock)" \
    "$(grep -rlE 'sqlx::|db_run!|tx_run!|crate::db::|Utc::now\(\)|crate::clock' src/domain --include='*.rs' || true)"

rule "files in src/ over 800 lines (split them by what they hold)" \
    "$(find src -name '*.rs' -print0 | xargs -0 wc -l | awk '$2 != "total" && $1 > 800 { print $1 " " $2 }' | sort -rn || true)"

if [ "$fail" -ne 0 ]; then
    echo "check-layout: FAILED"
    exit 1
fi
echo "check-layout: ok"
