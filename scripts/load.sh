#!/usr/bin/env bash
# HTTP load run against a release build on loopback, on a generated year (issue 7).
#
#   scripts/load.sh            SQLite (a temporary file)
#   scripts/load.sh postgres   PostgreSQL on 127.0.0.1:5432 (database assidu_load, recreated)
#
# 1. `assidu demo generate` makes STUDENTS (10,000) contracts with a year of sessions and
#    marks; the service runs with its clock on Tuesday 10/02/2026 at 10:30, a school day whose
#    first sessions have just ended and wait for their roll call.
# 2. Ceiling: /healthz alone, CONNECTIONS (200) connections, SHORT seconds (15).
# 3. Mixed, DURATION (60) seconds, CONNECTIONS in all at once: students reading their semester
#    summary (70 %), teachers saving the roll call of their session (20 %, two versions in
#    turn so every save writes), students downloading their attestation (10 %).
# 4. The summary alone, CONNECTIONS connections, SHORT seconds: its throughput against the
#    ceiling (goal: 30 % or more).
# Resident memory is read idle, every second of the mixed run (the peak), and after.
# Installs wrk and jq (Debian) if missing. PORT (18080) to move it.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=${1:-sqlite}
STUDENTS=${STUDENTS:-10000}
CONNECTIONS=${CONNECTIONS:-200}
DURATION=${DURATION:-60}
SHORT=${SHORT:-15}
PORT=${PORT:-18080}
TEACHERS=${TEACHERS:-40}
READERS=${READERS:-200}
DAY=2026-02-10
export ASSIDU_PRETEND_NOW=2026-02-10T09:30:00Z
if ! command -v wrk >/dev/null || ! command -v jq >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq wrk jq curl >/dev/null
fi
cargo build --release --quiet
work=$(mktemp -d)
export ASSIDU_MAIL_DIR=$work/mail RUST_LOG=${RUST_LOG:-warn}
if [ "$ENGINE" = postgres ]; then
    pg_admin=${PG_ADMIN_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
    psql "$pg_admin" -qc 'DROP DATABASE IF EXISTS assidu_load WITH (FORCE)' -qc 'CREATE DATABASE assidu_load'
    export DATABASE_URL=${pg_admin%/*}/assidu_load
else
    export DATABASE_URL=sqlite:$work/load.db
fi
bin=./target/release/assidu
echo "== $ENGINE: generating $STUDENTS students"
RUST_LOG=error $bin demo generate --students "$STUDENTS" --year 2025-2026 --as-of "$DAY"
$bin serve --bind "127.0.0.1:$PORT" >"$work/serve.log" 2>&1 &
server=$!
cleanup() {
    kill $server 2>/dev/null || true
    wait $server 2>/dev/null || true
    rm -rf "$work"
    if [ "$ENGINE" = postgres ]; then
        psql "$pg_admin" -qc 'DROP DATABASE IF EXISTS assidu_load WITH (FORCE)' || true
    fi
}
trap cleanup EXIT
base=http://127.0.0.1:$PORT
for _ in $(seq 1 120); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.5; done
rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$server/status"; }

login() {
    curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"demo-password\"}" | jq -r .token
}
get() { curl -sf -H "Authorization: Bearer $1" "$base$2"; }
admin=$(login admin@demo.test)
echo "== preparing $TEACHERS teachers and $READERS students"
: >"$work/rollcall.tsv"
for g in $(seq 0 $((TEACHERS - 1))); do
    # Each group's morning teacher (enseignant 2g) holds its 08:30 session.
    token=$(login "enseignant$((g * 2)).20252026@generated.test")
    teacher=$(get "$token" /api/v1/me | jq .linked.id)
    session=$(get "$token" "/api/v1/sessions?teacher_id=$teacher&from=$DAY&to=$DAY&limit=1" | jq '.items[0].id')
    students=$(get "$token" "/api/v1/sessions/$session/attendance" | jq -c '[.roster[].student_id]')
    present=$(jq -c '{marks: map({student_id: ., status: "present"})}' <<<"$students")
    late=$(jq -c '{marks: (map({student_id: ., status: "present"}) | .[0] = {student_id: .[0].student_id, status: "late", minutes_missed: 10})}' <<<"$students")
    printf '%s\t%s\t%s\t%s\n' "$token" "/api/v1/sessions/$session/attendance" "$present" "$late" >>"$work/rollcall.tsv"
done
: >"$work/summary.tsv"
: >"$work/certificate.tsv"
for i in $(seq 0 $((READERS - 1))); do
    s=$((i * STUDENTS / READERS))
    token=$(login "eleve$s.20252026@generated.test")
    id=$(get "$token" /api/v1/me | jq .linked.id)
    printf '%s\t%s\n' "$token" "/api/v1/students/$id/summary" >>"$work/summary.tsv"
    # S9 has ended; some of its roll calls are missing, as in real life: issued with a reason.
    url=$(curl -sf -X POST "$base/api/v1/students/$id/certificates" -H "Authorization: Bearer $admin" \
        -H 'content-type: application/json' \
        -d '{"semester":"S9","kind":"attestation","force":true,"reason":"essai de charge"}' | jq -r .pdf_url)
    printf '%s\t%s\n' "$token" "/api/v1/certificates/${url##*/}" >>"$work/certificate.tsv"
done
sleep 3
echo "resident memory idle: $(rss) MiB"

report() { # title, wrk output file
    local rps p50 p99 errors
    rps=$(awk '/Requests\/sec/ {print $2}' "$2")
    p50=$(awk '$1 == "50%" {print $2}' "$2")
    p99=$(awk '$1 == "99%" {print $2}' "$2")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' "$2" | tr '\n' ' ')
    printf '%-34s %9s req/s   p50 %8s   p99 %8s   %s\n' "$1" "$rps" "$p50" "$p99" "${errors:-no error}"
}
lua=scripts/load/mixed.lua
wrk -t2 -c"$CONNECTIONS" -d"${SHORT}s" --latency "$base/healthz" >"$work/ceiling.txt"
report "ceiling: /healthz" "$work/ceiling.txt"
summary_c=$((CONNECTIONS * 70 / 100))
rollcall_c=$((CONNECTIONS * 20 / 100))
certificate_c=$((CONNECTIONS - summary_c - rollcall_c))
peak=0
(while kill -0 $server 2>/dev/null; do rss; sleep 1; done) >"$work/rss.txt" &
sampler=$!
wrk -t1 -c"$summary_c" -d"${DURATION}s" --latency -s $lua "$base" -- "$work/summary.tsv" >"$work/m-summary.txt" &
w1=$!
wrk -t1 -c"$rollcall_c" -d"${DURATION}s" --latency -s $lua "$base" -- "$work/rollcall.tsv" PUT >"$work/m-rollcall.txt" &
w2=$!
wrk -t1 -c"$certificate_c" -d"${DURATION}s" --latency -s $lua "$base" -- "$work/certificate.tsv" >"$work/m-certificate.txt" &
w3=$!
wait $w1 $w2 $w3
kill $sampler 2>/dev/null || true
peak=$(sort -n "$work/rss.txt" | tail -n 1)
echo "mixed, $CONNECTIONS connections for ${DURATION}s:"
report "  summary ($summary_c connections)" "$work/m-summary.txt"
report "  roll call ($rollcall_c connections)" "$work/m-rollcall.txt"
report "  attestation PDF ($certificate_c conn.)" "$work/m-certificate.txt"
echo "resident memory during the mixed run: peak $peak MiB"
wrk -t2 -c"$CONNECTIONS" -d"${SHORT}s" --latency -s $lua "$base" -- "$work/summary.tsv" >"$work/summary.txt"
report "summary alone" "$work/summary.txt"
ceiling=$(awk '/Requests\/sec/ {print $2}' "$work/ceiling.txt")
alone=$(awk '/Requests\/sec/ {print $2}' "$work/summary.txt")
echo "summary / ceiling: $(awk -v a="$alone" -v c="$ceiling" 'BEGIN {printf "%.0f %%", 100 * a / c}') (goal: 30 % or more)"
echo "resident memory after: $(rss) MiB"
if grep -q "ERROR" "$work/serve.log"; then
    echo "errors in the service's log:"
    grep "ERROR" "$work/serve.log" | head -n 5
fi
