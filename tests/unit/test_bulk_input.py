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


def test_a_file_that_is_not_utf8_is_refused_naming_row_and_column(tmp_path):
    import pytest

    from simexit.domain.errors import InvalidInput

    f = tmp_path / "latin1.csv"
    f.write_bytes("msisdn,note\n+8613800138000,ok\n+8613800138001,Müller\n".encode("latin-1"))
    with pytest.raises(InvalidInput) as e:
        count_rows(f, "csv")
    assert e.value.code == "BULK_FILE_NOT_UTF8"
    assert "row 3, column 17" in e.value.message and e.value.data == {"row": 3, "column": 17}
    with pytest.raises(InvalidInput):
        list(read_rows(f, "csv", REASON_CODES))


def test_a_line_longer_than_the_limit_is_refused_naming_its_row(tmp_path):
    import pytest

    from simexit.domain.errors import InvalidInput
    from simexit.services.bulk.input import MAX_LINE

    for name, long_row in (("long.csv", "+8613800138000,,,".ljust(10 * 1024 * 1024, "x")),
                           ("long.jsonl", '{"msisdn": "+8613800138000", "note": "' + "x" * 10_000_000 + '"}')):
        f = tmp_path / name
        f.write_text(("msisdn,note\n" if name.endswith(".csv") else "") + "+8613800138000\n" * 2 + long_row + "\n")
        with pytest.raises(InvalidInput) as e:
            count_rows(f, detect_format(f))
        row = 4 if name.endswith(".csv") else 3
        assert e.value.code == "BULK_LINE_TOO_LONG" and f"row {row}" in e.value.message, e.value.message
        assert str(MAX_LINE) in e.value.message.replace(",", "")
    f = tmp_path / "just.csv"  # a line of exactly MAX_LINE characters is read
    f.write_text("+8613800138000,,," + "x" * (MAX_LINE - 17) + "\n")
    assert count_rows(f, "csv") == 1


def test_an_unterminated_quote_is_refused_as_not_csv(tmp_path):
    import pytest

    from simexit.domain.errors import InvalidInput

    f = tmp_path / "quote.csv"
    f.write_text('msisdn,note\n+8613800138000,"never closed\n' + "more text\n" * 20_000)
    with pytest.raises(InvalidInput) as e:
        count_rows(f, "csv")
    assert e.value.code in ("BULK_FILE_NOT_CSV", "BULK_LINE_TOO_LONG") and "row 2" in e.value.message


def test_rows_ending_in_cr_only_are_rows(tmp_path):
    f = tmp_path / "mac.csv"
    f.write_bytes(b"msisdn\r+8613800138000\r+8613800138001\r+8613800138002\r")
    assert count_rows(f, "csv") == 3
    assert [r.row_no for r in read_rows(f, "csv", REASON_CODES)] == [2, 3, 4]
