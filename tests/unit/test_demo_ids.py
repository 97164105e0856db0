"""``simexit demo ids``: where a newcomer finds the demo customers' numbers and ID numbers (the README's tour)."""

import json

from click.testing import CliRunner

from simexit.cli.loading import demo
from simexit.demo.data import demo_id_number, demo_msisdn


def test_demo_ids_lists_every_customer_of_a_brand_with_the_last_6_characters():
    r = CliRunner().invoke(demo, ["ids", "--brand", "liuliang", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert len(rows) == 8 and rows[0]["situation"] == "clean"
    assert rows[0]["msisdn"] == demo_msisdn("liuliang", "clean") == "+8613900300100"
    assert rows[0]["second_factor"] == demo_id_number("liuliang", "clean")[-6:]
    text = CliRunner().invoke(demo, ["ids", "--brand", "liuliang"]).output
    assert "+8613900300100" in text and "last 6: " + rows[0]["second_factor"] in text
    assert CliRunner().invoke(demo, ["ids", "--brand", "nope"]).exit_code == 2
