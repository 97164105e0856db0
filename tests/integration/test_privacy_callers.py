"""Issue 11: every privacy command and query checks its caller first, and finds nothing outside the caller's
reach (customer: their own data, with the second factor to ask for an export; staff: their brands and role;
simexit itself: the worker's and operators' jobs)."""

from datetime import timedelta

import pytest

from simexit.domain.errors import DomainError
from simexit.domain.roles import Role
from simexit.services.access.caller import CustomerSession, Public, StaffIdentity, System
from simexit.services.privacy import commands, queries
from simexit.store import customer_records
from tests.audit_fixtures import rich_customer


def _customer(app, c, *, second_factor: bool = True) -> CustomerSession:
    with app.db.read() as conn:
        cid = customer_records.customer_for_msisdn(conn, c["msisdn"])
    now = app.clock.now()
    return CustomerSession(1, cid, c["msisdn"], now + timedelta(hours=1),
                           now + timedelta(minutes=10) if second_factor else None)


def _refused(code: str, fn, *args, **kw) -> None:
    with pytest.raises(DomainError) as e:
        fn(*args, **kw)
    assert e.value.code == code, e.value


def test_an_export_is_asked_for_by_the_customer_with_the_second_factor_or_by_staff_within_their_brands(app, tmp_path):
    app.export_dir = tmp_path
    c = rich_customer(app, "huaxin", usage=0)
    _refused("SECOND_FACTOR_REQUIRED", commands.request_export, app, _customer(app, c, second_factor=False))
    reviewer = StaffIdentity(1, "rita", "Rita", Role.REVIEWER, ("huaxin",))
    _refused("ROLE_NOT_PERMITTED", commands.request_export, app, reviewer, c["msisdn"])
    outsider = StaffIdentity(2, "otto", "Otto", Role.AGENT, ("roamly",))
    _refused("LINE_NOT_FOUND", commands.request_export, app, outsider, c["msisdn"])
    _refused("CALLER_NOT_PERMITTED", commands.request_export, app, Public("10.0.0.1"), c["msisdn"])
    view = commands.request_export(app, _customer(app, c))
    agent = StaffIdentity(3, "ann", "Ann", Role.AGENT, ("huaxin",))
    assert commands.request_export(app, agent, c["msisdn"]).export_id == view.export_id  # the one waiting

    other = rich_customer(app, "huaxin", usage=0, name="李四", email="li@example.net", phone="+8613600000000")
    _refused("EXPORT_NOT_FOUND", queries.export, app, _customer(app, other), view.export_id)
    _refused("EXPORT_NOT_FOUND", queries.export, app, outsider, view.export_id)
    assert queries.export(app, agent, view.export_id).state == "requested"
    assert queries.latest_export(app, _customer(app, c)).export_id == view.export_id
    assert queries.latest_export(app, _customer(app, other)) is None

    _refused("CALLER_NOT_PERMITTED", commands.build_export, app, agent, view.export_id)
    assert commands.build_export(app, System(), view.export_id).state == "ready"
    assert queries.open_download(app, Public("10.0.0.1"), queries.export(app, agent, view.export_id)
                                 .download_token).export_id == view.export_id


def test_jobs_of_simexit_itself_refuse_everyone_else(app):
    admin = StaffIdentity(1, "ada", "Ada", Role.ADMIN, ("*",))
    for fn in (commands.erase_due, commands.expire_exports, commands.write_audit_checkpoint, queries.verify_audit):
        _refused("CALLER_NOT_PERMITTED", fn, app, admin)
    assert queries.verify_audit(app, System()).intact
    assert commands.erase_due(app, System()).done == []


def test_audit_entries_are_shown_to_staff_of_the_applications_brand(app):
    c = rich_customer(app, "huaxin", usage=0)
    own = StaffIdentity(1, "rita", "Rita", Role.REVIEWER, ("huaxin",))
    outsider = StaffIdentity(2, "otto", "Otto", Role.REVIEWER, ("roamly",))
    assert [e.action for e in queries.audit_entries(app, own, c["application_no"])][:1] == ["application.submitted"]
    _refused("APPLICATION_NOT_FOUND", queries.audit_entries, app, outsider, c["application_no"])
    _refused("CALLER_NOT_PERMITTED", queries.audit_entries, app, _customer(app, c), c["application_no"])
    sup = StaffIdentity(3, "sue", "Sue", Role.SUPERVISOR, ("roamly",))
    assert queries.erasure_plan(app, sup) == []
    _refused("ROLE_NOT_PERMITTED", queries.erasure_plan, app, own)
