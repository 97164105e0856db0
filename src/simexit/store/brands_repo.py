"""The brands table (a mirror of the loaded policies) and the business-day calendar overrides."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from simexit.store.tables import brands, calendar_overrides

# Built once: building the statement cost more than running it.
_OVERRIDES = (select(calendar_overrides.c.day, calendar_overrides.c.is_business_day)
              .where(calendar_overrides.c.jurisdiction.in_(bindparam("jurisdictions", expanding=True))))


def calendar_overrides_for(conn: Connection, jurisdictions: Iterable[str]) -> dict[date, bool]:
    """The overridden days of these jurisdictions (e.g. ``["CN"]``, ``["DE", "DE-BY"]``): day → business day."""
    rows = conn.execute(_OVERRIDES, {"jurisdictions": list(jurisdictions)}).all()
    return {r.day: r.is_business_day for r in rows}


def sync_brands(conn: Connection, policies: Mapping[str, Any], now: datetime) -> dict[str, int]:
    """Make the brands table mirror ``policies`` (brand code → Policy); returns brand code → id."""
    existing = {r.code: r for r in conn.execute(select(brands)).all()}
    for code, p in policies.items():
        digest = hashlib.sha256(p.model_dump_json().encode()).hexdigest()
        values = dict(name=p.brand.name, jurisdiction=p.brand.jurisdiction, currency=p.brand.currency,
                      card_kind=p.brand.card_kind, policy_sha256=digest, updated_at=now)
        if code not in existing:
            conn.execute(insert(brands).values(code=code, **values))
        elif existing[code].policy_sha256 != digest:
            conn.execute(update(brands).where(brands.c.code == code).values(**values))
    return {r.code: r.id for r in conn.execute(select(brands.c.code, brands.c.id)).all()}
