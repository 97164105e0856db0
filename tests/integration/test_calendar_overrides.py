"""Operations staff's calendar overrides (e.g. a newly published 调休 schedule) move review deadlines."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from simexit.services import context
from simexit.services.closure.precheck import precheck
from simexit.store.tables import calendar_overrides
from tests.simulated_world import clean_line


def test_an_override_moves_the_review_deadline_within_the_refresh_time(app, monkeypatch):
    line = clean_line(app, "baohao")
    policy = app.policy("baohao")
    first = precheck(app, line["msisdn"]).quote.review_due_at
    due_day = first.astimezone(ZoneInfo(policy.brand.time_zone)).date()
    with app.db.write() as conn:  # the deadline's day is declared a holiday
        conn.execute(insert(calendar_overrides).values(jurisdiction=policy.brand.jurisdiction, day=due_day,
                                                       is_business_day=False))
    assert precheck(app, line["msisdn"]).quote.review_due_at == first  # read again only after the refresh time
    later = context.monotonic() + context.CALENDAR_REFRESH_SECONDS + 1
    monkeypatch.setattr(context, "monotonic", lambda: later)
    moved = precheck(app, line["msisdn"]).quote.review_due_at
    assert moved > first and moved - first >= timedelta(days=1)
