"""simexit refuses to start with the public default or a short SIMEXIT_SECRET_KEY outside demo mode (issue 12,
item 3): ``simexit serve``, ``simexit worker`` and the ASGI factory each exit with code 2 and say what to set."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from simexit.config import DEMO_SECRET_KEY

STRONG = "a-strong-secret-for-this-test-only-0123456789"


def _env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMEXIT_")}
    return {**env, "SIMEXIT_DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}", **extra}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=60)


COMMANDS = {
    "serve": ["-m", "simexit.cli.main", "serve", "--port", "1", "--no-worker"],
    "worker": ["-m", "simexit.cli.main", "worker", "--once"],
    "asgi": ["-c", "from simexit.asgi import create_app; create_app()"],
}


@pytest.mark.parametrize("what", sorted(COMMANDS))
@pytest.mark.parametrize("secret", [None, DEMO_SECRET_KEY, "sixteen-chars-ok"])
def test_refuses_the_demo_or_a_short_secret(tmp_path, what, secret):
    env = _env(tmp_path, **({"SIMEXIT_SECRET_KEY": secret} if secret else {}))
    p = _run(env, *COMMANDS[what])
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "SIMEXIT_SECRET_KEY" in p.stderr and "SIMEXIT_DEMO=1" in p.stderr
    assert "Traceback" not in p.stderr


def test_demo_mode_and_a_strong_secret_start(tmp_path):
    assert _run(_env(tmp_path), "-m", "simexit.cli.main", "db", "upgrade").returncode == 0
    for extra in ({"SIMEXIT_DEMO": "1"}, {"SIMEXIT_SECRET_KEY": STRONG}):
        p = _run(_env(tmp_path, **extra), *COMMANDS["worker"])
        assert p.returncode == 0, (extra, p.stderr)
        assert "did 0 item(s)" in p.stdout
