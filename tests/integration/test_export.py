import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from simexit.domain.errors import DomainError
from simexit.services.privacy.export import build_export, expire_exports, request_export, verify_download_token
from simexit.store.tables import outbox
from tests.audit_fixtures import EMAIL, NAME, rich_customer


@pytest.fixture
def exporting_app(app, tmp_path):
    app.export_dir = tmp_path / "exports"
    return app


def _csv(zf: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    raw = zf.read(name)
    assert raw.startswith(b"\xef\xbb\xbf"), f"{name} has no UTF-8 byte-order mark"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_export_holds_every_record_type_and_opens_in_a_spreadsheet(exporting_app, clock):
    app = exporting_app
    c = rich_customer(app, usage=30)
    export_id = request_export(app, c["msisdn"], requested_by="agent7")
    assert request_export(app, c["msisdn"]) == export_id  # one waiting export, not two
    view = build_export(app, export_id)
    assert view.state == "ready" and view.size_bytes > 0
    with zipfile.ZipFile(view.file_path) as zf:
        names = set(zf.namelist())
        assert names == {"README.txt", "customer.json", "lines.csv", "balance_ledger.csv", "bills.csv",
                         "usage_records.csv", "service_bindings.csv", "devices.csv", "esim_profiles.csv",
                         "applications.json", "manifest.json"}
        readme = zf.read("README.txt").decode()
        for n in names - {"README.txt"}:
            assert n in readme
        ident = json.loads(zf.read("customer.json"))
        assert ident["name"] == NAME and ident["email"] == EMAIL
        assert ident["id_number_masked"] == "****" + c["id_number"][-4:]
        assert c["id_number"] not in zf.read("customer.json").decode()
        usage = _csv(zf, "usage_records.csv")
        assert len(usage) == 30 and {u["kind"] for u in usage} == {"call", "sms", "data"}
        assert _csv(zf, "lines.csv")[0]["msisdn"] == c["msisdn"]
        assert len(_csv(zf, "balance_ledger.csv")) == 1
        assert len(_csv(zf, "service_bindings.csv")) == 1 and len(_csv(zf, "devices.csv")) == 1
        assert len(_csv(zf, "esim_profiles.csv")) == 1
        assert list(_csv(zf, "bills.csv")) == [] and zf.read("bills.csv").decode("utf-8-sig").startswith("id,")
        apps = json.loads(zf.read("applications.json"))
        assert apps[0]["application_no"] == c["application_no"]
        assert [e["event"] for e in apps[0]["timeline"]][:2] == ["submitted", "queued_for_review"]
    assert view.counts["usage_records.csv"] == 30
    with app.db.read() as conn:
        msg = conn.execute(select(outbox).where(outbox.c.template == "export_ready")).mappings().one()
    assert msg["recipient"] == EMAIL and msg["payload"]["download_token"] == view.download_token

    assert verify_download_token(app, view.download_token).export_id == export_id
    forged = view.download_token[:-1] + ("0" if view.download_token[-1] != "0" else "1")
    with pytest.raises(DomainError) as e:
        verify_download_token(app, forged)
    assert e.value.code == "EXPORT_TOKEN_INVALID"
    eid, exp, nonce, sig = view.download_token.split(".")
    with pytest.raises(DomainError) as e:
        verify_download_token(app, f"{eid}.{int(exp) + 86400}.{nonce}.{sig}")  # a longer life cannot be signed in
    assert e.value.code == "EXPORT_TOKEN_INVALID"
    clock.advance(hours=app.export_ttl_hours, seconds=1)
    with pytest.raises(DomainError) as e:
        verify_download_token(app, view.download_token)
    assert e.value.code == "EXPORT_EXPIRED"
    assert expire_exports(app) == 1
    assert not Path(view.file_path).exists()


def test_token_expiry_is_the_configured_time(exporting_app, clock):
    c = rich_customer(exporting_app, usage=0)
    view = build_export(exporting_app, request_export(exporting_app, c["msisdn"]))
    assert view.expires_at == clock.now() + timedelta(hours=exporting_app.export_ttl_hours)


def test_the_workers_sweep_deletes_expired_export_files(exporting_app, clock, sims):
    from simexit.worker.runner import Worker, WorkerOptions

    app = exporting_app
    c = rich_customer(app, usage=0)
    view = build_export(app, request_export(app, c["msisdn"]))
    worker = Worker(app, sims.integrations(), WorkerOptions())
    worker.sweep(force=True)
    assert Path(view.file_path).exists()  # not expired yet
    clock.advance(hours=app.export_ttl_hours, seconds=1)
    worker.sweep(force=True)
    assert not Path(view.file_path).exists()
    with pytest.raises(DomainError) as e:
        verify_download_token(app, view.download_token)
    assert e.value.code == "EXPORT_EXPIRED"
