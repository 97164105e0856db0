from sqlalchemy import select

from simexit.services.execution.outbox import enqueue, message_payload
from simexit.store.tables import outbox


def test_same_key_is_stored_once_and_rolls_back_with_its_transaction(app, clock):
    with app.db.write() as conn:
        a = enqueue(conn, kind="sms", recipient="+8613900000001", template="otp_code", payload={"code": "1"},
                    idempotency_key="k1", now=clock.now())
        b = enqueue(conn, kind="sms", recipient="+8613900000001", template="otp_code", payload={"code": "2"},
                    idempotency_key="k1", now=clock.now())
    assert a == b
    try:
        with app.db.write() as conn:
            enqueue(conn, kind="email", recipient="a@example.com", template="x", payload={}, idempotency_key="k2",
                    now=clock.now())
            raise RuntimeError("the state change failed")
    except RuntimeError:
        pass
    with app.db.read() as conn:
        rows = conn.execute(select(outbox.c.idempotency_key, outbox.c.payload, outbox.c.state)).all()
    assert [(r.idempotency_key, message_payload(r.payload), r.state) for r in rows] == [
        ("k1", {"code": "1"}, "pending")]
    assert rows[0].payload["provider_key"].startswith("k1:")  # drawn once, when the message was first stored
