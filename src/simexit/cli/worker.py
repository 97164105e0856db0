"""``simexit worker``, ``simexit review retry`` and ``simexit sim …`` (registered from cli.py)."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable

import click

from simexit.cli.common import _app, _out, refusals
from simexit.config import get_settings


@click.command()
@click.option("--once", is_flag=True, help="run until nothing is due, then exit")
@click.option("-v", "--verbose", is_flag=True)
@refusals
def worker(once: bool, verbose: bool) -> None:
    """Run due saga steps, outbox messages and timers (several workers may run at once)."""
    from simexit.bootstrap import InsecureSettings, refuse_insecure_settings, worker_from_settings

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    s = get_settings()
    try:
        refuse_insecure_settings(s)
    except InsecureSettings as e:
        click.echo(f"simexit: {e}", err=True)
        sys.exit(2)
    w = worker_from_settings(_app(), s)
    if once:
        click.echo(f"did {w.run_until_idle()} item(s)")
        return
    signal.signal(signal.SIGTERM, lambda *_: w.stop())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if s.outside_limits:  # enforced per process (integrations/limits.py): each worker process keeps them all
        click.echo(f"outside limits of this worker process: {json.dumps(s.outside_limits)}", err=True)
    click.echo(f"simexit worker {w.worker_id} started", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        w.run_forever()

@click.group()
def review() -> None:
    """Decide applications."""


@review.command("retry")
@click.argument("application_no")
@click.option("--staff", required=True, help="supervisor's user name")
@click.option("--note")
@click.option("--json", "as_json", is_flag=True)
@refusals
def review_retry(application_no: str, staff: str, note: str | None, as_json: bool) -> None:
    """Put an application in needs_attention back to work: its failed step runs again."""
    from simexit.domain.roles import Role
    from simexit.services.access.caller import StaffIdentity
    from simexit.services.execution import commands

    # An operator on the server acts as the supervisor named by --staff, for every brand.
    supervisor = StaffIdentity(id=0, username=staff, display_name=staff, role=Role.SUPERVISOR, brands=("*",))
    _out(commands.retry(_app(), supervisor, application_no, note).to_dict(), as_json,
         lambda o: click.echo(f"{o['application_no']}: executing again from step {o['step']}"))


@review.command("confirm-state")
@click.argument("application_no")
@click.option("--staff", required=True, help="supervisor's user name")
@click.option("--note", required=True, help="what you checked at the outside system")
@click.option("--json", "as_json", is_flag=True)
@refusals
def review_confirm_state(application_no: str, staff: str, note: str, as_json: bool) -> None:
    """After "state uncertain" (an earlier try's answer was lost): you checked the outside system (the SM-DP+)
    and the state the failed step sets is already there. The step runs again and takes the refusal as done."""
    from simexit.domain.roles import Role
    from simexit.services.access.caller import StaffIdentity
    from simexit.services.execution import commands

    supervisor = StaffIdentity(id=0, username=staff, display_name=staff, role=Role.SUPERVISOR, brands=("*",))
    _out(commands.confirm_outside_state(_app(), supervisor, application_no, note).to_dict(), as_json,
         lambda o: click.echo(f"{o['application_no']}: executing again from step {o['step']} (state confirmed)"))

@click.command("steps")
@click.argument("application_no")
@click.option("--json", "as_json", is_flag=True)
@refusals
def steps(application_no: str, as_json: bool) -> None:
    """The closing steps of an application, with their state and last error."""
    from simexit.services.access.caller import System
    from simexit.services.execution import queries

    rows = [v.to_dict() for v in queries.steps(_app(), System(), application_no)]
    _out(rows, as_json, lambda rs: [click.echo(f"{r['step']:<20} {r['state']:<8} attempts={r['attempts']}"
                                               + (f"  {r['last_error']}" if r["last_error"] else ""))
                                    for r in rs])

@click.group()
def sim() -> None:
    """Simulators of outside systems (HTTP on 127.0.0.1; admin API under /_sim)."""

def _serve(names: list[str], port: int, options: dict) -> None:
    from simexit.simulators import hss, smdp  # noqa: F401  (register themselves)
    from simexit.simulators.http_server import SIMULATORS, SimulatorServer

    servers = []
    for i, name in enumerate(names):
        factory = SIMULATORS[name]
        sim_obj = factory(**options.get(name, {}))
        servers.append(SimulatorServer(sim_obj, port + i if port else 0).start())
    click.echo(json.dumps({s.sim.name: s.url for s in servers}), nl=True)
    sys.stdout.flush()
    _run_until_stopped(lambda: [s.stop() for s in servers])

@sim.command("hss")
@click.option("--port", default=0, show_default=True, help="0 = a free port (printed)")
@click.option("--provisioning-key", default=None)
def sim_hss(port: int, provisioning_key: str | None) -> None:
    """A PyHSS-compatible REST server."""
    _serve(["hss"], port, {"hss": {"provisioning_key": provisioning_key}})

@sim.command("smdp")
@click.option("--port", default=0, show_default=True)
@click.option("--lenient", is_flag=True, help="take unknown ICCIDs as Released profiles")
def sim_smdp(port: int, lenient: bool) -> None:
    """An ES2+ SM-DP+ server."""
    _serve(["smdp"], port, {"smdp": {"lenient": lenient}})

@sim.command("seed")
@refusals
def sim_seed() -> None:
    """Load simexit's open lines into the HSS, SM-DP+ and BSS simulators (SIMEXIT_PYHSS_URL, SIMEXIT_SMDP_URL,
    SIMEXIT_BSS_URL)."""
    import httpx

    from simexit.demo.simulator_seed import bss_records, simulator_records

    s = get_settings()
    app = _app()
    hss, smdp = simulator_records(app)
    bss = bss_records(app)
    with httpx.Client(timeout=10) as c:
        c.post(f"{s.pyhss_url.rstrip('/')}/_sim/seed", json=hss).raise_for_status()
        c.post(f"{s.smdp_url.rstrip('/')}/_sim/seed", json=smdp).raise_for_status()
        c.post(f"{s.bss_url.rstrip('/')}/_sim/seed", json=bss).raise_for_status()
    click.echo(f"seeded {len(hss)} subscriber(s) into the HSS, {len(smdp)} profile(s) into the SM-DP+ and "
               f"{len(bss['products'])} product(s) into the BSS")

@sim.command("all")
@click.option("--free-ports", is_flag=True, help="free ports instead of those in the settings")
def sim_all(free_ports: bool) -> None:
    """HSS, SM-DP+, SMS gateway, payment system, mail sink, BSS and range holder at once, on the ports the
    settings point simexit to (SIMEXIT_PYHSS_URL, _SMDP_URL, _SMS_GATEWAY_URL, _PAYMENTS_URL, _SMTP_PORT,
    _MAIL_SINK_PAGE_PORT, _BSS_URL, _NUMBER_RETURN_URL (default port 8034)); prints a JSON map name → URL."""
    from simexit.simulators.all_simulators import start_all

    running = start_all(get_settings(), free_ports=free_ports)
    click.echo(json.dumps(running.urls), nl=True)
    sys.stdout.flush()
    _run_until_stopped(running.stop)


def _run_until_stopped(stop_all: Callable[[], object]) -> None:
    """Wait for SIGTERM or Ctrl-C, then stop the simulators."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stop_all()
