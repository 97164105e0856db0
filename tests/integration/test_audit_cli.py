"""``simexit audit keygen``, ``audit checkpoint`` and ``audit verify`` as an operator runs them: a log emptied
behind simexit's back is reported (exit 2) once a signed checkpoint exists (issue 12 item 10)."""

import json
import os
import sqlite3
import subprocess
import sys

from simexit.store.migrate import upgrade


def _run(env, *args, ok=True):
    p = subprocess.run([sys.executable, "-m", "simexit.cli.main", *args], env=env, capture_output=True, text=True,
                       timeout=120)
    if ok:
        assert p.returncode == 0, p.stderr
    return p


def test_keygen_checkpoint_and_verify_notice_an_emptied_log(tmp_path):
    db = tmp_path / "audit.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    env = {**os.environ, "SIMEXIT_DATABASE_URL": url, "SIMEXIT_EXPORT_DIR": str(tmp_path / "exports")}
    _run(env, "demo", "load")
    for row in json.loads(_run(env, "lines", "list", "--brand", "huaxin", "--json").stdout)[:3]:
        _run(env, "export", "request", row["msisdn"])  # an audit entry each
    unsigned = _run(env, "audit", "verify")
    assert "audit log intact" in unsigned.stdout and "no checkpoint key" in unsigned.stderr

    key = tmp_path / "keys" / "audit-signing-key.pem"
    public = _run(env, "audit", "keygen", "--out", str(key)).stdout
    assert public.startswith("-----BEGIN PUBLIC KEY-----") and oct(key.stat().st_mode & 0o777) == "0o600"
    again = _run(env, "audit", "keygen", "--out", str(key), ok=False)
    assert again.returncode == 2 and "KEY_FILE_EXISTS" in again.stderr
    assert _run(env, "audit", "keygen", "--out", str(key), "--if-missing").stdout == ""

    env = {**env, "SIMEXIT_AUDIT_SIGNING_KEY": str(key), "SIMEXIT_AUDIT_CHECKPOINT_FILE": str(tmp_path / "cp.jsonl")}
    cp = json.loads(_run(env, "audit", "checkpoint", "--json").stdout)
    assert cp["seq"] == cp["count"] == 3
    rep = json.loads(_run(env, "audit", "verify", "--json").stdout)
    assert rep["intact"] and rep["checkpoints"] == 1 and rep["checkpoint_seq"] == cp["seq"]
    assert rep["checkpoints_configured"] is True

    with sqlite3.connect(db) as conn:  # whoever can write the database empties the log
        conn.execute("DELETE FROM audit_log")
        conn.execute("DELETE FROM audit_head")
    p = _run(env, "audit", "verify", ok=False)
    assert p.returncode == 2 and "AUDIT_BROKEN" in p.stderr and "removed" in p.stderr
    rep = json.loads(_run(env, "audit", "verify", "--json", ok=False).stdout)
    assert rep["intact"] is False and rep["entries"] == 0 and rep["broken"]["kind"] == "removed"
