"""The CLI as outside scripts use it: JSON shapes and exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simexit.store.migrate import upgrade


def _run(env, *args, ok=True):
    p = subprocess.run([sys.executable, "-m", "simexit.cli.main", *args], env=env, capture_output=True, text=True,
                       timeout=120)
    if ok:
        assert p.returncode == 0, p.stderr
    return p


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}"
    e = {**os.environ, "SIMEXIT_DATABASE_URL": url}
    upgrade(url)
    _run(e, "demo", "load")
    return e


def test_demo_load_is_idempotent(env):
    assert "already loaded" in _run(env, "demo", "load").stdout


def test_lines_list_json(env):
    rows = json.loads(_run(env, "lines", "list", "--json").stdout)
    assert len(rows) == 48
    assert {"msisdn", "brand", "kind", "status"} <= set(rows[0])
    assert {r["kind"] for r in rows} == {"sim", "esim", "data"}
    assert {r["brand"] for r in rows} == {"roamly", "globetalk", "baohao", "liuliang", "hansanet", "huaxin"}


def test_precheck_apply_show_review(env):
    from simexit.demo.data import demo_msisdn
    blocked = json.loads(_run(env, "precheck", demo_msisdn("liuliang", "arrears"), "--json").stdout)
    assert blocked["findings"][0] == {**blocked["findings"][0], "code": "ARREARS", "severity": "blocker"}
    assert blocked["quote"]["currency"] == "CNY" and isinstance(blocked["quote"]["outstanding_minor"], int)
    p = _run(env, "apply", demo_msisdn("liuliang", "arrears"), "--channel", "online", "--json", ok=False)
    assert p.returncode == 2 and "PRECHECK_BLOCKED" in p.stderr and "ARREARS" in p.stderr

    m = demo_msisdn("huaxin", "clean")
    a = json.loads(_run(env, "apply", m, "--channel", "store", "--staff", "clerk7", "--json").stdout)
    assert a["status"] == "pending_review" and a["application_no"].startswith("SX-")
    again = json.loads(_run(env, "apply", m, "--channel", "store", "--staff", "clerk7", "--json").stdout)
    assert again["application_no"] == a["application_no"]
    shown = json.loads(_run(env, "show", a["application_no"], "--json").stdout)
    assert shown["status"] == "pending_review" and isinstance(shown["timeline"], list)
    assert shown["timeline"][0]["actor_id"] == "clerk7" and shown["timeline"][0]["channel"] == "store"
    p = _run(env, "review", "reject", a["application_no"], "--staff", "rita", "--reason", "BOGUS", ok=False)
    assert p.returncode == 2 and "REJECTION_REASON_UNKNOWN" in p.stderr
    done = json.loads(_run(env, "review", "approve", a["application_no"], "--staff", "rita", "--json").stdout)
    assert done["status"] == "approved"
    p = _run(env, "review", "approve", a["application_no"], "--staff", "rita", ok=False)
    assert p.returncode == 2 and "TRANSITION_NOT_ALLOWED" in p.stderr
    assert json.loads(_run(env, "withdraw", a["application_no"], "--json").stdout)["status"] == "withdrawn"


@pytest.mark.parametrize(("args", "words"), [
    (["precheck", "+86 123"], "MSISDN_INVALID"),
    (["precheck", "+8613900009999"], "LINE_NOT_FOUND"),
    (["show", "SX-0000-0000-1"], "APPLICATION_NOT_FOUND"),
    (["apply", "+8613900300100", "--channel", "fax"], "Invalid value"),
    (["precheck", "+8613900300100", "--date", "tomorrow"], "not a date"),
])
def test_bad_input_exits_2_with_a_message(env, args, words):
    p = _run(env, *args, ok=False)
    assert p.returncode == 2
    assert words in p.stderr


def test_malformed_policy_and_import_file(env, tmp_path: Path):
    bad = tmp_path / "policies"
    bad.mkdir()
    (bad / "x.toml").write_text("[brand]\ncode = 'x'\n")
    p = _run({**env, "SIMEXIT_POLICY_DIR": str(bad)}, "lines", "list", ok=False)
    assert p.returncode == 2 and "POLICY_INVALID" in p.stderr and "x.toml" in p.stderr
    f = tmp_path / "in.jsonl"
    f.write_text('{"type": "customer"}\n', encoding="utf-8")
    p = _run(env, "import", str(f), ok=False)
    assert p.returncode == 2 and "line 1" in p.stderr


def test_export_erasure_audit_and_report_commands(env, tmp_path):
    rows = json.loads(_run(env, "lines", "list", "--brand", "huaxin", "--json").stdout)
    out = tmp_path / "export.zip"
    env = {**env, "SIMEXIT_EXPORT_DIR": str(tmp_path / "exports")}
    res = json.loads(_run(env, "export", "run", rows[0]["msisdn"], "--out", str(out), "--json").stdout)
    assert res["state"] == "ready" and out.stat().st_size == res["size_bytes"]
    assert "0 erasure(s) done" in _run(env, "erasure", "run").stdout
    assert "audit log intact" in _run(env, "audit", "verify").stdout
    csv_out = tmp_path / "apps.csv"
    _run(env, "report", "applications", "--from", "2020-01-01", "--to", "2030-12-31", "--out", str(csv_out))
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbfbrand,channel,reason,outcome,applications")
    bad = _run(env, "report", "sla", "--from", "2026-02-01", "--to", "2026-01-01", ok=False)
    assert bad.returncode == 2 and "REPORT_WINDOW_INVALID" in bad.stderr


def test_audit_verify_exits_2_naming_the_tampered_entry(env):
    import sqlite3

    _run(env, "audit", "verify")
    path = env["SIMEXIT_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        seq, = conn.execute("SELECT min(seq) FROM audit_log").fetchone()
        entry_id, = conn.execute("SELECT id FROM audit_log WHERE seq = ?", (seq,)).fetchone()
        conn.execute("UPDATE audit_log SET role = 'root' WHERE id = ?", (entry_id,))
    p = _run(env, "audit", "verify", ok=False)
    assert p.returncode == 2 and f"entry {entry_id} changed" in p.stderr


_CUSTOMER = (b'{"type": "customer", "brand": "liuliang", "ref": "cli-hostile", "name": "x", "id_type": "passport", '
             b'"id_number": "E12345678"}\n')
_BALANCE = b'{"type": "balance", "msisdn": "+8613900300100", "currency": "CNY", "amount_minor": %s}\n'


@pytest.mark.parametrize(("bad", "words"), [
    (b'{"type": "customer", "brand": "liuliang", "ref": "\xc3\x28", "name": "x"}\n', ["line 2", "ref", "UTF-8"]),
    (_BALANCE % (b"[" * 100_000 + b"]" * 100_000), ["line 2", "nested too deeply"]),
    (_BALANCE % (b"7" * 5000), ["line 2", "amount_minor"]),
    (_BALANCE % str(2**63).encode(), ["line 2", "amount_minor"]),
], ids=["utf8", "nesting", "digits", "2^63"])
def test_import_refuses_a_hostile_line_with_exit_2_and_stores_nothing(env, tmp_path: Path, bad, words):
    f = tmp_path / "hostile.jsonl"
    f.write_bytes(_CUSTOMER + bad)
    p = _run(env, "import", str(f), ok=False)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr and "IMPORT_INVALID" in p.stderr
    first = p.stderr.splitlines()[0]
    assert all(w in first for w in words), first
    from sqlalchemy import create_engine, text

    engine = create_engine(env["SIMEXIT_DATABASE_URL"])
    with engine.connect() as c:  # nothing stored half-way: not even the good customer of line 1
        assert c.execute(text("SELECT count(*) FROM customers WHERE customer_ref = 'cli-hostile'")).scalar() == 0
    engine.dispose()
    assert _run(env, "import", str(f.with_name("none.jsonl")), ok=False).returncode == 2  # click: no such file


def test_precheck_reads_a_national_number_in_the_brands_region(env):
    """Issue 14 item 1: with --brand a number without +country is read in that brand's region; without it, a
    number that fits two of the operator's countries is refused with both readings (exit 2)."""
    import phonenumbers

    from simexit.domain.identifiers import msisdn_readings

    m = json.loads(_run(env, "lines", "list", "--brand", "hansanet", "--json").stdout)[0]["msisdn"]
    typed = phonenumbers.format_number(phonenumbers.parse(m), phonenumbers.PhoneNumberFormat.NATIONAL)
    assert json.loads(_run(env, "precheck", typed, "--brand", "hansanet", "--json").stdout)["msisdn"] == m
    p = _run(env, "precheck", typed, ok=False)
    if len(msisdn_readings(typed, ["CN", "DE", "US"])) > 1:
        assert p.returncode == 2 and "MSISDN_AMBIGUOUS" in p.stderr and m in p.stderr, p.stderr
    else:
        assert p.returncode == 0 and m in p.stdout
    p = _run(env, "precheck", "+33612345678", ok=False)
    assert p.returncode == 2 and "MSISDN_COUNTRY_NOT_SERVED" in p.stderr and "+49 1512 3456789" in p.stderr
