"""Staff user names cannot be told apart by the time sign-in takes (issue 12, item 5): with the production
argon2id parameters, a wrong password for an unknown name and for a real one take as long (medians)."""

from __future__ import annotations

import statistics
import time

import pytest

from simexit.domain.errors import DomainError
from simexit.services.access import commands as access
from simexit.services.access.caller import Public, System

TRIES = 9  # per name, interleaved; below the name's free failures, so no backoff answer (which is instant)


def test_unknown_and_known_names_take_as_long(app):
    app.fast_password_hash = False  # RFC 9106 low-memory argon2id, as in production
    access.create_staff(app, System(), "rita", "correct horse battery", "reviewer", ["*"])
    took: dict[str, list[float]] = {"rita": [], "nobody": []}
    for i in range(TRIES):
        for name in ("rita", "nobody"):
            t0 = time.perf_counter()
            with pytest.raises(DomainError) as e:
                access.sign_in_staff(app, Public(f"10.{i}.0.{len(name)}"), name, "wrong password!!")
            took[name].append(time.perf_counter() - t0)
            assert e.value.code == "SIGN_IN_FAILED"
    known, unknown = statistics.median(took["rita"]), statistics.median(took["nobody"])
    print(f"\nstaff sign-in, wrong password: known name {known * 1000:.0f} ms, unknown name {unknown * 1000:.0f} ms "
          f"(medians of {TRIES}); ratio {unknown / known:.2f}")
    assert 0.75 < unknown / known < 1.33
