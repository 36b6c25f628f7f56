#!/usr/bin/env bash
# HTTP load run against a release build on loopback, with the demo year loaded.
#   scripts/load.sh                     SQLite (a temporary file)
#   DATABASE_URL=postgres://… scripts/load.sh   PostgreSQL (the database must be empty)
# Installs wrk (Debian) if missing. Bounded: DURATION seconds per endpoint (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-50}
PORT=${PORT:-18080}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
work=$(mktemp -d)
export DATABASE_URL=${DATABASE_URL:-sqlite:$work/load.db}
./target/release/assidu serve --demo --bind "127.0.0.1:$PORT" >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done
token=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"admin@demo.test","password":"demo-password"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
run() {
    echo "== $1"
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$1" |
        grep -E 'Requests/sec|50%|99%|Non-2xx|Socket errors'
}
echo "engine: ${DATABASE_URL%%:*}, $CONNECTIONS connections, ${DURATION}s each"
run /healthz
run /api/v1/contracts/1/semesters
run "/api/v1/sessions?group_id=1&limit=50"
echo "resident memory after the run: $(ps -o rss= -p $server) KiB"
