"""The default FactsSource: simexit's own database.

``many_line_facts`` gathers the facts of many lines with one query per kind of fact (eight in all,
whatever the number of lines), so that a bulk closure never issues queries per line; ``line_facts``
is the same code for one line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from simexit.domain.errors import NotFound
from simexit.domain.facts import (
    BoundDevice,
    BoundService,
    EsimProfile,
    LineFacts,
    OpenApplication,
    UnpaidBill,
)
from simexit.domain.identifiers import mask_msisdn
from simexit.store.tables import (
    OPEN_STATUSES,
    accounts,
    applications,
    balance_ledger,
    bills,
    brands,
    customers,
    devices,
    esim_profiles,
    lines,
    service_bindings,
)


class SqlFactsSource:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def line_facts(self, msisdn: str) -> LineFacts:
        found = self.many_line_facts([msisdn])
        if msisdn not in found:
            raise NotFound("LINE_NOT_FOUND", f"no line with number {mask_msisdn(msisdn)}")
        return found[msisdn]

    def many_line_facts(self, msisdns: Sequence[str]) -> dict[str, LineFacts]:
        """Facts of every known line among ``msisdns`` (E.164), keyed by MSISDN; unknown numbers are left out."""
        c = self.conn
        rows = c.execute(
            select(lines, brands.c.code.label("brand_code"), accounts.c.customer_id, accounts.c.currency,
                   customers.c.identity_verified)
            .join(brands, brands.c.id == lines.c.brand_id)
            .join(accounts, accounts.c.id == lines.c.account_id)
            .join(customers, customers.c.id == accounts.c.customer_id)
            .where(lines.c.msisdn.in_(list(msisdns)))
        ).mappings().all()
        if not rows:
            return {}
        line_ids = [r["id"] for r in rows]
        account_ids = list({r["account_id"] for r in rows})

        balances = dict(c.execute(
            select(balance_ledger.c.account_id, func.sum(balance_ledger.c.amount_minor))
            .where(balance_ledger.c.account_id.in_(account_ids)).group_by(balance_ledger.c.account_id)
        ).all())
        unpaid: dict[int, list[UnpaidBill]] = defaultdict(list)
        for b in c.execute(
            select(bills.c.account_id, bills.c.id, bills.c.amount_minor, bills.c.due_date)
            .where(bills.c.account_id.in_(account_ids), bills.c.paid_at.is_(None), bills.c.amount_minor > 0)
            .order_by(bills.c.due_date, bills.c.id)
        ):
            unpaid[b.account_id].append(UnpaidBill(b.id, b.amount_minor, b.due_date))
        services: dict[int, list[BoundService]] = defaultdict(list)
        for s in c.execute(
            select(service_bindings.c.line_id, service_bindings.c.service, service_bindings.c.since)
            .where(service_bindings.c.line_id.in_(line_ids), service_bindings.c.unbound_at.is_(None))
            .order_by(service_bindings.c.id)
        ):
            services[s.line_id].append(BoundService(s.service, s.since))
        devs: dict[int, list[BoundDevice]] = defaultdict(list)
        for d in c.execute(
            select(devices.c.line_id, devices.c.id, devices.c.name, devices.c.imei, devices.c.eid)
            .where(devices.c.line_id.in_(line_ids), devices.c.unbound_at.is_(None))
            .order_by(devices.c.id)
        ):
            devs[d.line_id].append(BoundDevice(d.id, d.name, d.imei[-4:] if d.imei else None, d.eid))
        profiles: dict[int, list[EsimProfile]] = defaultdict(list)
        for p in c.execute(
            select(esim_profiles.c.line_id, esim_profiles.c.iccid, esim_profiles.c.eid, esim_profiles.c.state)
            .where(esim_profiles.c.line_id.in_(line_ids)).order_by(esim_profiles.c.id)
        ):
            profiles[p.line_id].append(EsimProfile(p.iccid, p.eid, p.state))
        open_apps = {a.line_id: OpenApplication(a.application_no, a.status) for a in c.execute(
            select(applications.c.line_id, applications.c.application_no, applications.c.status)
            .where(applications.c.line_id.in_(line_ids), applications.c.status.in_(OPEN_STATUSES))
        )}
        not_closed = dict(c.execute(
            select(lines.c.account_id, func.count())
            .where(lines.c.account_id.in_(account_ids), lines.c.status != "closed").group_by(lines.c.account_id)
        ).all())

        out: dict[str, LineFacts] = {}
        for row in rows:
            line_id, account_id = row["id"], row["account_id"]
            others = not_closed.get(account_id, 0) - (1 if row["status"] != "closed" else 0)
            out[row["msisdn"]] = LineFacts(
                line_id=line_id, brand=row["brand_code"], msisdn=row["msisdn"], iccid=row["iccid"],
                kind=row["kind"], payment=row["payment"], status=row["status"],
                number_keeping=row["number_keeping"], customer_id=row["customer_id"], account_id=account_id,
                identity_verified=row["identity_verified"], currency=row["currency"],
                balance_minor=int(balances.get(account_id) or 0),
                contract_start=row["contract_start"], contract_end=row["contract_end"],
                early_termination_fee_minor=row["early_termination_fee_minor"],
                last_sim_change_at=row["last_sim_change_at"], port_out_pending=row["port_out_pending"],
                unpaid_bills=tuple(unpaid.get(account_id, ())),
                services=tuple(services.get(line_id, ())),
                devices=tuple(devs.get(line_id, ())),
                esim_profiles=tuple(profiles.get(line_id, ())),
                open_application=open_apps.get(line_id),
                other_open_lines_on_account=others,
            )
        return out
