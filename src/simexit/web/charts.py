"""Server-rendered SVG charts for the console dashboard (no JavaScript, no CDN)."""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

from simexit.web.i18n import _, day
from simexit.web.labels import status_label

# Colour-blind-safe palette (Okabe–Ito), one colour per state.
STATE_COLOURS = {"submitted": "#999999", "pending_review": "#E69F00", "approved": "#009E73",
                 "executing": "#56B4E9", "completed": "#0072B2", "rejected": "#D55E00", "withdrawn": "#CC79A7",
                 "needs_attention": "#000000"}


FONT = 12  # px on every screen: the charts have no viewBox, so their text never scales down with the width


def _svg(height: int, title_id: str, title: str) -> str:
    """An SVG as wide as its box and ``height`` px high: horizontal positions are percentages, vertical ones
    pixels, text keeps its size (a 640-unit viewBox made 11-unit text 4–5 px on a 360 px phone)."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="{height}" role="img" '
            f'aria-labelledby="{title_id}" class="chart-fluid" font-size="{FONT}"><title id="{title_id}">'
            f'{escape(title)}</title>')


def per_day_chart(days: list[dict[str, Any]], height: int = 260) -> Markup:
    """Stacked bars: applications submitted per day, coloured by their state now."""
    left, bottom, top = 8.0, 28, 16  # left: % of the width kept for the scale; bottom, top: px
    n = max(len(days), 1)
    peak = max([sum(d["by_state"].values()) for d in days] + [1])
    slot = (100 - left) / n
    scale = (height - bottom - top) / peak
    parts = [_svg(height, "chart-days-title", _("Applications per day by state"))]
    for tick in sorted({0, peak // 2, peak}):
        y = height - bottom - tick * scale
        parts.append(f'<line x1="{left}%" x2="100%" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 1}%" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    for i, d in enumerate(days):
        x = left + i * slot + slot * 0.1
        y = height - bottom
        for state, colour in STATE_COLOURS.items():
            count = d["by_state"].get(state, 0)
            if count:
                h = count * scale
                y -= h
                parts.append(f'<rect x="{x:.2f}%" y="{y:.1f}" width="{slot * 0.8:.2f}%" height="{h:.1f}" '
                             f'fill="{colour}"><title>{escape(day(d["day"]))}: {escape(status_label(state))} '
                             f'{count}</title></rect>')
        if i % max(1, n // 7) == 0:
            parts.append(f'<text x="{x + slot * 0.4:.2f}%" y="{height - bottom + 18}" text-anchor="middle">'
                         f'{d["day"].month}/{d["day"].day}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _bars(title_id: str, title: str, rows: list[tuple[str, float | None, str, str]]) -> Markup:
    """One bar per row (label, share 0..1 or None, value text, colour): the label and value above the bar."""
    row_h = 44
    parts = [_svg(row_h * max(len(rows), 1) + 6, title_id, title)]
    for i, (label, share, value, colour) in enumerate(rows):
        y = 4 + i * row_h
        parts.append(f'<text x="0" y="{y + 14}">{escape(label)}</text>'
                     f'<text x="100%" y="{y + 14}" text-anchor="end">{escape(value)}</text>'
                     f'<rect x="0" y="{y + 20}" width="100%" height="16" fill="#eee"/>')
        if share is not None:
            share = max(0.0, min(1.0, share))
            parts.append(f'<rect x="0" y="{y + 20}" width="{100 * share:.1f}%" height="16" fill="{colour}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def sla_chart(rows: list[dict[str, Any]]) -> Markup:
    """Horizontal bars: share of decided applications decided within the SLA, per brand."""
    bars = []
    for r in rows:
        share = r["compliance"]
        colour = "#009E73" if share is not None and share >= 0.95 else \
            "#E69F00" if share is not None and share >= 0.8 else "#D55E00"
        bars.append((r["brand"], share, f"{share:.0%}" if share is not None else "–", colour))
    return _bars("chart-sla-title", _("SLA compliance per brand"), bars)


def report_chart(report: dict[str, Any]) -> Markup:
    """Horizontal bars of a report's last numeric column, summed per value of its first column (the brand)."""
    idx = next((i for i in range(len(report["columns"]) - 1, 0, -1)
                if any(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in report["rows"])), None)
    totals: dict[str, float] = {}
    if idx is not None:
        for r in report["rows"]:
            if isinstance(r[idx], int | float):
                totals[str(r[0])] = totals.get(str(r[0]), 0) + r[idx]
    peak = max([*totals.values(), 1])
    label = report["columns"][idx] if idx is not None else ""
    return _bars("chart-report-title", label,
                 [(key, value / peak, f"{value:g}", "#0072B2") for key, value in sorted(totals.items())])
