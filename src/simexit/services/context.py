"""What use cases share: the database, the brand policies, the clock, the facts source and the settings they
need. Built by the composition root (``simexit.bootstrap``); tests build one with doubles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic

from simexit.clock import Clock
from simexit.domain.audit_chain import chain_key
from simexit.domain.business_days import BusinessCalendar
from simexit.domain.errors import NotFound
from simexit.domain.facts import FactsSource
from simexit.domain.policy import Policy
from simexit.store import brands_repo
from simexit.store.database import Connection, Database
from simexit.store.facts_source import SqlFactsSource

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
        overrides = brands_repo.calendar_overrides_for(conn, [policy.brand.jurisdiction, jur])
        calendar = policy.calendar(overrides)
        self._calendars[key] = (monotonic() + CALENDAR_REFRESH_SECONDS, calendar)
        return calendar

    def sync_brands(self) -> None:
        """Make the brands table mirror the loaded policies (run at start-up, after migrations)."""
        with self.db.write() as conn:
            self.brand_ids = brands_repo.sync_brands(conn, self.policies, self.clock.now())
        self._brand_codes.clear()
