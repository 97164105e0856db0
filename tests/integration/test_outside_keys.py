"""Issue 12 item 9: every idempotency key that leaves simexit is unique across simexit instances that share a
provider. Two instances are played here by one database emptied between them (so row ids repeat, as they do
in two fresh databases) and, for the saga, the same application number drawn twice (40 random bits do repeat
across instances at scale). Before the fix the sign-in code of the second instance went out as ``otp:1``
again, and every saga step's key was ``<application no>:<step>``."""

from __future__ import annotations

from simexit.domain.application_number import new_application_number
from simexit.services.access import commands as access
from simexit.services.access.caller import Public
from simexit.worker.runner import Worker, WorkerOptions
from tests.conftest import _empty
from tests.simulated_world import apply_for, clean_line

NUMBER = new_application_number()  # drawn once: both instances give it to their application


def _instance_run(app, sims, monkeypatch) -> set[str]:
    """Close one line and send one sign-in code; every key the providers saw."""
    import simexit.services.closure.applications as applications

    monkeypatch.setattr(applications, "new_application_number", lambda: NUMBER)
    sims.post(sims.hss, "reset", {})
    sims.post(sims.smdp, "reset", {})
    sims.recorder.calls.clear()
    line = clean_line(app, "globetalk", balance=3000)
    sims.seed_line(app, line["msisdn"])
    assert apply_for(app, line["msisdn"]) == NUMBER
    access.start_customer_sign_in(app, Public("198.51.100.7"), line["msisdn"])
    Worker(app, sims.integrations(), WorkerOptions(backoff_seconds=1)).run_until_idle()
    keys = {c["key"] for c in sims.recorder.calls}
    keys |= {e["operation_id"] for e in sims.effects(sims.hss) if e.get("operation_id")}
    assert any(k.startswith("otp:") for k in keys) and len(keys) >= 6, keys
    return keys


def test_no_outside_key_repeats_across_two_instances(app, sims, monkeypatch):
    first = _instance_run(app, sims, monkeypatch)
    _empty(app.db)
    app.sync_brands()
    second = _instance_run(app, sims, monkeypatch)
    assert first.isdisjoint(second), sorted(first & second)
