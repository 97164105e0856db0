"""Bulk and import use cases check their caller first: staff within their role and brands, System for what runs
on the server, nobody else."""

import pytest

from simexit.domain.errors import Forbidden, NotFound
from simexit.domain.roles import Role
from simexit.services.access.caller import Public, StaffIdentity, System
from simexit.services.bulk import commands, queries
from simexit.services.imports import commands as imports
from tests.factories import make_line

CLERK = StaffIdentity(id=1, username="carla", display_name="Carla", role=Role.STORE_CLERK, brands=("hansanet",))
OTHER_CLERK = StaffIdentity(id=2, username="cem", display_name="Cem", role=Role.STORE_CLERK, brands=("hansanet",))
REVIEWER = StaffIdentity(id=3, username="rita", display_name="Rita", role=Role.REVIEWER, brands=("hansanet",))
FOREIGN = StaffIdentity(id=4, username="hua", display_name="Hua", role=Role.REVIEWER, brands=("huaxin",))
NOBODY = Public("203.0.113.9")


def test_staff_start_within_their_role_and_system_runs(app, tmp_path):
    f = tmp_path / "fleet.csv"
    f.write_text("msisdn\n" + make_line(app, "hansanet")["msisdn"] + "\n", encoding="utf-8")
    opts = commands.intake_options(CLERK, "store", "id_document_inspected")
    assert opts.staff_ref == "carla" and opts.brands == ["hansanet"]
    with pytest.raises(Forbidden) as e:
        commands.intake_options(CLERK, "hotline", "service_password")
    assert e.value.code == "CHANNEL_NOT_ALLOWED_FOR_ROLE"
    with pytest.raises(Forbidden) as e:
        commands.intake_options(REVIEWER, "store", "id_document_inspected")
    assert e.value.code == "ROLE_NOT_PERMITTED"
    for who in (NOBODY, OTHER_CLERK):  # nobody, and another clerk with options made for Carla
        with pytest.raises(Forbidden):
            commands.start(app, who, f, opts)
    batch = commands.start(app, CLERK, f, opts)
    for who in (CLERK, REVIEWER, NOBODY):
        with pytest.raises(Forbidden):
            commands.run(app, who, batch.batch_id, f)
    assert commands.run(app, System(), batch.batch_id, f).to_dict()["counts"] == {"applied": 1}

    assert queries.progress(app, REVIEWER, batch.batch_id).done == 1
    assert queries.progress(app, System(), batch.batch_id).state == "done"
    with pytest.raises(NotFound) as e:
        queries.results(app, FOREIGN, batch.batch_id)
    assert e.value.code == "BATCH_NOT_FOUND"
    with pytest.raises(Forbidden):
        queries.progress(app, NOBODY, batch.batch_id)
    with pytest.raises(Forbidden):
        commands.approve(app, CLERK, batch.batch_id)
    with pytest.raises(NotFound):
        commands.approve(app, FOREIGN, batch.batch_id)
    assert commands.approve(app, REVIEWER, batch.batch_id).approved in (0, 1)


def test_only_system_imports(app):
    for who in (CLERK, NOBODY):
        with pytest.raises(Forbidden):
            imports.import_jsonl(app, who, [])
    assert imports.import_jsonl(app, System(), []).to_dict() == {"imported": {}}
