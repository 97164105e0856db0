"""The CAMARA Number Recycling check: has the subscriber of a phone number changed after a date?

Answered from simexit's own record of who held the number when (``disconnects.record_of``, the same record
as the RND query), never a guess:

- ``false``: the number's current holder already held it on ``specifiedDate``;
- ``true``: the holder on that date lost the number since (its permanent-disconnect date is on or after the
  date), or nobody held it on that date (a gap between holders, or the number rests in quarantine);
- ``OUT_OF_RANGE`` (400) where simexit cannot know: a date in the future, or before the first holding simexit
  has a record of (a number ported in, or activated before our records, or without an activation date);
- ``IDENTIFIER_NOT_FOUND`` (404): a number simexit has no record of, or one ported out (another operator's).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from simexit.domain.errors import InvalidInput, NotFound
from simexit.domain.identifiers import normalize_msisdn
from simexit.domain.number_afterlife import held_on
from simexit.services.access.caller import Caller, require_partner
from simexit.services.context import Simexit
from simexit.services.numbers.disconnects import record_of

SCOPE = "number_recycling"


def check(app: Simexit, caller: Caller, phone_number: str, specified: date) -> bool:
    """``phoneNumberRecycled`` for a partner with the ``number_recycling`` scope."""
    require_partner(caller, SCOPE)
    number = normalize_msisdn(phone_number)
    record = record_of(app, number)
    if not record:
        raise NotFound("IDENTIFIER_NOT_FOUND", "Phone number not found.")
    if record[-1][2] == "port_out":  # the holder took the number to another operator
        raise NotFound("IDENTIFIER_NOT_FOUND", "Phone number not found.")
    today = app.clock.now().astimezone(ZoneInfo("Pacific/Kiritimati")).date()  # the latest "today" (UTC+14)
    if specified > today:
        raise InvalidInput("OUT_OF_RANGE", "specifiedDate is in the future.")
    first = record[0][0]
    if first is None or specified < first:
        raise InvalidInput("OUT_OF_RANGE", "specifiedDate is before the period this provider has records of.")
    for start, end, _how in record:
        if held_on(start, end, specified):
            return end is not None  # the holder of that day still holds it: false; lost it since: true
    return True  # nobody held it that day: whoever holds it (or will) is someone else
