"""Occupancy reports: rows for a spreadsheet (CSV) and a map for people (SVG).

The SVG map draws each range as a bookcase seen from the aisle: one column per section
(연), one cell per shelf (단, shelf 1 at the top), each cell coloured by how full the
shelf is and labelled with its code, fill and box count; hovering shows the details.
A legend explains the colours.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
import io
from typing import Iterable
from xml.sax.saxutils import escape, quoteattr

CSV_COLUMNS = ("location_id", "range", "section", "shelf", "name", "barcode", "status", "location_profile_id",
               "width_mm", "used_width_mm", "free_width_mm", "load_limit_kg", "used_weight_kg", "boxes", "fill_ratio")

# (upper bound of the fill ratio, colour, legend label); a shelf takes the first band it is under.
BANDS = (
    (0.5, "#b7e1b9", "under 50 %"),
    (0.8, "#fff176", "50–80 %"),
    (0.95, "#ffb74d", "80–95 %"),
    (float("inf"), "#e57373", "95 % and over"),
)
EMPTY = ("#f4f4f4", "empty")
INACTIVE = ("#9e9e9e", "out of service")


def fill_colour(ratio: float, boxes: int = 1, active: bool = True) -> str:
    if not active:
        return INACTIVE[0]
    if boxes == 0 and ratio == 0:
        return EMPTY[0]
    for bound, colour, _ in BANDS:
        if ratio < bound:
            return colour
    return BANDS[-1][1]


def _cell_text(value: object) -> str:
    """Spreadsheet-safe text: a leading =, +, - or @ would make a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def occupancy_csv(rows: Iterable[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell_text(row.get(column)) for column in CSV_COLUMNS])
    return out.getvalue()


# --------------------------------------------------------------------- SVG map
@dataclass(frozen=True)
class ShelfCell:
    id: str
    number: int
    fill_ratio: float
    boxes: int
    free_width_mm: float
    active: bool = True


@dataclass(frozen=True)
class SectionColumn:
    id: str
    number: int
    shelves: tuple[ShelfCell, ...]


@dataclass(frozen=True)
class RangePanel:
    id: str
    name: str | None
    sections: tuple[SectionColumn, ...]
    fill_ratio: float = 0.0
    boxes: int = 0


CELL_W, CELL_H, GAP, MARGIN = 118, 40, 6, 24
PANEL_HEADER, COLUMN_HEADER, PANEL_GAP, LEGEND_H = 34, 22, 28, 46
# Names and titles may be Hangul: Latin-only faces would draw empty boxes, so Korean faces
# (macOS, Windows, Linux) follow, then the generic family lets the viewer pick any it has.
FONT = ("font-family=\"Helvetica, Arial, 'Apple SD Gothic Neo', 'Malgun Gothic', 'Noto Sans CJK KR', "
        "'Noto Sans KR', NanumGothic, sans-serif\"")


def boxes_label(count: int) -> str:
    return f"{count} box" if count == 1 else f"{count} boxes"


def _clean(text: str | None) -> str:
    """Without the control characters XML 1.0 does not allow, even escaped."""
    return "".join(ch for ch in (text or "") if ch >= " " or ch in "\t\n")


def _plain(text: str | None) -> str:
    return escape(_clean(text))


def occupancy_svg(title: str, panels: Iterable[RangePanel]) -> str:
    panels = list(panels)
    widest = max([len(p.sections) for p in panels] or [1])
    width = max(2 * MARGIN + widest * (CELL_W + GAP) - GAP, 520)
    parts: list[str] = []
    y = MARGIN + 26
    for panel in panels:
        tallest = max([len(s.shelves) for s in panel.sections] or [0])
        header = f"Range {panel.id}" + (f" · {panel.name}" if panel.name else "")
        header += f" — {boxes_label(panel.boxes)}, {round(panel.fill_ratio * 100)} % full"
        parts.append(f'<text x="{MARGIN}" y="{y + 18}" font-size="15" font-weight="bold" {FONT}>{_plain(header)}</text>')
        top = y + PANEL_HEADER
        for column, section in enumerate(panel.sections):
            x = MARGIN + column * (CELL_W + GAP)
            parts.append(f'<text x="{x + CELL_W / 2}" y="{top + 14}" font-size="12" text-anchor="middle" '
                         f'fill="#555" {FONT}>Section {section.number:02d}</text>')
            for row, shelf in enumerate(sorted(section.shelves, key=lambda s: s.number)):
                cy = top + COLUMN_HEADER + row * (CELL_H + GAP)
                colour = fill_colour(shelf.fill_ratio, shelf.boxes, shelf.active)
                percent = round(shelf.fill_ratio * 100)
                state = "out of service" if not shelf.active else f"{percent} % full"
                tip = f"{shelf.id}: {state}, {boxes_label(shelf.boxes)}, {shelf.free_width_mm:g} mm free"
                parts.append(
                    f'<rect class="shelf" data-location-id={quoteattr(_clean(shelf.id))} data-fill="{shelf.fill_ratio}" '
                    f'x="{x}" y="{cy}" width="{CELL_W}" height="{CELL_H}" rx="4" fill="{colour}" '
                    f'stroke="#616161" stroke-width="1"><title>{_plain(tip)}</title></rect>')
                ink = "#ffffff" if not shelf.active else "#212121"
                parts.append(f'<text x="{x + 8}" y="{cy + 16}" font-size="12" font-weight="bold" fill="{ink}" '
                             f'{FONT}>{_plain(shelf.id)}</text>')
                detail = "out of service" if not shelf.active else f"{percent} % · {boxes_label(shelf.boxes)}"
                parts.append(f'<text x="{x + 8}" y="{cy + 32}" font-size="11" fill="{ink}" {FONT}>'
                             f'{_plain(detail)}</text>')
        y = top + COLUMN_HEADER + tallest * (CELL_H + GAP) + PANEL_GAP
    if not panels:
        parts.append(f'<text x="{MARGIN}" y="{y + 18}" font-size="13" {FONT}>No ranges yet.</text>')
        y += 40
    # legend
    entries = [(colour, label) for _, colour, label in BANDS] + [EMPTY, INACTIVE]
    for index, (colour, label) in enumerate(entries):
        lx = MARGIN + (index % 3) * 160
        ly = y + (index // 3) * 20
        parts.append(f'<rect class="legend" x="{lx}" y="{ly}" width="14" height="14" fill="{colour}" stroke="#616161"/>')
        parts.append(f'<text x="{lx + 20}" y="{ly + 12}" font-size="11" {FONT}>{_plain(label)}</text>')
    height = y + LEGEND_H + MARGIN // 2
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr(_clean(title))}>'
            f'<title>{_plain(title)}</title><rect width="100%" height="100%" fill="#ffffff"/>'
            f'<text x="{MARGIN}" y="{MARGIN + 6}" font-size="18" font-weight="bold" {FONT}>{_plain(title)}</text>')
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + head + "".join(parts) + "</svg>\n"
