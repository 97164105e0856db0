"""The console's stylesheet colours the dashboard legend as web/charts.py colours the bars (a class per state:
the content security policy refuses style attributes)."""

import re
from pathlib import Path

from simexit.web.charts import STATE_COLOURS

CSS = Path(__file__).resolve().parents[2] / "src" / "simexit" / "web" / "static" / "console.css"


def test_every_state_has_its_chart_colour_in_the_stylesheet():
    css = CSS.read_text(encoding="utf-8")
    for state, colour in STATE_COLOURS.items():
        m = re.search(rf"\.swatch-{state}\s*\{{\s*background:\s*(#[0-9A-Fa-f]{{6}})", css)
        assert m and m.group(1).lower() == colour.lower(), state
