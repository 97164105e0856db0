"""Two simexit instances (two databases) sharing one SMS gateway: every sign-in code reaches its phone
(issue 12, item 9). The idempotency key a code's SMS carries to the gateway must be unique across instances,
not the row id of the code (``otp:1`` in both databases made the gateway answer the second instance with the
first one's message)."""

from __future__ import annotations

from sqlalchemy import select

from simexit.bootstrap import integrations_from_settings
from simexit.config import Settings
from simexit.services.access import commands as access
from simexit.services.access.caller import Public
from simexit.services.context import Simexit
from simexit.simulators.sms_gateway import SmsGatewaySimulator
from simexit.store.database import Database
from simexit.store.migrate import upgrade
from simexit.store.tables import outbox
from simexit.worker.runner import Worker
from tests.factories import make_line


def test_two_instances_sharing_an_sms_gateway_each_deliver_their_first_code(app, policies, clock, tmp_path):
    url = f"sqlite:///{tmp_path / 'second-instance.db'}"
    upgrade(url)
    db = Database(url)
    other = Simexit(db=db, policies=dict(policies), clock=clock, secret_key="second-instance-secret-0123",
                    fast_password_hash=True)
    other.sync_brands()
    gateway = SmsGatewaySimulator().start()
    try:
        sent = []
        for instance in (app, other):
            m = make_line(instance, "liuliang")["msisdn"]
            access.start_customer_sign_in(instance, Public("10.0.0.1"), m)
            with instance.db.read() as conn:
                row = conn.execute(select(outbox).where(outbox.c.template == "otp_code")).mappings().one()
            sent.append((m, row["payload"]["code"], row["idempotency_key"]))
            Worker(instance, integrations_from_settings(Settings(sms_gateway_url=gateway.url), instance)
                   ).run_until_idle()
        delivered = {(msg["to"], msg["client_reference"]): msg["text"] for msg in gateway.delivered()}
        assert sent[0][2] != sent[1][2]
        for m, code, key in sent:
            # the provider's key is the outbox row's key plus its own random part (one key per message)
            texts = [text for (to, ref), text in delivered.items() if to == m and ref.startswith(key + ":")]
            assert len(texts) == 1 and code in texts[0], f"the code for {m} never reached the gateway: {delivered}"
    finally:
        gateway.stop()
        db.dispose()
