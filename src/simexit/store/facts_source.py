"""The default FactsSource: simexit's own database.

``many_line_facts`` gathers the facts of many lines with at most five queries, whatever the number of lines,
so that a bulk closure never issues queries per line; ``line_facts`` is the same code for one line.
The statements are built once (expanding bind parameters): building a SELECT costs more than running
it on an indexed column, and the pre-check is on the hot path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, exists, func, select

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

_MSISDNS = bindparam("msisdns", expanding=True)
_LINE_IDS = bindparam("line_ids", expanding=True)
_ACCOUNT_IDS = bindparam("account_ids", expanding=True)
_other = lines.alias("other")
_open = applications.alias("open_app")

_LINES = (
    select(
        lines, brands.c.code.label("brand_code"), accounts.c.customer_id, accounts.c.currency,
        customers.c.identity_verified,
        select(func.coalesce(func.sum(balance_ledger.c.amount_minor), 0))
        .where(balance_ledger.c.account_id == lines.c.account_id).scalar_subquery().label("balance_minor"),
        select(func.count()).select_from(_other)
        .where(_other.c.account_id == lines.c.account_id, _other.c.id != lines.c.id, _other.c.status != "closed")
        .scalar_subquery().label("other_lines"),
        # At most one open application per line (unique partial index): looked up per line by that index. (An
        # outer join was planned as a scan of every open application, once per bulk chunk.)
        select(_open.c.application_no).where(_open.c.line_id == lines.c.id, _open.c.status.in_(OPEN_STATUSES))
        .scalar_subquery().label("open_no"),
        select(_open.c.status).where(_open.c.line_id == lines.c.id, _open.c.status.in_(OPEN_STATUSES))
        .scalar_subquery().label("open_status"),
        # Most lines have no unpaid bill, binding or device: these flags (index lookups) spare the queries
        # of the lists that are empty.
        exists().where(bills.c.account_id == lines.c.account_id, bills.c.paid_at.is_(None), bills.c.amount_minor > 0)
        .label("any_unpaid"),
        exists().where(service_bindings.c.line_id == lines.c.id, service_bindings.c.unbound_at.is_(None))
        .label("any_service"),
        exists().where(devices.c.line_id == lines.c.id, devices.c.unbound_at.is_(None)).label("any_device"),
        exists().where(esim_profiles.c.line_id == lines.c.id).label("any_profile"),
    )
    .join(brands, brands.c.id == lines.c.brand_id)
    .join(accounts, accounts.c.id == lines.c.account_id)
    .join(customers, customers.c.id == accounts.c.customer_id)
    .where(lines.c.msisdn.in_(_MSISDNS))
)
_UNPAID = (
    select(bills.c.account_id, bills.c.id, bills.c.amount_minor, bills.c.due_date)
    .where(bills.c.account_id.in_(_ACCOUNT_IDS), bills.c.paid_at.is_(None), bills.c.amount_minor > 0)
    .order_by(bills.c.due_date, bills.c.id)
)
_SERVICES = (
    select(service_bindings.c.line_id, service_bindings.c.service, service_bindings.c.since)
    .where(service_bindings.c.line_id.in_(_LINE_IDS), service_bindings.c.unbound_at.is_(None))
    .order_by(service_bindings.c.id)
)
_DEVICES = (
    select(devices.c.line_id, devices.c.id, devices.c.name, devices.c.imei, devices.c.eid)
    .where(devices.c.line_id.in_(_LINE_IDS), devices.c.unbound_at.is_(None))
    .order_by(devices.c.id)
)
_PROFILES = (
    select(esim_profiles.c.line_id, esim_profiles.c.iccid, esim_profiles.c.eid, esim_profiles.c.state)
    .where(esim_profiles.c.line_id.in_(_LINE_IDS)).order_by(esim_profiles.c.id)
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
        rows = c.execute(_LINES, {"msisdns": list(msisdns)}).mappings().all()
        if not rows:
            return {}

        def ids(flag: str, key: str = "id") -> list[int]:
            return list({r[key] for r in rows if r[flag]})

        unpaid: dict[int, list[UnpaidBill]] = defaultdict(list)
        services: dict[int, list[BoundService]] = defaultdict(list)
        devs: dict[int, list[BoundDevice]] = defaultdict(list)
        profiles: dict[int, list[EsimProfile]] = defaultdict(list)
        if wanted := ids("any_unpaid", "account_id"):
            for b in c.execute(_UNPAID, {"account_ids": wanted}):
                unpaid[b.account_id].append(UnpaidBill(b.id, b.amount_minor, b.due_date))
        if wanted := ids("any_service"):
            for s in c.execute(_SERVICES, {"line_ids": wanted}):
                services[s.line_id].append(BoundService(s.service, s.since))
        if wanted := ids("any_device"):
            for d in c.execute(_DEVICES, {"line_ids": wanted}):
                devs[d.line_id].append(BoundDevice(d.id, d.name, d.imei[-4:] if d.imei else None, d.eid))
        if wanted := ids("any_profile"):
            for p in c.execute(_PROFILES, {"line_ids": wanted}):
                profiles[p.line_id].append(EsimProfile(p.iccid, p.eid, p.state))

        out: dict[str, LineFacts] = {}
        for row in rows:
            line_id, account_id = row["id"], row["account_id"]
            out[row["msisdn"]] = LineFacts(
                line_id=line_id, brand=row["brand_code"], msisdn=row["msisdn"], iccid=row["iccid"],
                kind=row["kind"], payment=row["payment"], status=row["status"],
                number_keeping=row["number_keeping"], customer_id=row["customer_id"], account_id=account_id,
                identity_verified=row["identity_verified"], currency=row["currency"],
                balance_minor=int(row["balance_minor"] or 0),
                contract_start=row["contract_start"], contract_end=row["contract_end"],
                early_termination_fee_minor=row["early_termination_fee_minor"],
                last_sim_change_at=row["last_sim_change_at"], port_out_pending=row["port_out_pending"],
                unpaid_bills=tuple(unpaid.get(account_id, ())),
                services=tuple(services.get(line_id, ())),
                devices=tuple(devs.get(line_id, ())),
                esim_profiles=tuple(profiles.get(line_id, ())),
                open_application=(OpenApplication(row["open_no"], row["open_status"]) if row["open_no"] else None),
                other_open_lines_on_account=row["other_lines"],
            )
        return out
