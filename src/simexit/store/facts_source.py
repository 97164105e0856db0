"""The default FactsSource: simexit's own database."""

from __future__ import annotations

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
        c = self.conn
        row = c.execute(
            select(lines, brands.c.code.label("brand_code"), accounts.c.customer_id, accounts.c.currency,
                   customers.c.identity_verified)
            .join(brands, brands.c.id == lines.c.brand_id)
            .join(accounts, accounts.c.id == lines.c.account_id)
            .join(customers, customers.c.id == accounts.c.customer_id)
            .where(lines.c.msisdn == msisdn)
        ).mappings().first()
        if row is None:
            raise NotFound("LINE_NOT_FOUND", f"no line with number {mask_msisdn(msisdn)}")
        line_id, account_id = row["id"], row["account_id"]
        balance = c.execute(
            select(func.coalesce(func.sum(balance_ledger.c.amount_minor), 0))
            .where(balance_ledger.c.account_id == account_id)
        ).scalar_one()
        unpaid = c.execute(
            select(bills.c.id, bills.c.amount_minor, bills.c.due_date)
            .where(bills.c.account_id == account_id, bills.c.paid_at.is_(None), bills.c.amount_minor > 0)
            .order_by(bills.c.due_date)
        ).all()
        services = c.execute(
            select(service_bindings.c.service, service_bindings.c.since)
            .where(service_bindings.c.line_id == line_id, service_bindings.c.unbound_at.is_(None))
            .order_by(service_bindings.c.id)
        ).all()
        devs = c.execute(
            select(devices.c.id, devices.c.name, devices.c.imei, devices.c.eid)
            .where(devices.c.line_id == line_id, devices.c.unbound_at.is_(None))
            .order_by(devices.c.id)
        ).all()
        profiles = c.execute(
            select(esim_profiles.c.iccid, esim_profiles.c.eid, esim_profiles.c.state)
            .where(esim_profiles.c.line_id == line_id).order_by(esim_profiles.c.id)
        ).all()
        open_app = c.execute(
            select(applications.c.application_no, applications.c.status)
            .where(applications.c.line_id == line_id, applications.c.status.in_(OPEN_STATUSES))
        ).first()
        other_lines = c.execute(
            select(func.count()).select_from(lines)
            .where(lines.c.account_id == account_id, lines.c.id != line_id, lines.c.status != "closed")
        ).scalar_one()
        return LineFacts(
            line_id=line_id, brand=row["brand_code"], msisdn=row["msisdn"], iccid=row["iccid"],
            kind=row["kind"], payment=row["payment"], status=row["status"],
            number_keeping=row["number_keeping"], customer_id=row["customer_id"], account_id=account_id,
            identity_verified=row["identity_verified"], currency=row["currency"], balance_minor=int(balance),
            contract_start=row["contract_start"], contract_end=row["contract_end"],
            early_termination_fee_minor=row["early_termination_fee_minor"],
            last_sim_change_at=row["last_sim_change_at"], port_out_pending=row["port_out_pending"],
            unpaid_bills=tuple(UnpaidBill(b.id, b.amount_minor, b.due_date) for b in unpaid),
            services=tuple(BoundService(s.service, s.since) for s in services),
            devices=tuple(BoundDevice(d.id, d.name, d.imei[-4:] if d.imei else None, d.eid) for d in devs),
            esim_profiles=tuple(EsimProfile(p.iccid, p.eid, p.state) for p in profiles),
            open_application=OpenApplication(open_app.application_no, open_app.status) if open_app else None,
            other_open_lines_on_account=other_lines,
        )
