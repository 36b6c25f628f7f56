#!/usr/bin/env bash
# Schema-driven fuzzing of the API (issue 7): schemathesis generates requests from
# /api/v1/openapi.json — examples, boundary values and random data for every operation —
# against a release build with the demo loaded, as the demo admin, and fails on any 5xx.
#   scripts/api-fuzz.sh                 MAX_EXAMPLES (60) per operation, PORT (18383)
# Logging out (it would end the run's own session) and the PDF upload of /verify are left out.
# Installs schemathesis with pip if missing. The service's log is kept in api-fuzz.log.
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXAMPLES=${MAX_EXAMPLES:-60}
PORT=${PORT:-18383}
command -v schemathesis >/dev/null || pip install -q schemathesis
cargo build --release --quiet
work=$(mktemp -d)
export DATABASE_URL=sqlite:$work/fuzz.db ASSIDU_MAIL_DIR=$work/mail RUST_LOG=warn
./target/release/assidu serve --demo --bind "127.0.0.1:$PORT" >api-fuzz.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
base=http://127.0.0.1:$PORT
for _ in $(seq 1 120); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.5; done
token=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"admin@demo.test","password":"demo-password"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
schemathesis run "$base/api/v1/openapi.json" --checks not_a_server_error \
    -H "Authorization: Bearer $token" --max-examples "$MAX_EXAMPLES" \
    --phases examples,coverage,fuzzing --exclude-path /auth/logout --exclude-path /verify
if grep -q "panicked" api-fuzz.log; then
    echo "the service panicked (see api-fuzz.log)"
    exit 1
fi
