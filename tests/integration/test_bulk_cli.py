"""``simexit bulk`` as scripts use it: JSON output, the result file, exit codes."""

import json
import os
import subprocess
import sys

import pytest

from simexit.store.migrate import upgrade


def _run(env, *args, ok=True):
    p = subprocess.run([sys.executable, "-m", "simexit.cli.main", "bulk", *args], env=env, capture_output=True,
                       text=True, timeout=120)
    if ok:
        assert p.returncode == 0, p.stderr
    return p


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('bulkcli') / 'cli.db'}"
    e = {**os.environ, "SIMEXIT_DATABASE_URL": url}
    upgrade(url)
    subprocess.run([sys.executable, "-m", "simexit.cli.main", "demo", "load"], env=e, check=True, capture_output=True)
    return e


def test_close_status_and_approve(env, tmp_path):
    from simexit.demo.data import demo_msisdn

    f = tmp_path / "huaxin.csv"
    f.write_text("msisdn,reason\n" + "\n".join(demo_msisdn("huaxin", s) for s in ("clean", "arrears", "services"))
                 + "\n+86 1,\n", encoding="utf-8")
    out = tmp_path / "res.csv"
    res = json.loads(_run(env, "close", str(f), "--channel", "store", "--staff", "clerk7", "--out", str(out),
                          "--json").stdout)
    assert res["state"] == "done" and res["total"] == 4 and res["counts"]["invalid"] == 1
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,line,outcome,application_no,status,codes,message" and len(lines) == 5
    assert ",blocked,,,ARREARS," in lines[2]
    st = json.loads(_run(env, "status", res["batch_id"], "--json").stdout)
    assert (st["done"], st["total"]) == (4, 4)
    p = _run(env, "approve", res["batch_id"], "--staff", "rita", "--json")
    assert json.loads(p.stdout)["approved"] == res["counts"]["applied"] >= 1
    p = _run(env, "approve", res["batch_id"], "--staff", "rita", "--only", "nonsense", ok=False)
    assert p.returncode == 2 and "APPLICATION_NO_INVALID" in p.stderr


def test_refusals_exit_2(env, tmp_path):
    p = _run(env, "status", "B-unknown", ok=False)
    assert p.returncode == 2 and "BATCH_NOT_FOUND" in p.stderr
    f = tmp_path / "x.csv"
    f.write_text("+8613800200100\n", encoding="utf-8")
    p = _run(env, "close", str(f), "--channel", "store", ok=False)
    assert p.returncode == 2 and "STAFF_REQUIRED" in p.stderr
    p = _run(env, "close", str(tmp_path / "missing.csv"), "--channel", "store", ok=False)
    assert p.returncode == 2


@pytest.mark.parametrize(("content", "code", "where"), [
    ("msisdn,note\n+8613800200100,ok\n+8613800200101,Müller\n".encode("latin-1"), "BULK_FILE_NOT_UTF8",
     "row 3, column 17"),
    (b"msisdn,note\n+8613800200100," + b"x" * (10 * 1024 * 1024) + b"\n", "BULK_LINE_TOO_LONG", "row 2"),
    (b'msisdn,note\n+8613800200100,"never closed\n' + b"more\n" * 30_000, "BULK_FILE_NOT_CSV", "row 2"),
], ids=["latin1", "10MB-line", "open-quote"])
def test_a_file_that_cannot_be_read_is_refused_with_exit_2(env, tmp_path, content, code, where):
    f = tmp_path / "bad.csv"
    f.write_bytes(content)
    p = _run(env, "close", str(f), "--channel", "store", "--staff", "clerk7", ok=False)
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert code in p.stderr and where in p.stderr, p.stderr
    assert not f.with_name("bad.csv.result.csv").exists()
    p = _run(env, "status", "B-" + __import__("hashlib").sha256(content).hexdigest()[:20], ok=False)
    assert "BATCH_NOT_FOUND" in p.stderr  # nothing was stored
