"""Partner API keys (``partner_api_keys``): a prefix to find the key, a SHA-256 of the whole key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, insert, select, update

from simexit.store.tables_api import partner_api_keys

k = partner_api_keys.c


def insert_key(conn: Connection, *, name: str, prefix: str, key_hash: str, scopes: list[str], now: datetime) -> None:
    conn.execute(insert(partner_api_keys).values(name=name, prefix=prefix, key_hash=key_hash, scopes=scopes,
                                                 created_at=now))


def revoke(conn: Connection, prefix: str, now: datetime) -> bool:
    return conn.execute(update(partner_api_keys).where(k.prefix == prefix, k.revoked_at.is_(None))
                        .values(revoked_at=now)).rowcount == 1


def by_prefix(conn: Connection, prefix: str) -> RowMapping | None:
    return conn.execute(select(partner_api_keys).where(k.prefix == prefix)).mappings().first()


def list_keys(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(k.name, k.prefix, k.scopes, k.created_at, k.revoked_at)
                             .order_by(k.id)).mappings().all())
