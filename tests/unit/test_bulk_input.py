"""Reading bulk files: CSV with or without a header, JSON Lines, and bad rows as rows with a code."""

from datetime import date

from simexit.services.bulk.input import count_rows, detect_format, read_rows
from simexit.services.closure.applications import REASON_CODES
from tests.factories import iccid


def rows(tmp_path, name, text, after=0):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return list(read_rows(f, detect_format(f), REASON_CODES, after_row=after))


def test_headerless_csv_with_a_bom_is_positional(tmp_path):
    got = rows(tmp_path, "a.csv", "\ufeff+8613800138000,2026-12-01,moving_abroad,bye\n\n8949000000000000010\n")
    assert got[0].msisdn == "+8613800138000" and got[0].effective_date == date(2026, 12, 1)
    assert got[0].reason_code == "moving_abroad" and got[0].note == "bye" and got[0].row_no == 1
    assert got[1].error.code == "ICCID_CHECK_DIGIT"
    assert got[1].row_no == 3


def test_header_csv_national_numbers_and_iccids(tmp_path):
    got = rows(tmp_path, "b.csv", f"ICCID,MSISDN\n{iccid(7)},\n,139 0000 1234\n")
    assert got[0].iccid == iccid(7) and got[0].row_no == 2
    assert got[1].raw_msisdn == "139 0000 1234" and got[1].msisdn is None


def test_bad_rows_carry_a_code_and_resume_skips_done_rows(tmp_path):
    text = '{"msisdn": "+8613800138000"}\n[1]\n{"reason": "x", "msisdn": "+8613800138000"}\n{"line": ""}\n'
    got = rows(tmp_path, "c.jsonl", text)
    assert [g.error.code if g.error else None for g in got] == [None, "ROW_NOT_JSON", "REASON_UNKNOWN",
                                                                "LINE_MISSING"]
    assert [g.row_no for g in rows(tmp_path, "c.jsonl", text, after=2)] == [3, 4]
    assert count_rows(tmp_path / "c.jsonl", "jsonl") == 4
