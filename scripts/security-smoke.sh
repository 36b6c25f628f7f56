#!/usr/bin/env bash
# The security smoke run: starts the service on a fresh demo database and sweeps every
# id-bearing route of its OpenAPI document with every demo account (security_smoke.py).
# Usage: scripts/security-smoke.sh [BINARY]   (default: target/debug/assidu, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/assidu}
[ -x "$bin" ] || cargo build --locked --bin assidu
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The service's clock stands on a fixed school day of the demo, so that the sweep's rules
# (a teacher's edit window, begun contracts) read the same day as the service.
export SMOKE_TODAY=2026-11-12
# Absence notices leave at once, so that the sweep has notices to acknowledge (issue 19).
export ASSIDU_ABSENCE_NOTICE_DELAY=0s
(cd "$dir" && exec "$OLDPWD/$bin" serve --demo --bind "127.0.0.1:$port" \
    --pretend-now "${SMOKE_TODAY}T10:00:00+01:00" \
    --database-url "sqlite:$dir/smoke.db" --mail-dir "$dir/mail" >"$dir/server.log" 2>&1) &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 $server 2>/dev/null || { cat "$dir/server.log"; exit 1; }
    sleep 0.5
done
python3 scripts/security_smoke.py "http://127.0.0.1:$port"
