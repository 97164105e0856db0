"""Use case: import customers, lines, balances, bills, bindings, devices, eSIM profiles and usage
from JSON Lines — validated, all-or-nothing, errors named by line number.

The file is streamed and inserted inside one transaction while it is read; at the first error the
rest is still validated (so the report is complete) but nothing more is written, and at the end the
transaction is rolled back. Memory stays flat: usage rows are inserted in batches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from simexit.domain.errors import DomainError, InvalidInput
from simexit.domain.identifiers import (
    normalize_eid,
    normalize_iccid,
    normalize_imei,
    normalize_imsi,
    normalize_msisdn,
)
from simexit.domain.identity import id_fingerprint, id_tail_fingerprint
from simexit.domain.money import check_currency
from simexit.services.context import Simexit
from simexit.services.imports.records import (
    BalanceRec,
    BillRec,
    BindingRec,
    CustomerRec,
    DeviceRec,
    EsimProfileRec,
    LineRec,
    Record,
    UsageRec,
)
from simexit.services.imports.views import ImportReport
from simexit.store import import_repo as repo

if TYPE_CHECKING:
    from simexit.store.database import Connection

_ADAPTER: TypeAdapter[Any] = TypeAdapter(Record)
MAX_ERRORS = 100
MAX_DIGITS = 40  # the longest JSON integer converted (a 64-bit number has 20 characters)
USAGE_BATCH = 5000


class ImportFailed(DomainError):
    status = 422

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        first = errors[0]
        super().__init__("IMPORT_INVALID", f"line {first['line']}: {first['message']} "
                         f"({len(errors)} error(s); nothing was imported)", errors=errors)
        self.errors = errors


class _LineError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def import_jsonl(app: Simexit, rows: Iterable[str | bytes]) -> ImportReport:
    """Import the lines of a JSON Lines file (text, or bytes decoded here as UTF-8), all or nothing.

    Raises ``ImportFailed`` naming each bad line (and its field) when any line is bad; nothing is stored then.
    """
    errors: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    with app.db.write() as conn:
        state = _State(app, conn)
        for lineno, raw in enumerate(rows, start=1):
            try:
                text = _text(raw, lineno)
                if not text.strip():
                    continue
                rec = _parse(text)
                if not errors:
                    state.write(rec)
                else:
                    state.validate_only(rec)
                counts[rec.type] = counts.get(rec.type, 0) + 1
            except _LineError as e:
                msg = e.message if not e.field or e.message.startswith(e.field) else f"{e.field}: {e.message}"
                errors.append({"line": lineno, "field": e.field, "message": msg})
            except DomainError as e:
                errors.append({"line": lineno, "field": e.data.get("field"), "message": e.message,
                               "code": e.code})
            if len(errors) >= MAX_ERRORS:
                break
        if not errors:
            state.flush()
        else:
            raise ImportFailed(errors)  # leaving the block rolls the transaction back: nothing is stored
    return ImportReport(counts)


def _text(raw: str | bytes, lineno: int) -> str:
    if isinstance(raw, str):
        return raw
    if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _LineError(f"not UTF-8: byte 0x{raw[e.start]:02x} at column {e.start + 1} (save the file as "
                         "UTF-8)", _field_not_utf8(raw)) from None


def _field_not_utf8(raw: bytes) -> str | None:
    """The field whose name or value holds the bytes that are not UTF-8, when the rest of the line is JSON."""
    try:
        obj = json.loads(raw.decode("utf-8", "surrogateescape"), parse_int=_integer)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    for k, v in obj.items():
        text = k + (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str))
        if any("\udc80" <= c <= "\udcff" for c in text):
            return k.encode("utf-8", "backslashreplace").decode("utf-8", "replace")
    return None


class _HugeInteger:
    """A JSON integer with more digits than any field takes: validation then names its field."""

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<an integer of {len(self.digits.lstrip('-'))} digits>"


def _integer(digits: str) -> int | _HugeInteger:
    # Python refuses to convert more than 4,300 digits (a ValueError); no field takes more than 20.
    return int(digits) if len(digits) <= MAX_DIGITS else _HugeInteger(digits)


def _parse(text: str) -> Any:
    try:
        obj = json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as e:
        raise _LineError(f"not valid JSON: {e.msg} at column {e.colno}") from None
    except RecursionError:
        raise _LineError("not valid JSON: nested too deeply") from None
    except ValueError as e:
        raise _LineError(f"not valid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise _LineError("each line is one JSON object")
    if "type" not in obj:
        raise _LineError("missing field 'type'", "type")
    try:
        return _ADAPTER.validate_python(obj)
    except ValidationError as e:
        err = e.errors()[0]
        if err["type"] == "union_tag_invalid":
            raise _LineError(f"unknown type {obj['type']!r}; known: {err['ctx']['expected_tags']}", "type") from None
        loc = ".".join(str(p) for p in err["loc"][1:]) or "(record)"
        raise _LineError(f"{loc}: {err['msg']}", loc) from None
    except RecursionError:
        raise _LineError("nested too deeply") from None


def _aware(v: datetime | None, default: datetime | None) -> datetime | None:
    if v is None:
        return default
    if v.tzinfo is None:
        raise _LineError("timestamps need a time zone (e.g. 2026-01-31T10:00:00+08:00 or Z)")
    return v


class _State:
    """Resolves references and writes rows; remembers what the file created so far."""

    def __init__(self, app: Simexit, conn: Connection) -> None:
        self.app, self.conn = app, conn
        self.now = app.clock.now()
        self.customers: dict[tuple[str, str], tuple[int, int, str]] = {}  # (brand, ref) -> (cust, acct, cur)
        self.lines: dict[str, tuple[int, int, str]] = {}  # msisdn -> (line_id, account_id, currency)
        self.seen_msisdn: set[str] = set()
        self.seen_iccid: set[str] = set()
        self.usage: list[dict[str, Any]] = []

    # -- references -------------------------------------------------------------------------------
    def _brand(self, code: str) -> int:
        if code not in self.app.policies:
            raise _LineError(f"unknown brand {code!r}", "brand")
        return self.app.brand_id(code)

    def _msisdn(self, raw: str, brand: str | None = None) -> str:
        region = self.app.policy(brand).brand.phone_region if brand else None
        try:
            return normalize_msisdn(raw, region)
        except InvalidInput as e:
            raise _LineError(e.message, "msisdn") from None

    def _customer(self, brand: str, ref: str) -> tuple[int, int, str]:
        key = (brand, ref)
        if key not in self.customers:
            found = repo.customer_account(self.conn, self._brand(brand), ref)
            if found is None:
                raise _LineError(f"customer {ref!r} of brand {brand!r} is neither above nor in the database",
                                 "customer")
            self.customers[key] = found
        return self.customers[key]

    def _line(self, raw: str) -> tuple[int, int, str]:
        msisdn = self._msisdn(raw, None if raw.strip().startswith("+") else next(iter(self.app.policies)))
        if msisdn not in self.lines:
            found = repo.line_account(self.conn, msisdn)
            if found is None:
                raise _LineError("no line with this msisdn above or in the database", "msisdn")
            self.lines[msisdn] = found
        return self.lines[msisdn]

    @staticmethod
    def _same_currency(given: str, expected: str) -> None:
        try:
            check_currency(given)
        except InvalidInput as e:
            raise _LineError(e.message, "currency") from None
        if given != expected:
            raise _LineError(f"currency {given} differs from the account's {expected}", "currency")

    # -- validation without writing (after the first error) ---------------------------------------
    def validate_only(self, rec: Any) -> None:
        if isinstance(rec, CustomerRec):
            self._brand(rec.brand)
            id_fingerprint(self.app.secret_key, rec.id_type, rec.id_number)
        elif isinstance(rec, LineRec):
            self._brand(rec.brand)
            self._checked_line_ids(rec)

    def _checked_line_ids(self, rec: LineRec) -> tuple[str, str, str | None]:
        msisdn = self._msisdn(rec.msisdn, rec.brand)
        try:
            iccid = normalize_iccid(rec.iccid)
            imsi = normalize_imsi(rec.imsi) if rec.imsi else None
        except InvalidInput as e:
            raise _LineError(e.message, "iccid" if e.code.startswith("ICCID") else "imsi") from None
        if rec.contract_start and rec.contract_end and rec.contract_end < rec.contract_start:
            raise _LineError("contract_end is before contract_start", "contract_end")
        if msisdn in self.seen_msisdn:
            raise _LineError("msisdn appears twice in the file", "msisdn")
        if iccid in self.seen_iccid:
            raise _LineError("iccid appears twice in the file", "iccid")
        self.seen_msisdn.add(msisdn)
        self.seen_iccid.add(iccid)
        return msisdn, iccid, imsi

    # -- writing ----------------------------------------------------------------------------------
    def write(self, rec: Any) -> None:
        getattr(self, "_w_" + rec.type)(rec)

    def _w_customer(self, r: CustomerRec) -> None:
        brand_id = self._brand(r.brand)
        policy = self.app.policy(r.brand)
        currency = r.currency or policy.brand.currency
        self._same_currency(currency, policy.brand.currency)
        if (r.brand, r.ref) in self.customers or repo.customer_exists(self.conn, brand_id, r.ref):
            raise _LineError(f"customer {r.ref!r} already exists in brand {r.brand!r}", "ref")
        digest = id_fingerprint(self.app.secret_key, r.id_type, r.id_number)
        phone = self._msisdn(r.contact_phone, r.brand) if r.contact_phone else None
        if r.email is not None and "@" not in r.email:
            raise _LineError("not an e-mail address", "email")
        cid = repo.insert_customer(self.conn, dict(
            brand_id=brand_id, customer_ref=r.ref, name=r.name, id_type=r.id_type, id_hash=digest,
            id_last4=r.id_number.strip().upper()[-4:],
            id_tail_hash=id_tail_fingerprint(self.app.secret_key, r.id_type, r.id_number), email=r.email,
            contact_phone=phone, locale=r.locale,
            identity_verified=r.identity_verified, created_at=self.now,
        ))
        aid = repo.insert_account(self.conn, dict(
            customer_id=cid, account_ref=f"{r.brand}:{r.ref}", currency=currency, status="open",
        ))
        self.customers[(r.brand, r.ref)] = (cid, aid, currency)

    def _w_line(self, r: LineRec) -> None:
        brand_id = self._brand(r.brand)
        _cid, aid, cur = self._customer(r.brand, r.customer)
        msisdn, iccid, imsi = self._checked_line_ids(r)
        if repo.line_exists(self.conn, msisdn=msisdn):
            raise _LineError("a line with this msisdn already exists", "msisdn")
        if repo.line_exists(self.conn, iccid=iccid):
            raise _LineError("a line with this iccid already exists", "iccid")
        lid = repo.insert_line(self.conn, dict(
            brand_id=brand_id, account_id=aid, msisdn=msisdn, iccid=iccid, imsi=imsi, kind=r.kind,
            payment=r.payment, plan=r.plan, number_keeping=r.number_keeping, contract_start=r.contract_start,
            contract_end=r.contract_end, early_termination_fee_minor=r.early_termination_fee_minor,
            status=r.status, last_sim_change_at=_aware(r.last_sim_change_at, None),
            port_out_pending=r.port_out_pending, activated_at=_aware(r.activated_at, self.now),
        ))
        repo.insert_number(self.conn, dict(msisdn=msisdn, brand_id=brand_id, state="assigned", line_id=lid,
                                           updated_at=self.now))
        self.lines[msisdn] = (lid, aid, cur)

    def _w_balance(self, r: BalanceRec) -> None:
        _lid, aid, cur = self._line(r.msisdn)
        self._same_currency(r.currency, cur)
        repo.insert_balance(self.conn, dict(
            account_id=aid, at=_aware(r.at, self.now), amount_minor=r.amount_minor, currency=r.currency,
            kind=r.kind, reference=r.reference))

    def _w_bill(self, r: BillRec) -> None:
        lid, aid, cur = self._line(r.msisdn)
        self._same_currency(r.currency, cur)
        if r.period_end < r.period_start:
            raise _LineError("period_end is before period_start", "period_end")
        repo.insert_bill(self.conn, dict(
            account_id=aid, line_id=lid, period_start=r.period_start, period_end=r.period_end,
            amount_minor=r.amount_minor, currency=r.currency, due_date=r.due_date,
            paid_at=_aware(r.paid_at, None)))

    def _w_binding(self, r: BindingRec) -> None:
        lid, _aid, _cur = self._line(r.msisdn)
        repo.insert_binding(self.conn, dict(line_id=lid, service=r.service, since=r.since))

    def _w_device(self, r: DeviceRec) -> None:
        lid, _aid, _cur = self._line(r.msisdn)
        try:
            imei = normalize_imei(r.imei) if r.imei else None
            eid = normalize_eid(r.eid) if r.eid else None
        except InvalidInput as e:
            raise _LineError(e.message, "imei" if e.code.startswith("IMEI") else "eid") from None
        repo.insert_device(self.conn, dict(line_id=lid, name=r.name, imei=imei, eid=eid,
                                           bound_at=_aware(r.bound_at, self.now)))

    def _w_esim_profile(self, r: EsimProfileRec) -> None:
        lid, _aid, _cur = self._line(r.msisdn)
        try:
            iccid = normalize_iccid(r.iccid)
            eid = normalize_eid(r.eid) if r.eid else None
        except InvalidInput as e:
            raise _LineError(e.message, "iccid" if e.code.startswith("ICCID") else "eid") from None
        if repo.esim_profile_exists(self.conn, iccid):
            raise _LineError("an eSIM profile with this iccid already exists", "iccid")
        repo.insert_esim_profile(self.conn, dict(line_id=lid, iccid=iccid, eid=eid, state=r.state,
                                                 updated_at=self.now))

    def _w_usage(self, r: UsageRec) -> None:
        lid, _aid, _cur = self._line(r.msisdn)
        self.usage.append(dict(line_id=lid, kind=r.kind, started_at=_aware(r.started_at, self.now),
                               direction=r.direction, counterpart=r.counterpart, duration_s=r.duration_s,
                               volume_bytes=r.volume_bytes))
        if len(self.usage) >= USAGE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.usage:
            repo.insert_usage(self.conn, self.usage)
            self.usage = []


def utcnow() -> datetime:
    return datetime.now(UTC)
