"""Inventory's pure rules: classification, cycles, the close rule, stacks events, CSV and SVG."""
from __future__ import annotations

from datetime import date
import xml.etree.ElementTree as ET

import pytest

from inventory.domain import reports, rules
from inventory.domain.model import Finding, Holding, Scope, range_of


def holding(status="shelved", home="R01-01-01-1"):
    return Holding(org_id="o", box_id="b", barcode="BC-1", status=status, home_id=home, version=3)


@pytest.mark.parametrize("status, seen_at, expected", [
    ("shelved", "R01-01-01-1", "ok"),
    ("shelved", "R01-02-03-1", "misplaced"),
    ("shelved", None, "missing"),
    ("reserved", None, "missing"),  # a reserved box is still on its shelf until checked out
    ("missing", None, "missing"),
    ("missing", "R01-01-01-1", "ok"),  # a box reported missing, found at home
    ("checked_out", None, "checked_out"),
    ("in_transfer", None, "checked_out"),
    ("checked_out", "R01-01-01-1", "ok"),  # back early, and where it belongs
])
def test_classification(status, seen_at, expected):
    assert rules.classify(holding(status), seen_at) == expected


def test_scope_covers_its_ranges_only():
    whole, some = Scope("R01"), Scope("R01", ("R01-03",))
    assert whole.covers("R01-07-01-2") and not whole.covers("R010-01-01-1") and not whole.covers(None)
    assert some.covers("R01-03-05-2") and not some.covers("R01-04-01-1")
    assert some.parts() == ["R01-03"] and whole.parts() == ["R01"]
    assert range_of("R01-03-05-2") == "R01-03"


def test_cycles_fall_due_cycle_years_after_the_last_count():
    today = date(2026, 3, 1)
    assert rules.next_due(None, 4, today) == "2026-03-01"  # never counted: due now
    assert rules.next_due("2024-02-29", 4, today) == "2028-02-29"
    assert rules.next_due("2024-02-29", 1, today) == "2025-02-28"
    assert rules.is_due("2026-03-01", today) and not rules.is_due("2026-03-02", today)


def _finding(decision=None):
    return Finding(org_id="o", campaign_id="c", id="f1", box_id="b", barcode=None, location_id=None,
                   conditions=("mould",), note=None, owner=None, decision=decision)


def test_a_campaign_closes_only_counted_and_with_every_finding_decided():
    rules.check_close("counted", [_finding("monitor")])
    with pytest.raises(rules.CloseRefused, match="f1"):
        rules.check_close("counted", [_finding()])
    for status in ("open", "counting", "closed"):
        with pytest.raises(rules.CloseRefused):
            rules.check_close(status, [])


def test_task_moves():
    rules.check_task_move("open", "in_progress")
    rules.check_task_move("done", "done")
    with pytest.raises(rules.CloseRefused):
        rules.check_task_move("done", "open")


def test_a_stacks_event_becomes_a_holding():
    envelope = {"source": "records.stacks", "type": "BoxMoved",
                "subjects": [{"kind": "box", "id": "b1", "org_id": "o1"}, {"kind": "shelf", "id": "R01-01-01-1"}],
                "payload": {"box": {"id": "b1", "barcode": "BC-9", "status": "shelved",
                                    "home_location_id": "R01-01-01-1", "version": 7}}}
    h = rules.holding_from_event(envelope)
    assert (h.org_id, h.box_id, h.barcode, h.home_id, h.version) == ("o1", "b1", "BC-9", "R01-01-01-1", 7)
    registered = {**envelope, "type": "BoxRegistered", "payload": envelope["payload"]["box"]}
    assert rules.holding_from_event(registered).version == 7
    assert rules.holding_from_event({**envelope, "type": "SensorRegistered"}) is None
    assert rules.holding_from_event({**envelope, "source": "records.identity"}) is None
    assert rules.holding_from_event({**envelope, "payload": {"box": {"id": "b1"}}}) is None


def test_csv_has_a_row_per_range_and_a_total_and_no_formulas():
    text = reports.report_csv({"R01-02": {"ok": 3, "missing": 1}, "=cmd": {"unexpected": 2}})
    lines = text.split("\r\n")
    assert lines[0] == "range,ok,misplaced,missing,unexpected,checked_out,total"
    assert lines[1] == "'=cmd,0,0,0,2,0,2" and lines[2] == "R01-02,3,0,1,0,0,4"  # sorted by range
    assert lines[3] == "total,3,0,1,2,0,6"


def test_svg_is_well_formed_with_one_bar_per_range_and_result():
    svg = reports.report_svg("Count <1>", {"R01-01": {"ok": 10, "missing": 2}, "R01-02": {"misplaced": 1}})
    root = ET.fromstring(svg.split("\n", 1)[1])
    bars = [e for e in root.iter("{http://www.w3.org/2000/svg}rect") if e.get("class") == "bar"]
    assert len(bars) == 2 * 5
    tallest = max(bars, key=lambda e: float(e.get("height")))
    assert (tallest.get("data-range"), tallest.get("data-result")) == ("R01-01", "ok")
    assert ET.fromstring(reports.report_svg("empty", {}).split("\n", 1)[1]) is not None


def test_svg_legend_speaks_words_not_codes_and_hangul_has_a_font():
    root = ET.fromstring(reports.report_svg("서고 점검", {"R01-01": {"checked_out": 1}}).split("\n", 1)[1])
    texts = list(root.iter("{http://www.w3.org/2000/svg}text"))
    words = {t.text for t in texts}
    assert {"OK", "Misplaced", "Missing", "Unexpected", "Checked out"} <= words and "checked_out" not in words
    bar = next(e for e in root.iter("{http://www.w3.org/2000/svg}rect") if e.get("data-result") == "checked_out")
    assert bar.find("{http://www.w3.org/2000/svg}title").text == "R01-01 Checked out: 1"
    for text in texts:
        families = [f.strip(" '") for f in text.get("font-family").split(",")]
        assert {"Apple SD Gothic Neo", "Malgun Gothic", "Noto Sans CJK KR"} <= set(families)
        assert families[-1] == "sans-serif"
