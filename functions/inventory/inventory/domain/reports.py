"""Campaign reports: counts per result and per range as rows (CSV) and as a bar chart (SVG)."""
from __future__ import annotations

import csv
import io
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from .model import RESULTS

CSV_COLUMNS = ("range",) + RESULTS + ("total",)
COLOURS = {"ok": "#66bb6a", "misplaced": "#ffa726", "missing": "#e53935", "unexpected": "#8e24aa",
           "checked_out": "#42a5f5"}
# What a reader sees for each result code (the codes stay in data attributes and the CSV).
LABELS = {"ok": "OK", "misplaced": "Misplaced", "missing": "Missing", "unexpected": "Unexpected",
          "checked_out": "Checked out"}


def totals(per_range: dict[str, dict[str, int]]) -> dict[str, int]:
    out = {r: 0 for r in RESULTS}
    for counts in per_range.values():
        for result in RESULTS:
            out[result] += int(counts.get(result, 0))
    return out


def _cell(value: Any) -> str:
    """Spreadsheet-safe text (a leading =, +, - or @ would make a formula)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def report_csv(per_range: dict[str, dict[str, int]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for range_id in sorted(per_range):
        counts = per_range[range_id]
        row = [int(counts.get(r, 0)) for r in RESULTS]
        writer.writerow([_cell(range_id), *row, sum(row)])
    total = totals(per_range)
    writer.writerow(["total", *[total[r] for r in RESULTS], sum(total.values())])
    return out.getvalue()


def _clean(text: str) -> str:
    return escape("".join(ch for ch in text if ch >= " "))


BAR_W, GAP, GROUP_GAP, MARGIN, PLOT_H = 18, 3, 26, 40, 220
# Range ids and titles may be Hangul: Latin-only faces would draw empty boxes, so Korean faces
# (macOS, Windows, Linux) follow, then the generic family lets the viewer pick any it has.
FONT = ("font-family=\"Helvetica, Arial, 'Apple SD Gothic Neo', 'Malgun Gothic', 'Noto Sans CJK KR', "
        "'Noto Sans KR', NanumGothic, sans-serif\"")


def report_svg(title: str, per_range: dict[str, dict[str, int]]) -> str:
    """Grouped bars: one group per range, one bar per result, with a legend."""
    ranges = sorted(per_range)
    peak = max([int(per_range[r].get(k, 0)) for r in ranges for k in RESULTS] or [0]) or 1
    group_w = len(RESULTS) * (BAR_W + GAP) + GROUP_GAP
    width = max(2 * MARGIN + len(ranges) * group_w, 560)
    base = MARGIN + 30 + PLOT_H
    parts = [f'<line x1="{MARGIN}" y1="{base}" x2="{width - MARGIN}" y2="{base}" stroke="#616161"/>']
    for g, range_id in enumerate(ranges):
        x0 = MARGIN + g * group_w
        for i, result in enumerate(RESULTS):
            value = int(per_range[range_id].get(result, 0))
            h = round(PLOT_H * value / peak)
            x = x0 + i * (BAR_W + GAP)
            parts.append(f'<rect class="bar" data-range={quoteattr(_clean(range_id))} data-result="{result}" '
                         f'data-count="{value}" x="{x}" y="{base - h}" width="{BAR_W}" height="{h}" '
                         f'fill="{COLOURS[result]}"><title>{_clean(range_id)} {LABELS[result]}: {value}</title></rect>')
            if value:
                parts.append(f'<text x="{x + BAR_W / 2}" y="{base - h - 3}" font-size="9" text-anchor="middle" '
                             f'{FONT}>{value}</text>')
        parts.append(f'<text x="{x0 + (group_w - GROUP_GAP) / 2}" y="{base + 16}" font-size="12" '
                     f'text-anchor="middle" {FONT}>{_clean(range_id)}</text>')
    if not ranges:
        parts.append(f'<text x="{MARGIN}" y="{base - PLOT_H / 2}" font-size="13" {FONT}>Not counted yet.</text>')
    ly = base + 36
    for i, result in enumerate(RESULTS):
        lx = MARGIN + i * 110
        parts.append(f'<rect class="legend" x="{lx}" y="{ly}" width="12" height="12" fill="{COLOURS[result]}"/>')
        parts.append(f'<text x="{lx + 16}" y="{ly + 11}" font-size="11" {FONT}>{LABELS[result]}</text>')
    height = ly + 30
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr(_clean(title))}>'
            f'<title>{_clean(title)}</title><rect width="100%" height="100%" fill="#ffffff"/>'
            f'<text x="{MARGIN}" y="{MARGIN}" font-size="16" font-weight="bold" {FONT}>{_clean(title)}</text>')
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + head + "".join(parts) + "</svg>\n"
