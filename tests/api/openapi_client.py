"""A teacher's morning through a client generated from assidu's OpenAPI document.

tests/api/openapi.rs generates the client with openapi-python-client into a temporary
folder (never committed) and runs this script against the spawned service:

    python3 openapi_client.py CLIENT_DIR BASE_URL EMAIL PASSWORD DAY

It logs in, lists the teacher's sessions of DAY, reads the first one's roster, records
everyone present and prints what the service answered, as JSON, for the test to check.
Any refusal or an answer the generated models cannot read ends it with a non-zero status.
"""

import datetime
import json
import sys

client_dir, base_url, email, password, day = sys.argv[1:6]
sys.path.insert(0, client_dir)

from client import AuthenticatedClient, Client  # noqa: E402
from client.api.attendance import get_attendance, put_attendance  # noqa: E402
from client.api.auth import login  # noqa: E402
from client.api.sessions import list_sessions  # noqa: E402
from client.models import LoginInput, LoginOutcome, MarkInput, RollCall  # noqa: E402
from client.models import ListSessionsResponse200, RollCallSaved, SessionSheet  # noqa: E402
from client.models.status import Status  # noqa: E402


def expect(answer, kind, what):
    if not isinstance(answer, kind):
        sys.exit(f"{what}: expected {kind.__name__}, got {answer!r}")
    return answer


anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
outcome = expect(
    login.sync(client=anonymous, body=LoginInput(email=email, password=password)),
    LoginOutcome,
    "login",
)
api = AuthenticatedClient(
    base_url=base_url, token=outcome.token, raise_on_unexpected_status=True
)

the_day = datetime.date.fromisoformat(day)
page = expect(
    list_sessions.sync(client=api, from_=the_day, to=the_day, limit=50),
    ListSessionsResponse200,
    "list sessions",
)
if not page.items:
    sys.exit(f"no session on {day}")
session = sorted(page.items, key=lambda s: s.starts_at)[0]

sheet = expect(get_attendance.sync(session.id, client=api), SessionSheet, "roster")
students = [line.student_id for line in sheet.roster if line.enrolled]
if not students:
    sys.exit(f"nobody to call in session {session.id}")

saved = expect(
    put_attendance.sync(
        session.id,
        client=api,
        body=RollCall(
            marks=[MarkInput(status=Status.PRESENT, student_id=s) for s in students]
        ),
    ),
    RollCallSaved,
    "roll call",
)
print(
    json.dumps(
        {
            "user": outcome.user.email,
            "sessions": len(page.items),
            "session_id": session.id,
            "students": students,
            "changed": saved.changed,
        }
    )
)
