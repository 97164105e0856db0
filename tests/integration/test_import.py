import json

import pytest
from sqlalchemy import func, select

from simexit.services.imports.importer import ImportFailed, import_jsonl
from simexit.store.tables import customers, lines, metadata, usage_records
from tests.factories import cn_id, iccid


def rows(*recs):
    return [json.dumps(r, ensure_ascii=False) for r in recs]


def customer(ref="a1", **kw):
    return {"type": "customer", "brand": "liuliang", "ref": ref, "name": "张三", "id_type": "cn_resident_id",
            "id_number": cn_id(7), **kw}


def line(ref="a1", msisdn="+8613900000077", n=77, **kw):
    return {"type": "line", "brand": "liuliang", "customer": ref, "msisdn": msisdn, "iccid": iccid(n),
            "kind": "data", "payment": "prepaid", "plan": "p", **kw}


def total_rows(app) -> int:
    with app.db.read() as c:
        return sum(c.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables
                   if t.name != "brands")


def test_good_file_imports_and_hashes_the_id(app):
    report = import_jsonl(app, rows(customer(), line(), {"type": "balance", "msisdn": "+8613900000077",
                                                         "amount_minor": 1200, "currency": "CNY"},
                                    *[{"type": "usage", "msisdn": "+8613900000077", "kind": "data",
                                       "started_at": "2026-11-01T10:00:00+08:00", "volume_bytes": i}
                                      for i in range(12)]))
    assert report.counts == {"customer": 1, "line": 1, "balance": 1, "usage": 12}
    with app.db.read() as c:
        cust = c.execute(select(customers)).mappings().one()
        assert cust["id_last4"] == cn_id(7)[-4:] and len(cust["id_hash"]) == 64
        assert cn_id(7) not in str(dict(cust))
        assert c.execute(select(func.count()).select_from(usage_records)).scalar_one() == 12


@pytest.mark.parametrize(("bad", "line_no", "words"), [
    (line(msisdn="+86139"), 2, "msisdn"),
    (line(iccid=iccid(77)[:-1] + str((int(iccid(77)[-1]) + 1) % 10)), 2, "check digit"),
    (customer("b2", id_number="110105194912310021"), 2, "resident ID"),
    ({"type": "bill", "msisdn": "+8613900000077", "period_start": "2026-10-01", "period_end": "2026-10-31",
      "amount_minor": -5, "currency": "CNY", "due_date": "2026-11-10"}, 3, "greater than or equal to 0"),
    ({"type": "balance", "msisdn": "+8613900000077", "amount_minor": 5, "currency": "EUR"}, 3, "differs"),
    ({"type": "line", "brand": "nobrand", "customer": "a1", "msisdn": "+8613900000078", "iccid": iccid(78),
      "kind": "data", "payment": "prepaid", "plan": "p"}, 3, "unknown brand"),
    ({"type": "spaceship"}, 2, "type"),
    ("{not json", 2, "not valid JSON"),
    ({"type": "binding", "msisdn": "+8613900000099", "service": "x"}, 3, "no line"),
    ({"type": "balance", "msisdn": "+8613900000077", "amount_minor": 1.5, "currency": "CNY"}, 3, "integer"),
])
def test_bad_record_names_its_line_and_nothing_is_written(app, bad, line_no, words):
    recs = [customer(), bad, line()] if line_no == 2 else [customer(), line(), bad]
    text = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in recs]
    before = total_rows(app)
    with pytest.raises(ImportFailed) as e:
        import_jsonl(app, text)
    assert e.value.errors[0]["line"] == line_no
    assert words in e.value.errors[0]["message"]
    assert total_rows(app) == before


def test_all_errors_are_reported_not_just_the_first(app):
    with pytest.raises(ImportFailed) as e:
        import_jsonl(app, rows(customer(), line(iccid="1"), line(msisdn="x", n=5), line(n=6)))
    assert [x["line"] for x in e.value.errors] == [2, 3]
    assert total_rows(app) == 0


def test_duplicates_in_file_and_database(app):
    import_jsonl(app, rows(customer(), line()))
    with pytest.raises(ImportFailed) as e:
        import_jsonl(app, rows(line(n=90)))
    assert "already exists" in e.value.errors[0]["message"]
    with pytest.raises(ImportFailed) as e:
        import_jsonl(app, rows(customer("zz"), line("zz", "+8613900000091", 91), line("zz", "+8613900000091", 92)))
    assert e.value.errors[0]["line"] == 3 and "twice" in e.value.errors[0]["message"]
    with app.db.read() as c:
        assert c.execute(select(func.count()).select_from(lines)).scalar_one() == 1


def _balance_line(amount: str) -> bytes:
    return ('{"type": "balance", "msisdn": "+8613900000077", "currency": "CNY", "amount_minor": ' + amount
            + '}\n').encode()


HOSTILE = [  # (third line of the file, words the refusal must contain)
    (b'{"type": "balance", "msisdn": "+8613900000077", "currency": "CNY", "reference": "\xff\xfe", '
     b'"amount_minor": 1}\n', ["line 3", "reference", "UTF-8", "column 82"]),
    (_balance_line("[" * 100_000 + "]" * 100_000), ["line 3", "nested too deeply"]),
    (_balance_line("9" * 5000), ["line 3", "amount_minor"]),
    (_balance_line(str(2**63)), ["line 3", "amount_minor"]),
    (_balance_line(str(-(2**63) - 1)), ["line 3", "amount_minor"]),
    (b'{"type": "usage", "msisdn": "+8613900000077", "kind": "call", "started_at": "2026-11-01T10:00:00Z", '
     b'"duration_s": 2147483648}\n', ["line 3", "duration_s"]),
]


@pytest.mark.parametrize(("bad", "words"), HOSTILE, ids=["utf8", "nesting", "digits", "2^63", "-2^63-1", "int32"])
def test_a_hostile_line_is_refused_by_line_and_field_and_nothing_is_stored(app, bad, words):
    """Bytes as the CLI reads them; each case used to escape as an exception (a traceback, exit 1)."""
    before = total_rows(app)
    good = [(json.dumps(r, ensure_ascii=False) + "\n").encode() for r in (customer(), line())]
    with pytest.raises(ImportFailed) as e:
        import_jsonl(app, [*good, bad])
    message = f"line {e.value.errors[0]['line']}: {e.value.errors[0]['message']}"
    assert all(w in message for w in words), message
    assert total_rows(app) == before


def test_the_largest_64_bit_amount_is_stored(app):
    good = [(json.dumps(r, ensure_ascii=False) + "\n").encode() for r in (customer(), line())]
    assert import_jsonl(app, [*good, _balance_line(str(2**63 - 1))]).counts["balance"] == 1
