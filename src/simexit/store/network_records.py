"""What the network holds for simexit's lines: the open lines' subscriber identities and their eSIM profiles
(read to seed the HSS and SM-DP+ simulators)."""

from __future__ import annotations

from sqlalchemy import Connection, Row, select

from simexit.store.tables import esim_profiles, lines


def open_subscribers(conn: Connection) -> list[Row]:
    """(id, msisdn, imsi, iccid, kind) of every line not closed that has an IMSI."""
    return list(conn.execute(select(lines.c.id, lines.c.msisdn, lines.c.imsi, lines.c.iccid, lines.c.kind)
                             .where(lines.c.status != "closed", lines.c.imsi.is_not(None))).all())


def esim_profile_rows(conn: Connection) -> list[Row]:
    """(line_id, iccid, state, eid) of every eSIM profile."""
    return list(conn.execute(select(esim_profiles.c.line_id, esim_profiles.c.iccid, esim_profiles.c.state,
                                    esim_profiles.c.eid)).all())
