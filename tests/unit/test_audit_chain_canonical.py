"""The audit hash is over the same bytes whichever JSON library writes them (chains written before stay valid)."""

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from simexit.domain.audit_chain import canonical

scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text() | \
    st.floats(allow_nan=False)
data = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=12)


def _json_module(entry):  # how every entry was hashed before orjson
    body = {"seq": entry["seq"], "at": entry["at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor": entry["actor"], "role": entry["role"], "action": entry["action"],
            "subject_type": entry["subject_type"], "subject_ref": entry["subject_ref"], "data": entry["data"],
            "prev_hash": entry["prev_hash"]}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@given(st.dictionaries(st.text(), data, max_size=5), st.text(), st.integers(min_value=1, max_value=2**62))
def test_canonical_bytes_are_those_of_the_json_module(payload, actor, seq):
    entry = {"seq": seq, "at": datetime(2026, 11, 22, 8, 0, 0, 123456, tzinfo=UTC), "actor": actor,
             "role": "système", "action": "application.approved", "subject_type": "application",
             "subject_ref": "SX-9Q0P-2KDY-8", "data": payload, "prev_hash": "0" * 64}
    assert canonical(entry) == _json_module(entry)


def test_the_entry_mac_is_hmac_sha256_of_the_canonical_bytes():
    import hmac as std_hmac
    from datetime import UTC, datetime

    from simexit.domain.audit_chain import entry_mac

    e = {"seq": 7, "at": datetime(2026, 12, 2, tzinfo=UTC), "actor": "rita", "role": "reviewer", "action": "x.y",
         "subject_type": "test", "subject_ref": "1", "data": {"n": 1}, "prev_hash": "0" * 64}
    for key in (b"k" * 32, b"", b"long" * 40):
        assert entry_mac(key, e) == std_hmac.new(key, canonical(e), "sha256").hexdigest()
