"""The one composition root: settings → database, clock, policies, integrations, worker, HTTP app.

Every door builds its dependencies here — ``simexit.asgi``, the CLI, the worker, the benchmarks and the tests'
fixtures (which pass their own database and clock). Nothing below this module chooses an implementation:
``integrations/`` holds the clients and the ``Integrations`` bundle, ``services/`` the use cases that receive
them, ``worker/`` the loop that runs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simexit.clock import Clock, SystemClock
from simexit.config import DEMO_SECRET_KEY, MIN_SECRET_KEY_LENGTH, Settings, get_settings
from simexit.domain.policy import Policy, load_policies
from simexit.integrations.messaging.base import MessageSender
from simexit.integrations.relying_parties.base import DisconnectNotifier, NumberReturnHook
from simexit.integrations.wiring import (
    Integrations,
    default_refund_gateway,
    facts_from_settings,
    network_from_settings,
    orders_from_settings,
    plugin,
    smdp_from_settings,
)
from simexit.services.context import Simexit
from simexit.store.database import Database

if TYPE_CHECKING:
    from fastapi import FastAPI

    from simexit.worker.assembly import EmbeddedWorker
    from simexit.worker.runner import Worker


class InsecureSettings(Exception):
    """The settings are not safe to serve with; the message says what to set."""


def refuse_insecure_settings(s: Settings) -> None:
    """Raise InsecureSettings when ``s`` is not fit for serving: the public default secret key, or a short one,
    outside demo mode (SIMEXIT_DEMO=1). Tokens (receipts, export downloads) and ID hashes are HMACs under it."""
    if s.demo:
        return
    if s.secret_key == DEMO_SECRET_KEY:
        raise InsecureSettings("SIMEXIT_SECRET_KEY is the public demo default; set your own secret (at least "
                               f"{MIN_SECRET_KEY_LENGTH} characters, e.g. `python -c 'import secrets; "
                               "print(secrets.token_urlsafe(48))'`), or set SIMEXIT_DEMO=1 for a demo")
    if len(s.secret_key) < MIN_SECRET_KEY_LENGTH:
        raise InsecureSettings(f"SIMEXIT_SECRET_KEY has {len(s.secret_key)} characters; it needs at least "
                               f"{MIN_SECRET_KEY_LENGTH} (or set SIMEXIT_DEMO=1 for a demo)")


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None, db: Database | None = None,
              policies: dict[str, Policy] | None = None, migrate: bool = False,
              fast_password_hash: bool = False) -> Simexit:
    """The use cases' shared context: policies checked (or those given), the database (migrated if asked), the
    brands table in sync. Tests pass their own database, clock and loaded policies."""
    s = settings or get_settings()
    policies = dict(policies) if policies is not None else load_policies(s.policy_dir)
    database = db or Database(s.database_url, pool_size=s.db_pool_size)
    if migrate:
        from simexit.store.migrate import upgrade

        upgrade(database.url)
    app = Simexit(db=database, policies=policies, clock=clock or SystemClock(), secret_key=s.secret_key,
                  export_dir=s.export_dir, export_ttl_hours=s.export_ttl_hours, public_base_url=s.public_base_url,
                  fast_password_hash=fast_password_hash,
                  audit_chain_key=s.audit_chain_key, audit_signing_key=s.audit_signing_key,
                  audit_verify_key=s.audit_verify_key, audit_checkpoint_file=s.audit_checkpoint_file,
                  audit_checkpoint_entries=s.audit_checkpoint_entries,
                  audit_checkpoint_seconds=s.audit_checkpoint_minutes * 60,
                  facts_source=facts_from_settings(s))
    app.sync_brands()
    return app


def default_disconnect_notifier(s: Settings, app: Simexit) -> DisconnectNotifier:
    from simexit.integrations.relying_parties.webhooks import WebhookDisconnectNotifier
    from simexit.services.numbers.relying_parties import active_subscriptions

    return WebhookDisconnectNotifier(lambda: active_subscriptions(app), timeout_s=s.relying_party_timeout_s)


def integrations_from_settings(s: Settings, app: Simexit | None = None) -> Integrations:
    """The clients for ``s`` (see ``simexit.integrations.wiring``). ``app`` gives the default relying-party
    notifier its subscriptions; without it (and without ``SIMEXIT_DISCONNECT_NOTIFIER``) the relying-parties
    step refuses with NOT_CONFIGURED."""
    from simexit.integrations.messaging.senders import message_senders

    senders: dict[str, MessageSender] = message_senders(s)
    senders.update({kind: plugin("sender", name, s) for kind, name in s.message_senders.items()})
    if s.disconnect_notifier:
        notifier = plugin("notifier", s.disconnect_notifier, s)
    else:
        notifier = default_disconnect_notifier(s, app) if app is not None else None
    return Integrations(
        network=network_from_settings(s),
        smdp=smdp_from_settings(s),
        senders=senders,
        refunds=plugin("refunds", s.refund_gateway, s) if s.refund_gateway else default_refund_gateway(s),
        notifier=notifier,
        number_return=number_return_hook(s),
        orders=orders_from_settings(s),
    )


def number_return_hook(s: Settings) -> NumberReturnHook | None:
    """The hook that returns ported-in numbers to their range holder (none unless SIMEXIT_NUMBER_RETURN_URL)."""
    if not s.number_return_url:
        return None
    from simexit.integrations.relying_parties.range_holder import HttpNumberReturnHook

    return HttpNumberReturnHook(s.number_return_url, s.number_return_secret or "",
                                timeout_s=s.relying_party_timeout_s)


def worker_from_settings(app: Simexit, settings: Settings, integrations: Integrations | None = None) -> Worker:
    """A worker for ``simexit worker`` and the one embedded in ``simexit serve``: the integrations chosen by
    configuration (or those given); what it runs is listed in ``worker/registry.py``."""
    from simexit.integrations import limits
    from simexit.worker.runner import Worker, WorkerOptions

    limits.configure(settings.outside_limits)  # per process: this worker's share of each contract's limits
    return Worker(app, integrations or integrations_from_settings(settings, app), WorkerOptions.from_settings(settings))


def embedded_worker(app: Simexit, settings: Settings) -> EmbeddedWorker:
    """The worker of ``simexit serve``, not yet started."""
    from simexit.worker.assembly import EmbeddedWorker

    return EmbeddedWorker(worker_from_settings(app, settings))


def web_app(ctx: Simexit | None = None, settings: Settings | None = None) -> FastAPI:
    """The HTTP application: the REST API and the portal and console on one FastAPI app."""
    from fastapi import FastAPI

    from simexit import __version__
    from simexit.api import install as install_api
    from simexit.web import install as install_web

    simexit = ctx or bootstrap(settings)
    app = FastAPI(title="simexit", version=__version__, openapi_url="/openapi.json", docs_url="/api/docs",
                  redoc_url=None)
    app.state.simexit = simexit
    install_api(app)
    install_web(app)
    return app
