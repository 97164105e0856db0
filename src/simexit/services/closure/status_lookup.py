"""Use case: a customer looks up an application's status without signing in, with the application
number and the last 4 digits of the line's number. Compared in constant time and rate-limited per
client address and per application number; a wrong pair and an unknown number get the same answer."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from simexit.domain.application_number import normalize_application_number
from simexit.domain.errors import NotFound
from simexit.services.access import throttle
from simexit.services.closure.applications import _view
from simexit.services.context import Simexit
from simexit.store import applications_repo as repo

LOOKUPS_PER_ADDRESS = (30, timedelta(minutes=15))
LOOKUPS_PER_APPLICATION = (10, timedelta(minutes=15))
_NOT_FOUND = ("STATUS_NOT_FOUND", "no application matches that number and code")


def _h(app: Simexit, kind: str, value: str) -> str:
    return hmac.new(app.secret_key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def lookup_status(app: Simexit, application_no: str, last4: str, client_address: str) -> dict[str, Any]:
    """The application's view (as ``applications.show``) if ``last4`` are the last 4 digits of its line."""
    number = normalize_application_number((application_no or "").strip())
    code = "".join(ch for ch in (last4 or "") if ch.isdigit())
    with app.db.write() as conn:
        now = app.clock.now()
        throttle.hit(conn, f"status-ip:{_h(app, 'ip', client_address)}", now=now, limit=LOOKUPS_PER_ADDRESS[0],
                     window=LOOKUPS_PER_ADDRESS[1], code="RATE_LIMITED",
                     message="too many status look-ups from this address; try again later")
        if number is not None:
            throttle.hit(conn, f"status-app:{_h(app, 'app', number)}", now=now, limit=LOOKUPS_PER_APPLICATION[0],
                         window=LOOKUPS_PER_APPLICATION[1], code="RATE_LIMITED",
                         message="too many look-ups for this application; try again later")
        view = None
        if number is not None:
            try:
                row = repo.get_by_number(conn, number)
            except NotFound:
                row = None
            expected = row["msisdn"][-4:] if row is not None else "----"
            # Always compare, so that an unknown number and a wrong code take the same time.
            if hmac.compare_digest(_h(app, "last4", code), _h(app, "last4", expected)) and row is not None:
                view = _view(conn, row)
    if view is None:
        raise NotFound(*_NOT_FOUND)
    return view
