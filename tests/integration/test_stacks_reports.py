"""Occupancy (JSON, CSV, SVG), the space calculator and placement suggestions through the API."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from tests.integration.stacks_world import ARCHIVIST

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def partly_full(stacks, laid_out):
    """R01-01-01-1 full (10 boxes of Finance documents), R01-01-01-2 with 4 boxes of Audit drawings."""
    profile = laid_out["box_profile"]["id"]
    placements = [{"box_id": stacks.box(f"FIN-{n:03d}", profile)["id"], "location_id": "R01-01-01-1"}
                  for n in range(10)]
    placements += [{"box_id": stacks.box(f"AUD-{n:03d}", profile, producing_unit="Audit Office",
                                         record_form="drawing")["id"], "location_id": "R01-01-01-2"} for n in range(4)]
    assert stacks.ok("POST", "/placements/bulk", body={"placements": placements})["summary"]["placed"] == 14
    return laid_out


def test_occupancy_as_json_adds_up_per_range_and_section(stacks, partly_full):
    report = stacks.ok("GET", "/repositories/{repository_id}/occupancy", path={"repository_id": "R01"}, who=ARCHIVIST)
    assert report["totals"]["boxes"] == 14 and report["totals"]["shelves"] == 6
    assert report["totals"]["used_width_mm"] == 1400 and report["totals"]["free_width_mm"] == 4600
    [rng] = report["ranges"]
    assert [s["boxes"] for s in rng["sections"]] == [14, 0]
    assert rng["sections"][0]["fill_ratio"] == round(1400 / 3000, 4)


def test_occupancy_as_csv_has_one_row_per_shelf_by_query_or_accept_header(stacks, partly_full):
    for query, headers in (({"format": "csv"}, None), (None, {"Accept": "text/csv"})):
        status, text, response_headers = stacks.call("GET", "/repositories/{repository_id}/occupancy",
                                                     path={"repository_id": "R01"}, query=query, headers=headers)
        assert status == 200 and response_headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["location_id"] for r in rows] == [f"R01-01-0{s}-{h}" for s in (1, 2) for h in (1, 2, 3)]
        assert rows[0]["boxes"] == "10" and rows[0]["fill_ratio"] == "1.0" and rows[1]["free_width_mm"] == "600.0"


def test_occupancy_as_svg_draws_every_shelf_coloured_by_fill(stacks, partly_full):
    status, svg, headers = stacks.call("GET", "/repositories/{repository_id}/occupancy", path={"repository_id": "R01"},
                                       query={"format": "svg", "range": "R01-01"})
    assert status == 200 and headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.encode())
    shelves = {r.get("data-location-id"): r for r in root.iter(f"{SVG}rect") if r.get("class") == "shelf"}
    assert len(shelves) == 6
    assert shelves["R01-01-01-1"].get("data-fill") == "1.0"
    assert shelves["R01-01-01-1"].get("fill") != shelves["R01-01-01-2"].get("fill") != shelves["R01-01-02-1"].get("fill")
    assert stacks.call("GET", "/repositories/{repository_id}/occupancy", path={"repository_id": "R01"},
                       headers={"Accept": "image/svg+xml"})[2]["content-type"].startswith("image/svg+xml")
    assert stacks.call("GET", "/repositories/{repository_id}/occupancy", path={"repository_id": "R01"},
                       query={"range": "R02-01"})[0] == 400
    assert stacks.call("GET", "/repositories/{repository_id}/occupancy", path={"repository_id": "R01"},
                       query={"range": "R01-07"})[0] == 404
    assert stacks.call("GET", "/repositories/{repository_id}/occupancy", path={"repository_id": "R01"},
                       query={"format": "pdf"})[0] == 400


def test_the_space_calculator_counts_what_still_fits(stacks, partly_full):
    box_profile = partly_full["box_profile"]["id"]
    body = stacks.ok("GET", "/space", query={"location_id": "R01-01", "container_profile_id": box_profile})
    assert body["kind"] == "range" and body["boxes"] == 14 and body["boxes_that_fit"] == 60 - 14
    assert [(c["location_id"], c["boxes_that_fit"]) for c in body["children"]] == [("R01-01-01", 16), ("R01-01-02", 30)]
    shelf = stacks.ok("GET", "/space", query={"location_id": "R01-01-01-2", "container_profile_id": box_profile})
    assert shelf["boxes_that_fit"] == 6 and shelf["children"] == []
    double = stacks.box_profile(name="Half box", width_mm=50, height_mm=150, weight_kg=2, stacking_limit=2)
    roomy = stacks.ok("GET", "/space", query={"location_id": "R01-01-02-1", "container_profile_id": double["id"]})
    assert roomy["boxes_that_fit"] == 40  # stacked two high in 350 mm
    repository = stacks.ok("GET", "/space", query={"location_id": "R01"})
    assert repository["free_width_mm"] == 4600 and "boxes_that_fit" not in repository
    assert stacks.call("GET", "/space", query={"location_id": "R01-09"})[0] == 404


def test_suggestions_follow_the_arrangement_scheme(stacks, partly_full):
    box_profile = partly_full["box_profile"]["id"]
    audit = stacks.ok("GET", "/space/suggestions", query={
        "container_profile_id": box_profile, "count": "10", "record_form": "drawing", "producing_unit": "Audit Office"})
    assert [(s["location_id"], s["take"], s["reason"]) for s in audit["suggestions"]] == [
        ("R01-01-01-2", 6, "same_shelf"), ("R01-01-01-3", 4, "same_section")]
    finance = stacks.ok("GET", "/space/suggestions", query={
        "container_profile_id": box_profile, "count": "3", "record_form": "document", "producing_unit": "Finance Division"})
    assert finance["suggestions"][0]["location_id"] == "R01-01-01-3"  # its own shelf is full: nearest free space
    newcomer = stacks.ok("GET", "/space/suggestions", query={
        "container_profile_id": box_profile, "count": "25", "record_form": "photo_film", "producing_unit": "Press Office"})
    assert newcomer["suggestions"][0]["location_id"] == "R01-01-02-1" and newcomer["suggestions"][0]["reason"] == "free_space"
    assert newcomer["placed"] == 25 and newcomer["shortfall"] == 0
    box = stacks.box("AUD-100", box_profile, producing_unit="Audit Office", record_form="drawing")
    like = stacks.ok("GET", "/space/suggestions", query={"box_id": box["id"]})
    assert like["suggestions"][0]["location_id"] == "R01-01-01-2" and like["record_form"] == "drawing"
    too_many = stacks.ok("GET", "/space/suggestions", query={"container_profile_id": box_profile, "count": "500"})
    assert too_many["placed"] == 46 and too_many["shortfall"] == 454
    assert stacks.call("GET", "/space/suggestions", query={"count": "3"})[0] == 400  # no size given
