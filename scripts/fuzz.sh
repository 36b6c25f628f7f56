#!/usr/bin/env bash
# libFuzzer on the parsers of uploaded files (fuzz/): the calendar file, the CSV imports and the
# timetable feeds (iCalendar).
#   scripts/fuzz.sh              each target for FUZZ_SECONDS (120), corpus seeded from demo/
# Installs a nightly toolchain and cargo-fuzz if missing (rustup, cargo install).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-120}
rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p fuzz/corpus/calendar_file fuzz/corpus/import_csv fuzz/corpus/timetable_ics
cp demo/calendars/*.csv fuzz/corpus/calendar_file/
printf 'siret;legal_name;address\n73282932000074;Atelier Cévenol;1 rue de la Paix, 30100 Alès\n' \
    >fuzz/corpus/import_csv/companies.csv
cp tests/fixtures/timetable/*.ics fuzz/corpus/timetable_ics/
for target in calendar_file import_csv timetable_ics; do
    cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 2>&1 | tail -n 5
done
