"""Wiring: the database, the brand policies, the clock and the facts source that use cases share."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from time import monotonic

from sqlalchemy import Connection, bindparam, insert, select, update

from simexit.clock import Clock, SystemClock
from simexit.config import Settings, get_settings
from simexit.domain.audit_chain import chain_key
from simexit.domain.business_days import BusinessCalendar
from simexit.domain.errors import NotFound
from simexit.domain.facts import FactsSource
from simexit.domain.policy import Policy, load_policies
from simexit.store.database import Database
from simexit.store.facts_source import SqlFactsSource
from simexit.store.tables import brands, calendar_overrides

# Built once: building the statement cost more than running it.
_OVERRIDES = (select(calendar_overrides.c.day, calendar_overrides.c.is_business_day)
              .where(calendar_overrides.c.jurisdiction.in_(bindparam("jurisdictions", expanding=True))))
# Every pre-check needs its brand's calendar. Overrides change a few times a year (a new 调休 schedule), so each
# process reads them again at most this often instead of on every pre-check (one query, on PostgreSQL one round
# trip, less). An override added by operations staff is used everywhere within this time.
CALENDAR_REFRESH_SECONDS = 30.0


@dataclass
class Simexit:
    db: Database
    policies: dict[str, Policy]
    clock: Clock
    secret_key: str
    facts_source: Callable[[Connection], FactsSource] = SqlFactsSource
    brand_ids: dict[str, int] = field(default_factory=dict)
    _brand_codes: dict[int, str] = field(default_factory=dict, repr=False)
    fast_password_hash: bool = False  # cheapest argon2 parameters: tests only
    export_dir: Path = Path("exports")
    export_ttl_hours: int = 72
    public_base_url: str = "http://127.0.0.1:8000"  # links in messages (receipts, downloads) start with this
    # Audit log (privacy): the chain's own MAC key (default: derived from secret_key), the Ed25519 key that signs
    # checkpoints (None: no checkpoints), the public key that checks them (default: the signing key's), the
    # append-only file they are written to, and how often (every so many entries or seconds, by the sweep).
    audit_chain_key: str | None = None
    audit_signing_key: Path | None = None
    audit_verify_key: Path | None = None
    audit_checkpoint_file: Path | None = None
    audit_checkpoint_entries: int = 1000
    audit_checkpoint_seconds: float = 300.0
    _calendars: dict[tuple[str, str | None], tuple[float, BusinessCalendar]] = field(default_factory=dict,
                                                                                    repr=False)

    def __post_init__(self) -> None:
        self.db.audit_key = chain_key(self.secret_key, self.audit_chain_key)

    def policy(self, brand: str) -> Policy:
        try:
            return self.policies[brand]
        except KeyError:
            raise NotFound("BRAND_UNKNOWN", f"no brand {brand!r}", known=sorted(self.policies)) from None

    def brand_id(self, brand: str) -> int:
        self.policy(brand)
        return self.brand_ids[brand]

    def brand_code(self, brand_id: int) -> str:
        codes = self._brand_codes
        if len(codes) != len(self.brand_ids):  # brand_ids was (re)loaded: build the reverse map again
            codes.clear()
            codes.update((i, code) for code, i in self.brand_ids.items())
        return codes[brand_id]

    def calendar(self, conn: Connection, policy: Policy) -> BusinessCalendar:
        """The brand's business-day calendar with the overrides (read again every CALENDAR_REFRESH_SECONDS)."""
        key = (policy.brand.jurisdiction, policy.brand.subdivision)
        cached = self._calendars.get(key)
        if cached is not None and cached[0] > monotonic():
            return cached[1]
        jur = policy.brand.jurisdiction + (f"-{policy.brand.subdivision}" if policy.brand.subdivision else "")
        rows = conn.execute(_OVERRIDES, {"jurisdictions": [policy.brand.jurisdiction, jur]}).all()
        overrides: dict[date, bool] = {r.day: r.is_business_day for r in rows}
        calendar = policy.calendar(overrides)
        self._calendars[key] = (monotonic() + CALENDAR_REFRESH_SECONDS, calendar)
        return calendar

    def sync_brands(self) -> None:
        """Make the brands table mirror the loaded policies (run at start-up, after migrations)."""
        now = self.clock.now()
        with self.db.write() as conn:
            existing = {r.code: r for r in conn.execute(select(brands)).all()}
            for code, p in self.policies.items():
                digest = hashlib.sha256(p.model_dump_json().encode()).hexdigest()
                values = dict(name=p.brand.name, jurisdiction=p.brand.jurisdiction, currency=p.brand.currency,
                              card_kind=p.brand.card_kind, policy_sha256=digest, updated_at=now)
                if code not in existing:
                    conn.execute(insert(brands).values(code=code, **values))
                elif existing[code].policy_sha256 != digest:
                    conn.execute(update(brands).where(brands.c.code == code).values(**values))
            self.brand_ids = {r.code: r.id for r in conn.execute(select(brands.c.code, brands.c.id)).all()}
            self._brand_codes.clear()


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None,
              db: Database | None = None, migrate: bool = False) -> Simexit:
    s = settings or get_settings()
    policies = load_policies(s.policy_dir)
    database = db or Database(s.database_url, pool_size=s.db_pool_size)
    if migrate:
        from simexit.store.migrate import upgrade

        upgrade(database.url)
    app = Simexit(db=database, policies=policies, clock=clock or SystemClock(), secret_key=s.secret_key,
                  export_dir=s.export_dir, export_ttl_hours=s.export_ttl_hours, public_base_url=s.public_base_url,
                  audit_chain_key=s.audit_chain_key, audit_signing_key=s.audit_signing_key,
                  audit_verify_key=s.audit_verify_key, audit_checkpoint_file=s.audit_checkpoint_file,
                  audit_checkpoint_entries=s.audit_checkpoint_entries,
                  audit_checkpoint_seconds=s.audit_checkpoint_minutes * 60)
    app.sync_brands()
    return app
