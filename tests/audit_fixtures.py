"""Test data for exports and erasure: a customer with every kind of record, and many usage rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update

from simexit.services.closure.applications import ApplyRequest, apply
from simexit.services.context import Simexit
from simexit.store.tables import customers, lines, usage_records
from tests.factories import make_line

NAME = "王小明"
EMAIL = "xiaoming.wang@example.org"
PHONE = "+8613512345678"


def rich_customer(app: Simexit, brand: str = "huaxin", *, usage: int = 30, name: str = NAME, email: str = EMAIL,
                  phone: str = PHONE) -> dict[str, Any]:
    """A customer with a line, balance, bills, bindings, devices, an eSIM profile, usage and an application."""
    ids = make_line(app, brand, balance=2500, services=["bank-app"], devices=1, esim_state="Installed",
                    kind="esim")
    with app.db.write() as conn:
        conn.execute(update(customers).where(customers.c.customer_ref == ids["ref"])
                     .values(name=name, email=email, contact_phone=phone))
        line_id = conn.execute(select(lines.c.id).where(lines.c.msisdn == ids["msisdn"])).scalar_one()
    add_usage(app, line_id, usage)
    # Bound services and devices block some brands; the application is made on a clean copy of the state.
    policy = app.policy(brand)
    store = "store" in policy.brand.channels
    methods = policy.refund.methods
    res = apply(app, ApplyRequest(msisdn=ids["msisdn"], channel="store" if store else "online",
                                  identity_method="id_document_inspected" if store else "otp",
                                  staff_ref="clerk1" if store else None, staff_role="agent" if store else None,
                                  reason_code="moving_abroad",
                                  reason_text=f"{name} moves abroad, call {phone}",
                                  consequences_confirmed=_all_consequences(app, ids["msisdn"]),
                                  refund_method="alipay" if "alipay" in methods else methods[0],
                                  refund_destination={"account": email, "iban_or_account": "DE00", "holder": name}))
    return {**ids, "line_id": line_id, "application_no": res.application_no}


def _all_consequences(app: Simexit, msisdn: str) -> list[str]:
    from simexit.domain.consequences import required_consequences
    from simexit.services.closure.precheck import precheck

    return list(required_consequences(precheck(app, msisdn).quote))


def add_usage(app: Simexit, line_id: int, n: int, batch: int = 10_000) -> None:
    t0 = app.clock.now() - timedelta(days=30)
    with app.db.write() as conn:
        for start in range(0, n, batch):
            conn.execute(insert(usage_records), [
                {"line_id": line_id, "kind": ("call", "sms", "data")[i % 3], "started_at": t0 + timedelta(seconds=i),
                 "direction": "out" if i % 2 else "in", "counterpart": f"+86138{i % 100000000:08d}",
                 "duration_s": i % 600 if i % 3 == 0 else None, "volume_bytes": i * 1000 if i % 3 == 2 else None}
                for i in range(start, min(n, start + batch))])
