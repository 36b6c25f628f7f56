#!/usr/bin/env python3
"""The IDOR sweep: every id-bearing route of the OpenAPI document, asked by every demo
account about every kind of record, compared with who should see what.

The expectations are written here again, independently of the service's code, from the
rules of the convention: the office sees everything; a teacher their own sessions; a
student their own records; a tutor a student's records on the days of a contract on which
they are the tutor (Article 5). A route of the document missing from the table fails the
run, so a new route cannot go unswept.

Usage: security_smoke.py BASE_URL  (a service started with `serve --demo`)
Standard library only.
"""

import concurrent.futures
import datetime
import os
import json
import sys
import time
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8080"
API = BASE + "/api/v1"
PASSWORD = "demo-password"
ACCOUNTS = (
    ["admin@demo.test", "teacher@demo.test", "teacher2@demo.test", "teacher3@demo.test"]
    + [f"student{n}@demo.test" if n > 1 else "student@demo.test" for n in range(1, 9)]
    + ["tutor@demo.test", "tutor2@demo.test"]
    + ["rh@demo.test"]  # a company's HR contact (issue 19)
)
PER_ROUTE = 48  # records sampled per route (always including the boundaries)


def service_today():
    """The service's day: the one security-smoke.sh started its clock on, or today."""
    given = os.environ.get("SMOKE_TODAY")
    return datetime.date.fromisoformat(given) if given else datetime.date.today()


def call(method, path, token=None, body=None, raw=False):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(API + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            payload = res.read()
            status = res.status
    except urllib.error.HTTPError as e:
        payload = e.read()
        status = e.code
    if raw:
        return status, payload
    try:
        return status, json.loads(payload) if payload else None
    except ValueError:
        return status, None


def day(s):
    return datetime.date.fromisoformat(s[:10])


class Account:
    def __init__(self, email):
        self.email = email
        status, body = call("POST", "/auth/login", body={"email": email, "password": PASSWORD})
        if status != 200:
            sys.exit(f"login {email}: {status} {body}")
        self.token = body["token"]
        self.role = body["user"]["role"]
        self.teacher = body["user"].get("teacher_id")
        self.student = body["user"].get("student_id")
        self.tutor = body["user"].get("tutor_id")
        self.company = body["user"].get("company_id")


class School:
    """What the office sees: the records the sweep asks about, and the facts the rules read."""

    def __init__(self, admin):
        t = admin.token
        self.contracts = self.all(t, "/contracts")
        self.sessions = self.all(t, "/sessions")
        self.students = [s["id"] for s in self.all(t, "/students")]
        _, self.justifications = call("GET", "/justifications", t)
        _, self.feeds = call("GET", "/calendar-feeds", t)
        self.certificates = []
        for s in self.students:
            _, certs = call("GET", f"/students/{s}/certificates", t)
            self.certificates += [dict(c, student_id=s) for c in certs]
        self.simple = {}
        for kind in ["academic-years", "calendars", "companies", "groups", "modules",
                     "programmes", "teachers", "tutors"]:
            self.simple[kind] = [r["id"] for r in self.all(t, "/" + kind)]
        _, mails = call("GET", "/mails?limit=20", t)
        self.mails = [m["id"] for m in mails["items"]]
        self.rosters = {}
        for s in self.sessions:
            _, sheet = call("GET", f"/sessions/{s['id']}/attendance", t)
            self.rosters[s["id"]] = {r["student_id"] for r in sheet["roster"]}
        # The absence notices sent to tutors (issue 19), with their contract's company.
        company_of = {c["id"]: c["company_id"] for c in self.contracts}
        self.notices = []
        for s in self.students:
            _, ns = call("GET", f"/students/{s}/absence-notices", t)
            self.notices += [dict(n, company_id=company_of.get(n["contract_id"])) for n in ns]
        # The groups' timetable sources and the flags on recorded sessions (issue 20).
        self.timetable_sources = []
        for g in self.simple["groups"]:
            _, srcs = call("GET", f"/groups/{g}/timetable-sources", t)
            self.timetable_sources += [x["id"] for x in srcs]
        _, flags = call("GET", "/timetable-flags?all=true", t)
        self.timetable_flags = [f["id"] for f in flags]
        self.terminations = []
        for c in self.contracts:
            _, ts = call("GET", f"/contracts/{c['id']}/terminations", t)
            self.terminations += [x["id"] for x in ts]

    @staticmethod
    def all(token, path):
        items, offset = [], 0
        while True:
            status, page = call("GET", f"{path}?limit=500&offset={offset}", token)
            assert status == 200, (path, status, page)
            items += page["items"]
            offset += len(page["items"])
            if offset >= page["total"] or not page["items"]:
                return items

    # The rules, from the convention, not from the service's code.

    @staticmethod
    def covers(contract, d):
        last = day(contract["defence_date"] or contract["end_date"])
        if contract["termination_date"]:
            cut = day(contract["termination_date"])
            if cut < day(contract["start_date"]):
                return False  # withdrawn before the start (Article 7)
            last = min(last, cut)
        return day(contract["start_date"]) <= d <= last

    def contracts_of(self, who):
        if who.role == "student":
            return [c for c in self.contracts if c["student_id"] == who.student]
        if who.role == "tutor":
            return [c for c in self.contracts if c["tutor_id"] == who.tutor]
        if who.role == "company":
            return [c for c in self.contracts if c["company_id"] == who.company]
        return []

    def sees_session(self, who, s):
        if who.role == "admin":
            return True
        if who.role == "teacher":
            return s["teacher_id"] == who.teacher
        return any(c["group_id"] == s["group_id"] and self.covers(c, day(s["day"]))
                   for c in self.contracts_of(who))

    def on_sheet(self, who, s):
        """A sheet shows its roster (the students enrolled that day, and anyone marked
        earlier): a student their own line, a tutor the lines of their students on the days
        of their contracts."""
        if who.role in ("admin", "teacher"):
            return self.sees_session(who, s)
        roster = self.rosters[s["id"]]
        if who.role == "student":
            return who.student in roster
        return any(c["student_id"] in roster and c["group_id"] == s["group_id"]
                   and self.covers(c, day(s["day"])) for c in self.contracts_of(who))

    def teaches(self, who, s):
        return who.role == "admin" or (who.role == "teacher" and s["teacher_id"] == who.teacher)

    def sees_student(self, who, student):
        if who.role == "admin":
            return True
        return any(c["student_id"] == student for c in self.contracts_of(who))

    def sees_justification(self, who, j):
        if who.role == "admin":
            return True
        if who.role == "student":
            return j["student_id"] == who.student
        if who.role in ("tutor", "company"):
            mine = [c for c in self.contracts_of(who) if c["student_id"] == j["student_id"]]
            return all(any(self.covers(c, day(a["day"])) for c in mine) for a in j["absences"])
        return False

    def sees_certificate(self, who, cert):
        if who.role == "admin":
            return True
        if who.role == "student":
            return cert["student_id"] == who.student
        if who.role in ("tutor", "company"):
            return any(c["id"] == cert["contract_id"] for c in self.contracts_of(who))
        return False

    def owns_company(self, who, company):
        return who.role == "admin" or (who.role == "company" and who.company == company)

    def reads_livret(self, who, c):
        """The livret de suivi (issue 19): the office; a teacher with a session of the
        contract's group; its tutor, its student, a contact of its company."""
        if who.role == "teacher":
            return c["group_id"] is not None and any(
                s["group_id"] == c["group_id"] and s["teacher_id"] == who.teacher
                for s in self.sessions)
        if who.role == "company":
            return c["company_id"] == getattr(who, "company", None)
        return who.role == "admin" or c in self.contracts_of(who)

    def records_livret(self, who, c):
        return who.role not in ("student", "company") and self.reads_livret(who, c)

    def owns_feed(self, who, feed):
        if who.role == "admin":
            return True
        owner = feed["owner"]
        return (owner["kind"], owner["id"]) in {
            ("student", who.student), ("teacher", who.teacher), ("tutor", who.tutor)}


def sample(items, n=PER_ROUTE):
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    picked = [items[int(i * step)] for i in range(n)]
    return picked + [items[-1]]


def expectations(school):
    """(method, OpenAPI path) -> list of (concrete path, body, rule(account) -> bool)."""
    S, J, C = school, school.justifications, school.certificates
    sessions = sample(sorted(S.sessions, key=lambda s: (s["group_id"], s["day"], s["id"])))
    admin_only = lambda who: who.role == "admin"
    public = lambda who: True

    def each(ids, path, rule=admin_only):
        return [(path.format(i), rule) for i in ids]

    table = {}

    def add(method, template, cases, body=None):
        table[(method, template)] = [(p, body, r) for p, r in cases]

    for kind, ids in S.simple.items():
        if kind == "companies":
            # A company's contact reads their own company (issue 19).
            rule = lambda co: (lambda who: S.owns_company(who, co))
            add("GET", "/companies/{id}", [(f"/companies/{co}", rule(co)) for co in ids])
            add("GET", "/companies/{id}/overview",
                [(f"/companies/{co}/overview", rule(co)) for co in ids])
        else:
            add("GET", f"/{kind}/{{id}}", each(ids, f"/{kind}/{{}}"))
        add("PUT", f"/{kind}/{{id}}", each(ids, f"/{kind}/{{}}"), {})
    for suffix in ["days", "file"]:
        add("GET", f"/calendars/{{id}}/{suffix}", each(S.simple["calendars"], f"/calendars/{{}}/{suffix}"))
    add("PUT", "/calendars/{id}/file", [], None)  # takes a file, not JSON: asked in the tests
    contract_ids = [c["id"] for c in S.contracts]
    contract_rule = lambda c: (lambda who: who.role == "admin" or (
        who.role == "company" and c in S.contracts_of(who)))
    add("GET", "/contracts/{id}", [(f"/contracts/{c['id']}", contract_rule(c)) for c in S.contracts])
    add("PUT", "/contracts/{id}", each(contract_ids, "/contracts/{}"), {})
    for suffix in ["audit-bundle", "billing", "semesters", "terminations"]:
        add("GET", f"/contracts/{{id}}/{suffix}", each(contract_ids, f"/contracts/{{}}/{suffix}"))
    add("POST", "/contracts/{id}/termination", each(contract_ids, "/contracts/{}/termination"), {})
    for suffix in ["follow-ups", "follow-ups.pdf"]:
        add("GET", f"/contracts/{{id}}/{suffix}",
            [(f"/contracts/{c['id']}/{suffix}", (lambda c: lambda who: S.reads_livret(who, c))(c))
             for c in S.contracts])
    add("POST", "/contracts/{id}/follow-ups",
        [(f"/contracts/{c['id']}/follow-ups", (lambda c: lambda who: S.records_livret(who, c))(c))
         for c in S.contracts], {})
    add("GET", "/terminations/{id}/{file}", each(S.terminations, "/terminations/{}/opco.pdf"))
    years = S.simple["academic-years"]
    add("GET", "/years/{id}/billing", each(years, "/years/{}/billing"))
    add("GET", "/years/{id}/billing/{file}", each(years, "/years/{}/billing/statements.csv"))
    # The payroll statement (issue 19): the office, the company's contacts, its tutors.
    def payroll_rule(company):
        return lambda who: who.role == "admin" or (
            who.role == "company" and who.company == company) or (
            who.role == "tutor" and any(c["tutor_id"] == who.tutor and c["company_id"] == company
                                        for c in S.contracts))
    for ext in ["pdf", "csv"]:
        add("GET", f"/companies/{{id}}/absences.{ext}",
            [(f"/companies/{c}/absences.{ext}", payroll_rule(c)) for c in S.simple["companies"]])
    add("POST", "/jobs/{name}/run", [("/jobs/digest/run", admin_only)], {})
    add("GET", "/mails/{id}", each(S.mails, "/mails/{}"))
    add("POST", "/mails/{id}/resend", each(S.mails[:3], "/mails/{}/resend"), {})

    def session_rule(rule, s):
        return lambda who: rule(who, s)

    for template, rule, body in [
        ("/sessions/{id}", S.sees_session, None),
        ("/sessions/{id}/attendance", S.on_sheet, None),
        ("/sessions/{id}/attendance/history", S.on_sheet, None),
        ("/sessions/{id}/emargement.csv", S.teaches, None),
        ("/sessions/{id}/emargement.pdf", S.teaches, None),
        ("/sessions/{id}/signin-code", S.teaches, None),
    ]:
        add("GET", template, [(template.replace("{id}", str(s["id"])), session_rule(rule, s))
                              for s in sessions])
    add("PUT", "/sessions/{id}", [(f"/sessions/{s['id']}", admin_only) for s in sessions], {})
    add("PUT", "/sessions/{id}/attendance",
        [(f"/sessions/{s['id']}/attendance", session_rule(S.teaches, s)) for s in sessions], {})
    # A teacher signs their own sheets within their edit window (7 days); later only the
    # office may (the days at the window's edge are left out of the sample).
    today = service_today()
    recent = lambda s: day(s["day"]) >= today - datetime.timedelta(days=5)
    old = lambda s: day(s["day"]) <= today - datetime.timedelta(days=9)
    signable = [s for s in S.sessions if recent(s) or old(s)]
    signable = sample(sorted(signable, key=lambda s: s["day"]), 12)
    add("POST", "/sessions/{id}/attendance/sign",
        [(f"/sessions/{s['id']}/attendance/sign",
          session_rule(lambda who, s: who.role == "admin" or (S.teaches(who, s) and recent(s)), s))
         for s in signable], {})
    # A student signs in for a session of their own group on a day of their contract.
    add("POST", "/sessions/{id}/signin",
        [(f"/sessions/{s['id']}/signin",
          session_rule(lambda who, s: who.role == "student" and S.sees_session(who, s), s))
         for s in sessions], {})

    def student_rule(st):
        return lambda who: S.sees_student(who, st)

    company_student = lambda st: (lambda who: who.role == "admin" or (
        who.role == "company" and S.sees_student(who, st)))
    add("GET", "/students/{id}", [(f"/students/{st}", company_student(st)) for st in S.students])
    add("PUT", "/students/{id}", each(S.students, "/students/{}"), {})
    add("POST", "/students/{id}/certificates", each(S.students, "/students/{}/certificates"), {})
    for suffix in ["certificates", "emargement.csv", "emargement.pdf", "summary"]:
        add("GET", f"/students/{{id}}/{suffix}",
            [(f"/students/{st}/{suffix}", student_rule(st)) for st in S.students])

    add("GET", "/students/{id}/absence-notices",
        [(f"/students/{st}/absence-notices", student_rule(st)) for st in S.students])
    # Only the notice's tutor or a contact of its contract's company acknowledges it.
    nrule = lambda n: (lambda who: (who.role == "tutor" and who.tutor == n["tutor_id"])
                       or (who.role == "company" and who.company == n["company_id"]))
    add("POST", "/absence-notices/{id}/acknowledgement",
        [(f"/absence-notices/{n['id']}/acknowledgement", nrule(n)) for n in sample(S.notices)], {})

    jrule = lambda j: (lambda who: S.sees_justification(who, j))
    add("GET", "/justifications/{id}", [(f"/justifications/{j['id']}", jrule(j)) for j in J])
    # The file may be medical: never a company's (issue 19).
    frule_j = lambda j: (lambda who: who.role != "company" and S.sees_justification(who, j))
    add("GET", "/justifications/{id}/file",
        [(f"/justifications/{j['id']}/file", frule_j(j)) for j in J])
    add("POST", "/justifications/{id}/decision",
        [(f"/justifications/{j['id']}/decision", admin_only) for j in J], {})

    crule = lambda c: (lambda who: S.sees_certificate(who, c))
    add("GET", "/certificates/{file}", [(f"/certificates/{c['number']}.pdf", crule(c)) for c in C])
    add("GET", "/verify/{number}", [(f"/verify/{c['number']}", public) for c in C])
    # Timetable sources and their flags (issue 20): the office's only; a sync is dry-run so
    # the sweep writes nothing.
    groups = S.simple["groups"]
    add("GET", "/groups/{id}/timetable-sources", each(groups, "/groups/{}/timetable-sources"))
    add("POST", "/groups/{id}/timetable-sources", each(groups, "/groups/{}/timetable-sources"), {})
    add("GET", "/timetable-sources/{id}", each(S.timetable_sources, "/timetable-sources/{}"))
    # Takes a file: a JSON body is refused (422) for the office, or 409 for a URL source.
    add("PUT", "/timetable-sources/{id}/file",
        each(S.timetable_sources, "/timetable-sources/{}/file"), {})
    add("POST", "/timetable-sources/{id}/sync",
        each(S.timetable_sources, "/timetable-sources/{}/sync?dry_run=true"), {})
    add("POST", "/timetable-flags/{id}/resolution",
        each(S.timetable_flags, "/timetable-flags/{}/resolution"), {})
    frule = lambda f: (lambda who: S.owns_feed(who, f))
    add("DELETE", "/calendar-feeds/{id}", [(f"/calendar-feeds/{f['id']}", frule(f)) for f in S.feeds])
    return table


def page_status(path, token):
    """A page's status for a logged-in browser (its session cookie), redirects not followed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    req = urllib.request.Request(BASE + path, method="GET")
    req.add_header("Cookie", "assidu_session=" + token)
    req.add_header("Accept", "text/html")
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=30) as res:
            return res.status
    except urllib.error.HTTPError as e:
        return e.code


def page_table(school):
    """The office's pages with ids (issue 20: timetable sources and flags): (path, rule)."""
    admin_only = lambda who: who.role == "admin"
    return ([(f"/groups/{g}/timetable-sources", admin_only) for g in sample(school.simple["groups"])]
            + [(f"/timetable-sources/{s}", admin_only) for s in sample(school.timetable_sources)]
            + [("/timetable-flags", admin_only)])


def absent_for_a_notice(accounts):
    """A teacher marks a student absent in their latest begun session; the worker (no grace
    delay in security-smoke.sh) then mails the tutor a notice, which the sweep acknowledges."""
    teacher, admin = accounts["teacher@demo.test"], accounts["admin@demo.test"]
    _, page = call("GET", "/sessions?limit=500", teacher.token)
    today = service_today()
    begun = sorted((s for s in page["items"] if day(s["day"]) <= today and
                    (day(s["day"]) < today or s["starts_at"] <= "10:00")),
                   key=lambda s: (s["day"], s["starts_at"]), reverse=True)
    for s in begun:
        _, sheet = call("GET", f"/sessions/{s['id']}/attendance", teacher.token)
        if not sheet["roster"]:
            continue
        student = sheet["roster"][0]["student_id"]
        status, body = call("PUT", f"/sessions/{s['id']}/attendance", teacher.token,
                            {"marks": [{"student_id": student, "status": "absent"}]})
        if status != 200:
            continue
        deadline = time.time() + 30
        while time.time() < deadline:
            _, notices = call("GET", f"/students/{student}/absence-notices", admin.token)
            if notices:
                return
            time.sleep(0.2)
        sys.exit(f"no absence notice for student {student} after session {s['id']}")
    sys.exit("no begun session of teacher@demo.test to mark an absence in")


def timetable_flag(admin, group, today):
    """A file source whose one event (18:00, after the group's day) becomes a session; its
    roll call is taken, then the export moves it: a flag for the office (issue 20)."""
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    _, past = call("GET", f"/sessions?group_id={group}&to={yesterday}&limit=500", admin.token)
    s = past["items"][-1]
    ymd = s["day"].replace("-", "")

    def export(start, end):
        return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//smoke//FR\r\nBEGIN:VEVENT\r\n"
                f"UID:smoke-1\r\nDTSTAMP:20250901T000000Z\r\nDTSTART:{ymd}T{start}\r\n"
                f"DTEND:{ymd}T{end}\r\nSUMMARY:smoke\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")

    mapping = {"module": {"codes": {"smoke": s["module_id"]}},
               "teacher": {"field": "summary", "names": {"smoke": s["teacher_id"]}}}
    boundary = "----smoke"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"mapping\"\r\n\r\n"
            f"{json.dumps(mapping)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f"name=\"file\"; filename=\"smoke.ics\"\r\nContent-Type: text/calendar\r\n\r\n"
            f"{export('180000', '190000')}\r\n--{boundary}--\r\n").encode()
    req = urllib.request.Request(f"{API}/groups/{group}/timetable-sources", data=body, method="POST")
    req.add_header("Authorization", "Bearer " + admin.token)
    req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    with urllib.request.urlopen(req, timeout=30) as res:
        source = json.loads(res.read())["id"]
    status, report = call("POST", f"/timetable-sources/{source}/sync", admin.token, {})
    assert status == 200 and report["counts"]["new"] == 1, (status, report)
    session = report["events"][0]["session_id"]
    _, sheet = call("GET", f"/sessions/{session}/attendance", admin.token)
    marks = [{"student_id": r["student_id"], "status": "present"} for r in sheet["roster"]]
    status, body = call("PUT", f"/sessions/{session}/attendance", admin.token,
                        {"marks": marks, "reason": "smoke"})
    assert status == 200, (status, body)
    req = urllib.request.Request(f"{API}/timetable-sources/{source}/file", method="PUT",
                                 data=export("190000", "200000").encode())
    req.add_header("Authorization", "Bearer " + admin.token)
    req.add_header("Content-Type", "text/calendar")
    with urllib.request.urlopen(req, timeout=30) as res:
        assert res.status == 200
    status, report = call("POST", f"/timetable-sources/{source}/sync", admin.token, {})
    assert status == 200 and report["flagged"] == 1, (status, report)


def prepare(accounts):
    """Records the demo lacks: a justification per student with an absence, calendar links
    for a student, a teacher and a tutor, and the certificates of ended semesters."""
    admin = accounts["admin@demo.test"]
    # A termination (the last contract that has begun, a month after its start or today).
    _, contracts = call("GET", "/contracts?limit=500", admin.token)
    today = service_today()
    begun = [c for c in contracts["items"] if day(c["start_date"]) < today]
    c = begun[-1]
    cut = min(today, day(c["start_date"]) + datetime.timedelta(days=30))
    status, body = call("POST", f"/contracts/{c['id']}/termination", admin.token,
                        {"date": cut.isoformat(), "reason": "rupture d’un commun accord"})
    assert status == 201, (status, body)
    for year in ["2025-2026"]:
        for semester in ["S9", "S10"]:
            call("POST", "/certificates/issue", admin.token, {"semester": semester, "year": year})
    for email in ["student@demo.test", "teacher@demo.test", "tutor@demo.test", "tutor2@demo.test"]:
        status, body = call("POST", "/calendar-feeds", accounts[email].token, {"label": "smoke"})
        assert status == 201, (email, status, body)
    absent_for_a_notice(accounts)
    # A timetable source (issue 20) on the first group, for the sweeps of its routes and pages.
    _, groups = call("GET", "/groups?limit=1", admin.token)
    status, body = call("POST", f"/groups/{groups['items'][0]['id']}/timetable-sources",
                        admin.token, {"label": "smoke", "mapping": {},
                                      "url": "https://edt.example.invalid/smoke.ics"})
    assert status == 201, (status, body)
    timetable_flag(admin, groups["items"][0]["id"], today)
    for email in ["student@demo.test", "student2@demo.test"]:
        who = accounts[email]
        _, page = call("GET", "/sessions?limit=500", who.token)
        for s in page["items"]:
            _, sheet = call("GET", f"/sessions/{s['id']}/attendance", who.token)
            mine = [r for r in sheet["roster"] if r["student_id"] == who.student]
            if mine and mine[0]["mark"] and mine[0]["mark"]["status"] == "absent":
                boundary = "----smoke"
                body = (
                    f"--{boundary}\r\nContent-Disposition: form-data; name=\"session_ids\"\r\n\r\n{s['id']}\r\n"
                    f"--{boundary}\r\nContent-Disposition: form-data; name=\"reason\"\r\n\r\nsmoke\r\n"
                    f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
                    "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n%%EOF\n\r\n"
                    f"--{boundary}--\r\n"
                ).encode()
                req = urllib.request.Request(API + "/justifications", data=body, method="POST")
                req.add_header("Authorization", "Bearer " + who.token)
                req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
                with urllib.request.urlopen(req, timeout=30) as res:
                    assert res.status == 201
                break


def main():
    accounts = {email: Account(email) for email in ACCOUNTS}
    prepare(accounts)
    school = School(accounts["admin@demo.test"])
    table = expectations(school)
    _, doc = call("GET", "/openapi.json")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() if "{" in p for m in ops}
    empty = sorted(k for k, cases in table.items() if not cases and k != ("PUT", "/calendars/{id}/file"))
    if empty:
        sys.exit(f"routes with nothing to sweep (the preparation lacks records): {empty}")
    missing = sorted(documented - set(table))
    if missing:
        sys.exit(f"routes of the OpenAPI document not in the sweep's table: {missing}")
    stale = sorted(set(table) - documented)
    if stale:
        sys.exit(f"routes in the sweep's table the document no longer has: {stale}")

    jobs = []
    for (method, template), cases in table.items():
        for path, body, rule in cases:
            for who in accounts.values():
                jobs.append((method, template, path, body, who, rule(who)))

    def run(job):
        method, template, path, body, who, allowed = job
        status, _ = call(method, path, who.token, body, raw=True)
        if allowed:
            # Reads answer 200, or 409 when the caller passed the access check but the
            # record's state refuses (a signed sheet offers no sign-in code); a write with
            # an empty body reaches its validation.
            ok = (200 <= status < 300 or status == 409) if method == "GET" \
                else status not in (401, 403, 404)
        else:
            ok = status in (403, 404)
        return None if ok else f"{who.email} {method} {path} ({template}): {status}, " \
                                f"expected {'allowed' if allowed else '403/404'}"

    def run_page(job):
        path, who, allowed = job
        status = page_status(path, who.token)
        ok = status == 200 if allowed else status in (403, 404)
        return None if ok else f"{who.email} GET page {path}: {status}, " \
                                f"expected {'200' if allowed else '403/404'}"

    pages = [(path, who, rule(who)) for path, rule in page_table(school)
             for who in accounts.values()]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        failures = [f for f in pool.map(run, jobs) if f]
        failures += [f for f in pool.map(run_page, pages) if f]
    allowed = sum(1 for j in jobs if j[5])
    print(f"  pages swept: {len(pages)} requests")
    print(f"security smoke: {len(jobs)} requests over {len(table)} routes and "
          f"{len(accounts)} accounts ({allowed} allowed, {len(jobs) - allowed} refused expected)")
    for k in ("justifications", "certificates", "feeds", "terminations", "mails"):
        print(f"  {k} swept: {len(getattr(school, k))}")
    if failures:
        print(f"{len(failures)} answers differ from the rules:")
        for f in failures[:60]:
            print("  " + f)
        sys.exit(1)
    print("every answer matches the rules")


if __name__ == "__main__":
    main()
