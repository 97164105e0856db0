"""Figures operations watch, read at each scrape of /metrics: work that waits for a person."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from simexit.store.tables import applications, brands, outbox

_ATTENTION = (select(brands.c.code, func.count(applications.c.id))
              .select_from(brands.outerjoin(applications, (applications.c.brand_id == brands.c.id)
                                            & (applications.c.status == "needs_attention")))
              .group_by(brands.c.code))
_DEAD = select(outbox.c.kind, func.count()).where(outbox.c.state == "dead").group_by(outbox.c.kind)


def needs_attention_by_brand(conn: Connection) -> dict[str, int]:
    """Applications in ``needs_attention`` per brand code (0 for a brand with none)."""
    return {code: n for code, n in conn.execute(_ATTENTION).all()}


def dead_messages_by_kind(conn: Connection) -> dict[str, int]:
    """Outbox messages that will not be tried again (``dead``), per kind (sms, email, webhook)."""
    return {kind: n for kind, n in conn.execute(_DEAD).all()}
