"""The README's import example is valid input: every ICCID in it passes the Luhn check the importer applies."""

from __future__ import annotations

import json
import re
from pathlib import Path

from simexit.domain.identifiers import normalize_iccid

README = Path(__file__).resolve().parents[2] / "README.md"


def test_import_example_iccids_are_valid():
    text = README.read_text(encoding="utf-8")
    block = text.split("## Import format (JSON Lines)", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    records = [json.loads(line) for line in block.strip().splitlines()]
    iccids = [r["iccid"] for r in records if "iccid" in r]
    assert iccids and all(normalize_iccid(i) == i for i in iccids)
    assert re.search(r'"iccid": "8986000000000000010"', block)
