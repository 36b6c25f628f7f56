#!/usr/bin/env python3
"""Writes demo/sessions/*.csv from demo.toml and the calendars, and checks the result.

Each group gets morning sessions (08:00-12:00, 4 h) and afternoon sessions (13:30-17:00,
3.5 h) on school days only: 36 + 36 in S9 (270 h) and 28 + 28 in S10 (210 h), spread
evenly over the semester, always including the half-days that demo.toml's [[marks]] name.
Run from anywhere: python3 demo/tools/generate_sessions.py
"""
import csv
import datetime as dt
import sys
import tomllib
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent
SLOTS = {"am": ("08:00", "12:00", 240), "pm": ("13:30", "17:00", 210)}
PER_SEMESTER = {"S9": 36, "S10": 28}  # of each slot: 36*(4+3.5) = 270 h, 28*7.5 = 210 h
PLANNED_MINUTES = {"S9": 270 * 60, "S10": 210 * 60}


def fail(message):
    sys.exit(f"generate_sessions: {message}")


def parse_point(raw):
    raw = raw.strip()
    if "W" in raw:
        year, week = raw.split("-W")
        return "week", dt.date.fromisocalendar(int(year), int(week), 1)
    return "date", dt.date.fromisoformat(raw)


def read_calendar(path, first, last):
    """Day -> kind, with the same rules as the service (weeks = Mon-Fri, weekends default)."""
    days = {}
    lines = [l for l in path.read_text(encoding="utf-8").splitlines()]
    rows = [(n + 1, r) for n, r in enumerate(csv.reader(lines)) if r and not r[0].startswith("#")]
    for number, row in rows[1:]:
        kind, start, end = row[0], row[1], row[2] if len(row) > 2 and row[2] else row[1]
        (a_type, a), (b_type, b) = parse_point(start), parse_point(end)
        if a_type != b_type:
            fail(f"{path.name}:{number}: mixed week and date")
        span = (b + dt.timedelta(days=4) if a_type == "week" else b) - a
        for i in range(span.days + 1):
            day = a + dt.timedelta(days=i)
            if a_type == "week" and day.weekday() >= 5:
                continue
            if day in days:
                fail(f"{path.name}:{number}: {day} already set")
            if not first <= day <= last:
                fail(f"{path.name}:{number}: {day} outside the year")
            days[day] = kind
    day = first
    while day <= last:
        if day not in days:
            if day.weekday() < 5:
                fail(f"{path.name}: weekday {day} has no kind")
            days[day] = "holiday"
        day += dt.timedelta(days=1)
    return days


def semester_of(day, year_start):
    return "S9" if day <= dt.date(year_start.year, 12, 31) else "S10"


def spread(candidates, count, pinned):
    """`count` of `candidates` (sorted), evenly spaced, with every pinned one included."""
    chosen = [c for c in candidates if c in pinned]
    free = [c for c in candidates if c not in pinned]
    need = count - len(chosen)
    if need < 0 or need > len(free):
        fail(f"cannot place {count} sessions on {len(candidates)} half-days")
    chosen += [free[(i * len(free)) // need] for i in range(need)] if need else []
    return sorted(chosen)


def main():
    demo = tomllib.loads((DEMO / "demo.toml").read_text(encoding="utf-8"))
    modules = {}
    for m in demo["modules"]:
        modules.setdefault(m["programme"], []).append(m)
    students = {s["key"]: s for s in demo["students"]}
    contracts = {c["student"]: c for c in demo["contracts"]}
    teacher_busy = {}
    for year in demo["years"]:
        first, last = dt.date.fromisoformat(year["starts_on"]), dt.date.fromisoformat(year["ends_on"])
        days = read_calendar(DEMO / year["calendar_file"], first, last)
        school_days = sorted(d for d, k in days.items() if k == "school")
        rows = []
        for group in (g for g in demo["groups"] if g["year"] == year["name"]):
            pinned = set()
            for mark in demo.get("marks", []):
                contract = contracts[mark["student"]]
                if contract["group"] != group["key"]:
                    continue
                day = dt.date.fromisoformat(mark["date"])
                slot = "am" if mark["start"] == SLOTS["am"][0] else "pm"
                if days.get(day) != "school":
                    fail(f"mark of {mark['student']} on {day} is not on a school day")
                if not contract["start_date"] <= mark["date"] <= contract.get("termination_date", contract["end_date"]):
                    fail(f"mark of {mark['student']} on {day} is outside the contract")
                pinned.add((day, slot))
            group_modules = modules[group["programme"]]
            sessions = []
            for semester, count in PER_SEMESTER.items():
                in_semester = [d for d in school_days if semester_of(d, first) == semester]
                for slot in SLOTS:
                    candidates = [(d, slot) for d in in_semester]
                    sessions += spread(candidates, count, pinned)
                total = sum(SLOTS[s][2] for d, s in sessions if semester_of(d, first) == semester)
                if total != PLANNED_MINUTES[semester]:
                    fail(f"{group['key']} {semester}: {total / 60} h instead of {PLANNED_MINUTES[semester] / 60} h")
            sessions.sort()
            for index, (day, slot) in enumerate(sessions):
                module = group_modules[index % len(group_modules)]
                start, end, _ = SLOTS[slot]
                key = (module["teacher"], day, slot)
                if key in teacher_busy:
                    fail(f"teacher {module['teacher']} twice on {day} {slot}")
                teacher_busy[key] = group["key"]
                rows.append((day.isoformat(), start, end, group["key"], module["key"], module["teacher"]))
        rows.sort()
        out = DEMO / year["sessions_file"]
        with out.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["date", "start", "end", "group", "module", "teacher"])
            writer.writerows(rows)
        print(f"{out.relative_to(DEMO)}: {len(rows)} sessions")
    for student in contracts:
        if student not in students:
            fail(f"contract of unknown student {student}")


if __name__ == "__main__":
    main()
