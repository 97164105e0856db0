"""Issue 17, item 5: an operator's package, installed into the venv, provides a facts source, a refund gateway,
an SMS sender and a network adapter through the entry-point group ``simexit.integrations``; the settings choose
them by name and simexit runs them, without a change to its code.

The package is tests/plugins/simexit-example-plugin (its own pyproject.toml). ``scripts/setup`` installs it;
when it is missing (a venv made before), this module installs it with pip first."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from simexit.bootstrap import bootstrap, integrations_from_settings
from simexit.config import Settings
from simexit.integrations.wiring import registered
from simexit.services.closure.precheck import precheck
from simexit.worker.runner import Worker, WorkerOptions
from tests.simulated_world import apply_for, clean_line

PACKAGE = Path(__file__).resolve().parents[1] / "plugins" / "simexit-example-plugin"


def _installed() -> bool:
    try:
        md.distribution("simexit-example-plugin")
    except md.PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def example_plugin():
    if not _installed():
        # With build isolation pip fetches setuptools from the configured index (PyPI in CI, a mirror here),
        # unless the venv can build it already (setuptools and wheel installed).
        offline = all(importlib.util.find_spec(m) for m in ("setuptools", "wheel"))
        isolation = ["--no-build-isolation"] if offline else []
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *isolation, str(PACKAGE)],
                       check=True)
        importlib.invalidate_caches()
    assert _installed()
    return importlib.import_module("simexit_example_plugin")


def test_the_plugin_is_registered_in_the_group(example_plugin):
    names = registered()
    assert names["facts.example"] == "simexit_example_plugin:facts"
    assert {"refunds.example", "sender.example", "network.example"} <= set(names)


def test_a_closure_runs_on_the_plugin_chosen_by_name(app, database, policies, clock, example_plugin):
    settings = Settings(database_url=database.url, secret_key="x" * 32, facts_source="example", network="example",
                        refund_gateway="example", message_senders={"sms": "example"})
    ctx = bootstrap(settings, db=database, clock=clock, policies=policies, fast_password_hash=True)
    # balance 1.00 in simexit's tables; globetalk tells its decisions by SMS too (the plug-in's sender)
    line = clean_line(ctx, "globetalk", balance=100, kind="sim")
    pc = precheck(ctx, line["msisdn"])
    assert pc.facts.extra["source"] == "example-plugin"
    assert pc.quote.balance_minor == example_plugin.BALANCE_MINOR  # the plug-in's billing, not the table

    integrations = integrations_from_settings(settings, ctx)
    assert type(integrations.network).__module__ == "simexit_example_plugin"
    assert type(integrations.refund_gateway()).__module__ == "simexit_example_plugin"
    assert type(integrations.sender("sms")).__module__ == "simexit_example_plugin"
    assert type(integrations.sender("email")).__name__ == "SmtpSender"  # the built-in where none is named

    number = apply_for(ctx, line["msisdn"])
    example_plugin.NETWORK.clear()
    Worker(ctx, integrations, WorkerOptions(backoff_seconds=1, max_attempts=2)).run_until_idle()
    assert [("bar", line["msisdn"]), ("deregister", line["msisdn"]),
                                      ("delete", line["msisdn"])] == example_plugin.NETWORK
    assert any(m.payload.get("application_no") == number for m in example_plugin.SENT)
