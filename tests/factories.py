"""Test data through the real import path: a customer with one line, shaped by keyword arguments."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from typing import Any

from simexit.domain.identifiers import cn_resident_id_check_char, eid_with_check_digits, luhn_check_digit
from simexit.services.context import Simexit
from simexit.services.imports.importer import import_jsonl

_seq = itertools.count(1)
_PREFIX = {"CN": ("+86139", 8), "DE": ("+4915112", 6), "US": ("+1202555", 4), "EU": ("+4915112", 6)}


def iccid(n: int) -> str:
    body = f"89490{n:013d}"
    return body + luhn_check_digit(body)


def cn_id(n: int) -> str:
    first17 = f"11010519850615{n % 1000:03d}"
    return first17 + cn_resident_id_check_char(first17)


def make_line(app: Simexit, brand: str, *, balance: int = 5000, unpaid: list[int] = (), services: list[str] = (),
              devices: int = 0, esim_state: str | None = None, today: date | None = None, id_number: str | None = None,
              name: str | None = None, **line: Any) -> dict[str, Any]:
    """Create a customer and a line of ``brand``; returns the ids used (msisdn, id_number, ...)."""
    n = next(_seq)
    policy = app.policy(brand)
    prefix, width = _PREFIX[policy.brand.jurisdiction]
    msisdn = f"{prefix}{(n % 10 ** width):0{width}d}" if width > 4 else f"{prefix}{1000 + n:04d}"
    cur = policy.brand.currency
    cn = policy.brand.jurisdiction == "CN"
    idn = id_number or (cn_id(n) if cn else f"P{n:08d}")
    today = today or app.clock.now().date()
    recs: list[dict[str, Any]] = [
        {"type": "customer", "brand": brand, "ref": f"c{n}", "name": name or ("测试用户" if cn else "Test User"),
         "id_type": "cn_resident_id" if cn else "passport", "id_number": idn, "email": f"c{n}@example.com",
         "identity_verified": line.pop("identity_verified", True)},
        {"type": "line", "brand": brand, "customer": f"c{n}", "msisdn": msisdn, "iccid": iccid(n),
         "kind": line.pop("kind", "esim"), "payment": line.pop("payment", "prepaid"), "plan": "Test plan", **line},
    ]
    if balance:
        recs.append({"type": "balance", "msisdn": msisdn, "amount_minor": balance, "currency": cur})
    for amount in unpaid:
        recs.append({"type": "bill", "msisdn": msisdn, "period_start": (today - timedelta(days=30)).isoformat(),
                     "period_end": today.isoformat(), "amount_minor": amount, "currency": cur,
                     "due_date": (today - timedelta(days=1)).isoformat()})
    for s in services:
        recs.append({"type": "binding", "msisdn": msisdn, "service": s})
    for d in range(devices):
        recs.append({"type": "device", "msisdn": msisdn, "name": f"Phone {d + 1}"})
    if esim_state:
        recs.append({"type": "esim_profile", "msisdn": msisdn, "iccid": iccid(n + 500_000), "state": esim_state,
                     "eid": eid_with_check_digits(f"89049032{n:022d}")})
    import_jsonl(app, (json.dumps(r, ensure_ascii=False) for r in recs))
    return {"msisdn": msisdn, "id_number": idn, "ref": f"c{n}", "currency": cur}
