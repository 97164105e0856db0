"""Numbers after their closure: permanent-disconnect records (from ``lines``) and the relying parties told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select, update

from simexit.store.tables import brands, lines
from simexit.store.tables_messaging import relying_parties


def closed_lines_between(conn: Connection, lo: datetime, hi: datetime) -> list[Any]:
    """(msisdn, closed_at, brand code) of every line closed in [lo, hi)."""
    return list(conn.execute(select(lines.c.msisdn, lines.c.closed_at, brands.c.code)
                             .join(brands, brands.c.id == lines.c.brand_id)
                             .where(lines.c.status == "closed", lines.c.closed_at >= lo, lines.c.closed_at < hi)))


def line_of_number(conn: Connection, msisdn: str) -> Any | None:
    """(status, closed_at, activated_at, brand code) of the line holding the number, or None."""
    return conn.execute(select(lines.c.status, lines.c.closed_at, lines.c.activated_at, brands.c.code)
                        .join(brands, brands.c.id == lines.c.brand_id).where(lines.c.msisdn == msisdn)).first()


def relying_party(conn: Connection, name: str) -> RowMapping | None:
    return conn.execute(select(relying_parties).where(relying_parties.c.name == name)).mappings().first()


def add_relying_party(conn: Connection, name: str, values: dict[str, Any]) -> None:
    conn.execute(relying_parties.insert().values(name=name, **values))


def update_relying_party(conn: Connection, name: str, values: dict[str, Any]) -> None:
    conn.execute(update(relying_parties).where(relying_parties.c.name == name).values(**values))


def deactivate_relying_party(conn: Connection, name: str, now: datetime) -> int:
    return conn.execute(update(relying_parties)
                        .where(relying_parties.c.name == name, relying_parties.c.active.is_(True))
                        .values(active=False, removed_at=now)).rowcount


def relying_parties_list(conn: Connection, *, include_removed: bool = False, prefix: str | None = None
                         ) -> list[RowMapping]:
    q = select(relying_parties).order_by(relying_parties.c.name)
    if not include_removed:
        q = q.where(relying_parties.c.active.is_(True))
    if prefix is not None:
        q = q.where(relying_parties.c.name.startswith(prefix, autoescape=True))
    return list(conn.execute(q).mappings())
