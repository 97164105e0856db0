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


def per_day_chart(days: list[dict[str, Any]], width: int = 640, height: int = 260) -> Markup:
    """Stacked bars: applications submitted per day, coloured by their state now."""
    left, bottom, top = 36, 40, 10
    n = max(len(days), 1)
    peak = max([sum(d["by_state"].values()) for d in days] + [1])
    bar_w = (width - left - 10) / n
    scale = (height - bottom - top) / peak
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="chart-days-title" class="chart"><title id="chart-days-title">'
             f'{escape(_("Applications per day by state"))}</title>']
    for tick in sorted({0, peak // 2, peak}):
        y = height - bottom - tick * scale
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{tick}</text>')
    for i, d in enumerate(days):
        x = left + i * bar_w + 2
        y = height - bottom
        for state, colour in STATE_COLOURS.items():
            count = d["by_state"].get(state, 0)
            if count:
                h = count * scale
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 4:.1f}" height="{h:.1f}" '
                             f'fill="{colour}"><title>{escape(day(d["day"]))}: {escape(status_label(state))} '
                             f'{count}</title></rect>')
        if i % max(1, n // 7) == 0:
            parts.append(f'<text x="{x + (bar_w - 4) / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                         f'font-size="11">{d["day"].month}/{d["day"].day}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def sla_chart(rows: list[dict[str, Any]], width: int = 640) -> Markup:
    """Horizontal bars: share of decided applications decided within the SLA, per brand."""
    row_h, left = 30, 110
    height = row_h * max(len(rows), 1) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="chart-sla-title" class="chart"><title id="chart-sla-title">'
             f'{escape(_("SLA compliance per brand"))}</title>']
    span = width - left - 70
    for i, r in enumerate(rows):
        y = 5 + i * row_h
        share = r["compliance"]
        parts.append(f'<text x="{left - 8}" y="{y + 18}" text-anchor="end" font-size="13">{escape(r["brand"])}</text>'
                     f'<rect x="{left}" y="{y + 4}" width="{span}" height="18" fill="#eee"/>')
        if share is not None:
            colour = "#009E73" if share >= 0.95 else "#E69F00" if share >= 0.8 else "#D55E00"
            parts.append(f'<rect x="{left}" y="{y + 4}" width="{span * share:.1f}" height="18" fill="{colour}"/>')
        label = f"{share:.0%}" if share is not None else "–"
        parts.append(f'<text x="{left + span + 8}" y="{y + 18}" font-size="13">{label}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def report_chart(report: dict[str, Any], width: int = 640) -> Markup:
    """Horizontal bars of a report's last numeric column, summed per value of its first column (the brand)."""
    idx = next((i for i in range(len(report["columns"]) - 1, 0, -1)
                if any(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in report["rows"])), None)
    totals: dict[str, float] = {}
    if idx is not None:
        for r in report["rows"]:
            if isinstance(r[idx], int | float):
                totals[str(r[0])] = totals.get(str(r[0]), 0) + r[idx]
    row_h, left = 30, 110
    height = row_h * max(len(totals), 1) + 10
    label = report["columns"][idx] if idx is not None else ""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="chart-report-title" class="chart"><title id="chart-report-title">'
             f'{escape(label)}</title>']
    peak = max([*totals.values(), 1])
    span = width - left - 70
    for i, (key, value) in enumerate(sorted(totals.items())):
        y = 5 + i * row_h
        w = span * value / peak
        parts.append(f'<text x="{left - 8}" y="{y + 19}" text-anchor="end" font-size="12">{escape(key)}</text>'
                     f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row_h - 10}" fill="#0072B2"/>'
                     f'<text x="{left + w + 6:.1f}" y="{y + 19}" font-size="12">{value:g}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
