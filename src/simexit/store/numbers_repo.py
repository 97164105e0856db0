"""Numbers after their closure: permanent-disconnect records (from ``lines``) and the relying parties told."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, select, update

from simexit.store.locking import insert_ignoring_id
from simexit.store.tables import brands, lines, numbers
from simexit.store.tables_messaging import relying_parties
from simexit.store.tables_numbers import number_holdings, rnd_reports


def closed_lines_between(conn: Connection, lo: datetime, hi: datetime) -> list[Any]:
    """(msisdn, closed_at, brand code) of every line closed in [lo, hi)."""
    return list(conn.execute(select(lines.c.msisdn, lines.c.closed_at, brands.c.code)
                             .join(brands, brands.c.id == lines.c.brand_id)
                             .where(lines.c.status == "closed", lines.c.closed_at >= lo, lines.c.closed_at < hi)))


def line_of_number(conn: Connection, msisdn: str) -> Any | None:
    """(status, closed_at, activated_at, brand code) of the line holding the number, or None."""
    return conn.execute(select(lines.c.status, lines.c.closed_at, lines.c.activated_at, brands.c.code)
                        .join(brands, brands.c.id == lines.c.brand_id).where(lines.c.msisdn == msisdn)).first()


def open_line_of_number(conn: Connection, msisdn: str) -> RowMapping | None:
    return conn.execute(select(lines.c.id, lines.c.brand_id, lines.c.port_out_pending, lines.c.activated_at)
                        .where(lines.c.msisdn == msisdn, lines.c.status != "closed")).mappings().first()


def close_ported_out(conn: Connection, line_id: int, at: datetime) -> None:
    conn.execute(update(lines).where(lines.c.id == line_id)
                 .values(status="closed", closed_at=at, port_out_pending=False))


def line_id_of_number(conn: Connection, msisdn: str) -> int | None:
    return conn.execute(select(lines.c.id).where(lines.c.msisdn == msisdn)).scalar()


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


_ACTIVE_RELYING_PARTIES = select(relying_parties).where(relying_parties.c.active.is_(True)) \
    .order_by(relying_parties.c.name)  # built once: every closure's afterlife step reads it


def relying_parties_list(conn: Connection, *, include_removed: bool = False, prefix: str | None = None
                         ) -> list[RowMapping]:
    if not include_removed and prefix is None:
        return list(conn.execute(_ACTIVE_RELYING_PARTIES).mappings())
    q = select(relying_parties).order_by(relying_parties.c.name)
    if not include_removed:
        q = q.where(relying_parties.c.active.is_(True))
    if prefix is not None:
        q = q.where(relying_parties.c.name.startswith(prefix, autoescape=True))
    return list(conn.execute(q).mappings())


# -- who held a number when (number_holdings) ----------------------------------------------------------------
def number_row(conn: Connection, msisdn: str) -> RowMapping | None:
    return conn.execute(select(numbers).where(numbers.c.msisdn == msisdn)).mappings().first()


_SET_AFTERLIFE = (update(numbers).where(numbers.c.msisdn == bindparam("p_msisdn"))
                  .values(state=bindparam("state"), quarantined_until=bindparam("quarantined_until"),
                          updated_at=bindparam("updated_at")))


def add_holding(conn: Connection, values: dict[str, Any]) -> None:
    """Record a holding that ended (once per line: a repeated closing step finds it already there, the line's
    unique key)."""
    stmt = insert_ignoring_id(conn, number_holdings, ("line_id",))
    if conn.execute(stmt, values).scalar() is not None and values.get("line_id") is not None:
        conn.info.setdefault(HOLDING_DAYS, {})[values["line_id"]] = values["disconnected_on"]


_HOLDING_OF_LINE = select(number_holdings).where(number_holdings.c.line_id == bindparam("line_id"))
_DISCONNECTED_ON = select(number_holdings.c.disconnected_on).where(number_holdings.c.line_id == bindparam("line_id"))
HOLDING_DAYS = "simexit_holding_days"  # transaction-scoped (store/database.py): line id -> its disconnect day


def holding_of_line(conn: Connection, line_id: int) -> RowMapping | None:
    return conn.execute(_HOLDING_OF_LINE, {"line_id": line_id}).mappings().first()


def disconnected_on(conn: Connection, line_id: int) -> date | None:
    """The permanent-disconnect day recorded for a line's holding, None when none is recorded yet. A day once
    recorded never changes, so a transaction reads it once: the closing steps chained in one transaction ask
    for it four times (issue 16). A line with none recorded is read again the next time (another transaction
    may record it meanwhile)."""
    known = conn.info.get(HOLDING_DAYS)
    if known is not None and line_id in known:
        return known[line_id]
    day = conn.execute(_DISCONNECTED_ON, {"line_id": line_id}).scalar()
    if day is not None:
        conn.info.setdefault(HOLDING_DAYS, {})[line_id] = day
    return day


def holdings_of_number(conn: Connection, msisdn: str) -> list[RowMapping]:
    """Every ended holding of a number, oldest first."""
    return list(conn.execute(select(number_holdings).where(number_holdings.c.msisdn == msisdn)
                             .order_by(number_holdings.c.disconnected_on, number_holdings.c.id)).mappings())


def set_holding_state(conn: Connection, line_id: int, state: str, at: datetime) -> int:
    return conn.execute(update(number_holdings).where(number_holdings.c.line_id == line_id)
                        .values(state=state, updated_at=at)).rowcount


def holdings_disconnected_between(conn: Connection, first: date, last: date) -> list[Any]:
    """(msisdn, disconnected_on, brand code) of every holding permanently disconnected in [first, last] (a
    port-out is not a permanent disconnect: the subscriber keeps the number)."""
    return list(conn.execute(select(number_holdings.c.msisdn, number_holdings.c.disconnected_on, brands.c.code)
                             .join(brands, brands.c.id == number_holdings.c.brand_id)
                             .where(number_holdings.c.disconnected_on >= first,
                                    number_holdings.c.disconnected_on <= last,
                                    number_holdings.c.reason == "closure")
                             .order_by(number_holdings.c.disconnected_on, number_holdings.c.msisdn)))


def closed_lines_without_holding(conn: Connection, lo: datetime, hi: datetime) -> list[Any]:
    """Lines closed in [lo, hi) before holdings were recorded (their day is the local day of ``closed_at``)."""
    recorded = select(number_holdings.c.line_id).where(number_holdings.c.line_id.is_not(None))
    return list(conn.execute(select(lines.c.msisdn, lines.c.closed_at, brands.c.code)
                             .join(brands, brands.c.id == lines.c.brand_id)
                             .where(lines.c.status == "closed", lines.c.closed_at >= lo, lines.c.closed_at < hi,
                                    lines.c.id.not_in(recorded))))


def set_number_afterlife(conn: Connection, msisdn: str, state: str, until: date | None, at: datetime) -> None:
    """The number's reissue gate: ``quarantined`` (returning and returned numbers too: never reissued here)."""
    conn.execute(_SET_AFTERLIFE, {"p_msisdn": msisdn, "state": state, "quarantined_until": until, "updated_at": at})


def set_ported_in(conn: Connection, msisdn: str, range_holder: str | None, at: datetime) -> int:
    return conn.execute(update(numbers).where(numbers.c.msisdn == msisdn)
                        .values(ported_in_from=range_holder, updated_at=at)).rowcount


def add_rnd_report(conn: Connection, values: dict[str, Any]) -> int:
    return conn.execute(rnd_reports.insert().values(**values).returning(rnd_reports.c.id)).scalar_one()


def last_rnd_report(conn: Connection) -> RowMapping | None:
    return conn.execute(select(rnd_reports).order_by(rnd_reports.c.period_last.desc(), rnd_reports.c.id.desc())
                        ).mappings().first()


def rnd_report_ending(conn: Connection, last: date) -> RowMapping | None:
    return conn.execute(select(rnd_reports).where(rnd_reports.c.period_last == last)
                        .order_by(rnd_reports.c.id.desc())).mappings().first()
