"""The occupancy report as CSV and as an SVG map."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from stacks.domain import reports

SVG = "{http://www.w3.org/2000/svg}"


def _panel(range_id="R01-01", ratios=((0.0, 0.3, 0.6), (0.9, 1.0, 0.97)), name="East wall"):
    sections = []
    for s, column in enumerate(ratios, 1):
        cells = tuple(reports.ShelfCell(f"{range_id}-{s:02d}-{h}", h, ratio, int(ratio * 10), 1000 * (1 - ratio))
                      for h, ratio in enumerate(column, 1))
        sections.append(reports.SectionColumn(f"{range_id}-{s:02d}", s, cells))
    return reports.RangePanel(range_id, name, tuple(sections), 0.6, 37)


def test_the_map_is_well_formed_svg_with_one_rect_per_shelf():
    svg = reports.occupancy_svg("R01 · Main stack", [_panel(), _panel("R01-02", ((0.1,), (0.2,)))])
    root = ET.fromstring(svg.encode())
    assert root.tag == f"{SVG}svg"
    shelves = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "shelf"]
    assert len(shelves) == 8
    assert {r.get("data-location-id") for r in shelves} >= {"R01-01-01-1", "R01-01-02-3", "R01-02-02-1"}
    labels = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "R01-01-02-3" in labels and "Range R01-01 · East wall" in labels and "97 %" in labels


def test_shelves_are_coloured_by_fill_ratio():
    root = ET.fromstring(reports.occupancy_svg("map", [_panel()]).encode())
    colour = {r.get("data-location-id"): r.get("fill") for r in root.iter(f"{SVG}rect") if r.get("class") == "shelf"}
    assert colour["R01-01-01-1"] == reports.EMPTY[0]  # empty
    assert colour["R01-01-01-2"] == reports.BANDS[0][1]  # 30 %
    assert colour["R01-01-01-3"] == reports.BANDS[1][1]  # 60 %
    assert colour["R01-01-02-1"] == reports.BANDS[2][1]  # 90 %
    assert colour["R01-01-02-2"] == colour["R01-01-02-3"] == reports.BANDS[3][1]  # full, and 97 %
    assert len({reports.fill_colour(r) for r in (0.1, 0.6, 0.85, 0.99)}) == 4
    assert reports.fill_colour(0.5, boxes=3, active=False) == reports.INACTIVE[0]


def test_names_cannot_break_the_xml():
    nasty = 'A&B <script>"x"</script>\x01\x1b'
    svg = reports.occupancy_svg(nasty, [_panel(name=nasty)])
    root = ET.fromstring(svg.encode())
    assert "<script>" not in svg and root.get("aria-label").startswith("A&B <script>")


def test_an_empty_repository_still_renders_a_map_with_a_legend():
    root = ET.fromstring(reports.occupancy_svg("nothing yet", []).encode())
    assert [r for r in root.iter(f"{SVG}rect") if r.get("class") == "shelf"] == []
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("class") == "legend"]) == len(reports.BANDS) + 2


def test_csv_has_a_header_and_one_row_per_shelf_and_defuses_formulas():
    rows = [{"location_id": "R01-01-01-1", "range": "01", "section": "01", "shelf": 1, "name": "=HYPERLINK(\"x\")",
             "width_mm": 1000, "boxes": 3, "fill_ratio": 0.3, "used_width_mm": -0.0},
            {"location_id": "R01-01-01-2", "range": "01", "section": "01", "shelf": 2, "name": "Top, left",
             "width_mm": 1000, "boxes": 0, "fill_ratio": 0.0}]
    text = reports.occupancy_csv(rows)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert list(parsed[0]) == list(reports.CSV_COLUMNS)
    assert [r["location_id"] for r in parsed] == ["R01-01-01-1", "R01-01-01-2"]
    assert parsed[0]["name"].startswith("'=") and parsed[1]["name"] == "Top, left"
    assert parsed[0]["used_width_mm"] == "-0.0"  # numbers are left alone
    assert text.endswith("\r\n")


def test_counts_read_as_english_and_hangul_has_a_font():
    one = reports.RangePanel("R02", "제1서고", (reports.SectionColumn("R02-01", 1, (
        reports.ShelfCell("R02-01-1", 1, 0.1, 1, 900.0),)),), 0.1, 1)
    root = ET.fromstring(reports.occupancy_svg("서고 배치도", [one]).encode())
    labels = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert any("— 1 box," in label for label in labels) and any(label.endswith("· 1 box") for label in labels)
    assert not any("1 boxes" in label for label in labels)
    assert any("37 boxes" in (t.text or "") for t in ET.fromstring(
        reports.occupancy_svg("map", [_panel()]).encode()).iter(f"{SVG}text"))
    for text in root.iter(f"{SVG}text"):
        families = [f.strip(" '") for f in text.get("font-family").split(",")]
        assert {"Apple SD Gothic Neo", "Malgun Gothic", "Noto Sans CJK KR"} <= set(families)
        assert families[-1] == "sans-serif"
