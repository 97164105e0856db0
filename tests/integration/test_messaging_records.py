"""Refund records and the payout file, relying-party subscriptions, the RND export and query, receipts."""

import csv
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from simexit.domain.errors import DomainError
from simexit.services.access.caller import System
from simexit.services.closure.applications import ApplyRequest, apply
from simexit.services.execution import queries as execution
from simexit.services.execution.receipts import check_receipt_token, receipt_url, render_receipt
from simexit.services.execution.refunds import mark_refund_paid, record_refund
from simexit.services.numbers import commands as numbers_commands
from simexit.services.numbers import queries as numbers
from simexit.services.numbers.relying_parties import active_subscriptions
from simexit.store.tables import applications, lines
from simexit.store.tables_messaging import refunds
from tests.conftest import T0
from tests.factories import make_line

MIDDAY_US = T0 + timedelta(hours=15)  # 2026-11-23 12:00 in New York
ALL = ["NO_REACTIVATION", "DATA_ERASURE", "REFUND", "FEES", "AMOUNT_DUE"]


def closed(app, brand="liuliang", at=T0, balance=123450, complete=True, **kw):
    """A line of ``brand`` with an application, closed at ``at`` (what the closing saga leaves behind)."""
    m = make_line(app, brand, balance=balance, **kw)["msisdn"]
    no = apply(app, ApplyRequest(msisdn=m, channel="online" if brand != "huaxin" else "store",
                                 identity_method="otp", consequences_confirmed=ALL,
                                 refund_method="original_payment")
               ).application_no
    with app.db.write() as conn:
        if complete:
            conn.execute(update(applications).where(applications.c.application_no == no).values(status="completed"))
        conn.execute(update(lines).where(lines.c.msisdn == m).values(status="closed", closed_at=at))
        app_id = conn.execute(select(applications.c.id).where(applications.c.application_no == no)).scalar_one()
    return m, no, app_id


def test_refund_is_recorded_once_and_listed_masked_in_the_payout_file(app, tmp_path):
    _, no, app_id = closed(app)
    with app.db.write() as conn:
        args = dict(application_id=app_id, application_no=no, amount_minor=122450, currency="CNY",
                    method="bank_transfer", destination={"iban_or_account": "6222020200112233", "holder": "张三"},
                    reference=f"{no}:refund", now=T0)
        first = record_refund(conn, **args)
        assert record_refund(conn, **args) == first
        mark_refund_paid(conn, no, "po_000001", T0)
    text, n = execution.payout_file(app, System(), T0.date())
    (tmp_path / "payout.csv").write_text(text, encoding="utf-8")
    rows = list(csv.DictReader((tmp_path / "payout.csv").open(encoding="utf-8")))
    assert n == 1 and rows == [{"application_no": no, "amount_minor": "122450", "currency": "CNY",
                                "method": "bank_transfer", "destination": "****2233", "reference": f"{no}:refund",
                                "date": "2026-11-23", "state": "paid", "payment_ref": "po_000001"}]
    assert "6222020200112233" not in (tmp_path / "payout.csv").read_text()
    assert execution.payouts(app, System(), T0.date() + timedelta(days=1)) == []
    with app.db.write() as conn, pytest.raises(DomainError):
        record_refund(conn, **{**args, "amount_minor": 0})


def test_a_refund_recorded_as_paid_is_one_row_made_paid_and_a_repeat_keeps_it(app):
    """The closing saga records its refund after the payment system paid it: the row is made paid at once, and
    a repeat (the step tried again) finds it and leaves one row, paid with the latest reference."""
    _, no, app_id = closed(app)
    args = dict(application_id=app_id, application_no=no, amount_minor=5000, currency="CNY",
                method="original_payment", destination=None, reference=f"{no}:refund", now=T0)
    with app.db.write() as conn:
        first = record_refund(conn, **args, paid="po_1")
    with app.db.write() as conn:
        assert record_refund(conn, **args, paid="po_1") == first
        rows = conn.execute(select(refunds.c.id, refunds.c.state, refunds.c.payment_ref, refunds.c.paid_at)
                            .where(refunds.c.application_id == app_id)).all()
    assert [tuple(r) for r in rows] == [(first, "paid", "po_1", T0)]


def test_relying_parties_add_list_remove(app):
    added = numbers_commands.subscribe(app, System(), "icbc", "https://hooks.icbc.example/simexit")
    assert len(added.secret) >= 32
    with pytest.raises(DomainError) as e:
        numbers_commands.subscribe(app, System(), "icbc", "https://other.example")
    assert e.value.code == "RELYING_PARTY_EXISTS"
    with pytest.raises(DomainError) as e:
        numbers_commands.subscribe(app, System(), "x", "ftp://nope")
    assert e.value.code == "RELYING_PARTY_URL_INVALID"
    numbers_commands.subscribe(app, System(), "alipay", "https://alipay.example/h", "s" * 32)
    listed = [v.to_dict() for v in numbers.subscriptions(app, System())]
    assert [p["name"] for p in listed] == ["alipay", "icbc"]
    assert "secret" not in listed[0]
    numbers_commands.unsubscribe(app, System(), "icbc")
    assert [s.name for s in active_subscriptions(app)] == ["alipay"]
    assert active_subscriptions(app)[0].secret == "s" * 32
    assert [p.active for p in numbers.subscriptions(app, System(), include_removed=True)] == [True, False]
    with pytest.raises(DomainError):
        numbers_commands.unsubscribe(app, System(), "icbc")
    assert numbers_commands.subscribe(app, System(), "icbc", "https://new.icbc.example").url == "https://new.icbc.example"


def test_rnd_export_uses_the_brand_local_date(app, tmp_path):
    # 2026-11-30 20:00 UTC is already 1 December in Beijing, still 30 November in Washington.
    from datetime import UTC, datetime
    late = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    cn, _, _ = closed(app, "liuliang", at=late)
    us, _, _ = closed(app, "roamly", at=late)
    early, _, _ = closed(app, "roamly", at=MIDDAY_US)
    make_line(app, "roamly")  # an active line is never exported
    assert [r.to_dict() for r in numbers.permanent_disconnects(app, System(), "2026-11")] == [
        {"number": early, "permanent_disconnect_date": "2026-11-23", "brand": "roamly"},
        {"number": us, "permanent_disconnect_date": "2026-11-30", "brand": "roamly"}]
    assert numbers.rnd_export(app, System(), "2026-12") == (f"number,permanent_disconnect_date\n{cn},2026-12-01\n", 1)


def test_was_disconnected_yes_no_no_data(app):
    m, _, _ = closed(app, "roamly", at=MIDDAY_US)
    active = make_line(app, "roamly", activated_at="2025-01-01T00:00:00+00:00")["msisdn"]
    new = make_line(app, "roamly", activated_at="2026-10-01T00:00:00+00:00")["msisdn"]
    assert numbers.was_disconnected(app, System(), m, date(2026, 11, 1)) == "yes"
    assert numbers.was_disconnected(app, System(), m, date(2026, 11, 23)) == "yes"  # on the date counts
    assert numbers.was_disconnected(app, System(), m, date(2026, 11, 24)) == "no"
    assert numbers.was_disconnected(app, System(), active, date(2026, 1, 1)) == "no"
    # its history before October is not ours
    assert numbers.was_disconnected(app, System(), new, date(2026, 1, 1)) == "no_data"
    assert numbers.was_disconnected(app, System(), new, date(2026, 10, 2)) == "no"
    assert numbers.was_disconnected(app, System(), "+12025559999", date(2026, 1, 1)) == "no_data"


def test_receipt_in_both_languages_with_exact_amounts(app):
    m, no, app_id = closed(app, "liuliang", balance=123450)
    with app.db.write() as conn:
        record_refund(conn, application_id=app_id, application_no=no, amount_minor=123450, currency="CNY",
                      method="bank_transfer", destination={"iban_or_account": "6222020200112233"},
                      reference=f"{no}:refund", now=T0)
    with app.db.read() as conn:
        quote = conn.execute(select(applications.c.quote).where(applications.c.id == app_id)).scalar_one()
    zh = render_receipt(app, no, "zh-CN")
    en = render_receipt(app, no, "en")
    assert no in zh and no in en
    assert m not in zh and m[:6] + "****" + m[-4:] in zh  # the line is masked
    assert '<td class="amount" id="amount-balance">¥1,234.50</td>' in zh
    assert '<td class="amount" id="amount-refund">CN¥1,234.50</td>' in en
    assert "注销证明" in zh and "Certificate of cancellation" in en
    assert "2026年11月23日" in zh and "Bank transfer ****2233" in en and "银行转账 ****2233" in zh
    assert quote["cancellation_fee_minor"] == 0 and "amount-cancellation_fee" not in en
    de = render_receipt(app, no, "de")  # issue 14, item 9: the certificate in German, amounts as Germans write them
    assert '<html lang="de">' in de and "Kündigungsbestätigung" in de and "Banküberweisung ****2233" in de
    assert '<td class="amount" id="amount-balance">1.234,50\xa0CN¥</td>' in de
    assert "bank_transfer" not in zh + en + de


def test_receipt_names_the_original_payment_method_in_words(app):
    """Issue 14, item 8: "Refund to: original_payment original_payment" on a zh-CN certificate."""
    _, no, app_id = closed(app, "liuliang", balance=5000)
    with app.db.write() as conn:
        record_refund(conn, application_id=app_id, application_no=no, amount_minor=5000, currency="CNY",
                      method="original_payment", destination=None, reference=f"{no}:refund", now=T0)
    zh, en = render_receipt(app, no, "zh-CN"), render_receipt(app, no, "en")
    assert "<td>原支付方式</td>" in zh and "<td>The original payment method</td>" in en
    assert "original_payment" not in zh + en


def test_receipt_exists_only_once_completed_and_its_link_is_keyed(app):
    _, no, _ = closed(app, complete=False)
    with pytest.raises(DomainError) as e:
        render_receipt(app, no, "en")
    assert e.value.code == "RECEIPT_NOT_AVAILABLE"
    url = receipt_url(app, "https://care.example/", no)
    token = url.rsplit("=", 1)[1]
    assert url.startswith(f"https://care.example/receipts/{no}?t=") and check_receipt_token(app, no, token)
    assert not check_receipt_token(app, no, "0" * 20)


def test_cli_commands(app, tmp_path, monkeypatch):
    from simexit.cli.main import main

    monkeypatch.setenv("SIMEXIT_DATABASE_URL", app.db.url)
    monkeypatch.setenv("SIMEXIT_SECRET_KEY", app.secret_key)
    from simexit.config import get_settings
    get_settings.cache_clear()
    m, no, _ = closed(app, "roamly", at=MIDDAY_US)
    r = CliRunner()
    res = r.invoke(main, ["rnd", "export", "--month", "2026-11", "--out", str(tmp_path / "rnd.csv")])
    assert res.exit_code == 0, res.output
    assert m in (tmp_path / "rnd.csv").read_text()
    res = r.invoke(main, ["rnd", "query", m, "--since", "2026-11-01", "--json"])
    assert res.exit_code == 0 and '"answer": "yes"' in res.output
    assert r.invoke(main, ["rnd", "export", "--month", "2026-13", "--out", str(tmp_path / "x")]).exit_code == 2
    res = r.invoke(main, ["receipt", no, "--lang", "en", "--out", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    assert no in (tmp_path / "r.html").read_text()
    res = r.invoke(main, ["refunds", "payout-file", "--date", "2026-11-23", "--out", str(tmp_path / "p.csv")])
    assert res.exit_code == 0 and "0 refund(s)" in res.output
    res = r.invoke(main, ["relying-parties", "add", "bank", "https://bank.example/h"])
    assert res.exit_code == 0 and "signing secret:" in res.output
    assert r.invoke(main, ["relying-parties", "add", "bank", "https://bank.example/h"]).exit_code == 2
    assert "bank" in r.invoke(main, ["relying-parties", "list"]).output
    assert r.invoke(main, ["relying-parties", "remove", "bank"]).exit_code == 0
    get_settings.cache_clear()
