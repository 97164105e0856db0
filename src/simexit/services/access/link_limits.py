"""The rate limit of the routes a link's token opens (a data export's download, a certificate of cancellation):
at most 30 requests per 15 minutes from one address to each, counted in the database (shared by every process)
before the token is even looked at, so that guessing tokens or ids costs the same time whatever the answers."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from simexit.services.access import throttle
from simexit.services.access.caller import Public
from simexit.services.context import Simexit

LINK_REQUESTS_PER_ADDRESS = (30, timedelta(minutes=15))


def count_link_request(app: Simexit, caller: Public, route: str) -> None:
    """Count one request of ``caller`` to the token route ``route`` (``export``, ``receipt``); refused with
    429 RATE_LIMITED (and ``retry_after``) past the limit. One short transaction of its own."""
    address = hmac.new(app.secret_key.encode(), f"ip:{caller.client_address}".encode(), hashlib.sha256).hexdigest()
    limit, window = LINK_REQUESTS_PER_ADDRESS
    with app.db.write() as conn:
        throttle.hit(conn, f"link-{route}:{address}", now=app.clock.now(), limit=limit, window=window,
                     code="RATE_LIMITED", message="too many requests for links from this address; try again later")
