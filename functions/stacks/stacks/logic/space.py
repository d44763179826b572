"""The space calculator, placement suggestions and the occupancy report."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from shared.auth import Caller, require_found
from shared.problems import NotFound, ValidationFailed

from ..data import boxes as box_store
from ..data import locations as store
from ..domain import arrangement, reports
from ..domain.capacity import UM_PER_MM, BoxSize, boxes_that_fit, free_um, totals
from ..domain.codes import LocationCode
from ..domain.model import Location, Repository
from ..domain.rules import reader_org
from .common import code_field, code_path

MAX_SUGGESTED_SHELVES = 50


def _shelves_below(org_id: str, scope: LocationCode) -> list[Location]:
    if scope.kind == "repository":
        if store.get_repository(org_id, scope.repository) is None:
            raise NotFound(f"No repository {scope} in your organisation.")
    elif store.get_location(org_id, scope) is None:
        raise NotFound(f"No {scope.kind} {scope} in your organisation.")
    return store.locations_below(org_id, scope, "shelf")


def _figures(shelves: list[Location]):
    return totals((s.dimensions, s.use, s.active) for s in shelves if s.dimensions is not None)


def _box_size(org_id: str, container_profile_id: str | None) -> BoxSize | None:
    if not container_profile_id:
        return None
    profile = store.get_profile(org_id, "container", container_profile_id)
    if profile is None:  # a query naming an unknown (or another organisation's) id: 404, as a path would
        raise NotFound(f"container_profile_id: no container profile {container_profile_id} in your organisation.",
                       errors=[{"field": "container_profile_id", "message": "not found"}])
    return profile.size


def space(caller: Caller, location_id: str | None, container_profile_id: str | None) -> dict[str, Any]:
    """Free capacity of a repository, range, section or shelf, with its children's figures; with a
    container profile, how many boxes of it fit (shelf by shelf: a box never straddles two)."""
    org_id = reader_org(caller)
    if not location_id:
        raise ValidationFailed("location_id is required (a repository, range, section or shelf code).",
                               errors=[{"field": "location_id", "message": "required"}])
    scope = code_field(location_id, "location_id")
    size = _box_size(org_id, container_profile_id)
    shelves = _shelves_below(org_id, scope)
    groups: dict[str, list[Location]] = defaultdict(list)
    if scope.kind != "shelf":
        depth = len(scope.numbers) + 1
        for shelf in shelves:
            groups[str(LocationCode(scope.repository, *shelf.code.numbers[:depth]))].append(shelf)

    def fit(group: list[Location]) -> int:
        return sum(boxes_that_fit(s.dimensions, s.use, size) for s in group if s.active and s.dimensions)

    def describe(location_id_: str, group: list[Location]) -> dict[str, Any]:
        figure = {"location_id": location_id_, **_figures(group).public()}
        if size is not None:
            figure["boxes_that_fit"] = fit(group)
        return figure

    report = {"location_id": str(scope), "kind": scope.kind, "container_profile_id": container_profile_id,
              **describe(str(scope), shelves), "children": [describe(k, v) for k, v in sorted(groups.items())]}
    return report


def suggestions(caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    """Where N boxes should go, following the arrangement scheme (see domain.arrangement)."""
    org_id = reader_org(caller)
    record_form, producing_unit = params.get("record_form"), params.get("producing_unit")
    box = None
    if params.get("box_id"):
        box = require_found(box_store.get_box(org_id, params["box_id"]), "box")
        size = box.size
        record_form, producing_unit = record_form or box.record_form, producing_unit or box.producing_unit
    else:
        size = _box_size(org_id, params.get("container_profile_id"))
        if size is None:
            raise ValidationFailed("Give container_profile_id (the boxes' size) or box_id.",
                                   errors=[{"field": "container_profile_id", "message": "required without box_id"}])
    if params.get("repository_id"):
        scopes = [code_field(params["repository_id"], "repository_id", "repository")]
    else:
        scopes = [LocationCode(r.id) for r in _all_repositories(org_id) if r.status == "active"]
    shelves = [s for scope in scopes for s in _shelves_below(org_id, scope)]
    candidates = [arrangement.Candidate(s.code, s.dimensions, s.use, s.active, s.holdings)
                  for s in shelves if s.dimensions is not None and (box is None or box.home is None
                                                                    or box.home.shelf_id != s.id)]
    found, unplaced = arrangement.suggest(candidates, size, params["count"], record_form, producing_unit,
                                          limit=MAX_SUGGESTED_SHELVES)
    return {"count": params["count"], "record_form": record_form, "producing_unit": producing_unit,
            "suggestions": [s.public() for s in found], "placed": params["count"] - unplaced,
            "shortfall": unplaced}


def _all_repositories(org_id: str) -> list[Repository]:
    found, cursor = [], None
    while True:
        page, cursor = store.list_repositories(org_id, 100, cursor)
        found += page
        if not cursor:
            return found


# ------------------------------------------------------------------ occupancy
def occupancy(caller: Caller, repository_id: str, range_id: str | None) -> dict[str, Any]:
    """Every range and section of a repository with its figures, and every shelf's row."""
    org_id = reader_org(caller)
    code = code_path(repository_id)
    repository = require_found(store.get_repository(org_id, code.repository) if code and code.kind == "repository"
                               else None, "repository")
    scope = LocationCode(repository.id)
    if range_id:
        scope = code_field(range_id, "range", "range")
        if scope.repository != repository.id:
            raise ValidationFailed("range: that range is in another repository.",
                                   errors=[{"field": "range", "message": "not in this repository"}])
        if store.get_location(org_id, scope) is None:
            raise NotFound(f"No range {scope} in your organisation.")
    ranges = store.locations_below(org_id, scope, "range") if scope.kind == "repository" else [store.get_location(org_id, scope)]
    sections = store.locations_below(org_id, scope, "section")
    shelves = store.locations_below(org_id, scope, "shelf")
    by_section: dict[str, list[Location]] = defaultdict(list)
    by_range: dict[str, list[Location]] = defaultdict(list)
    for shelf in shelves:
        by_section[shelf.parent_id].append(shelf)
        by_range[str(shelf.code.parent.parent)].append(shelf)
    sections_of: dict[str, list[Location]] = defaultdict(list)
    for section in sections:
        sections_of[section.parent_id].append(section)
    report_ranges = []
    for rng in ranges:
        report_ranges.append({
            "id": rng.id, "name": rng.name, "status": rng.status, **_figures(by_range[rng.id]).public(),
            "sections": [{"id": s.id, "name": s.name, "status": s.status, **_figures(by_section[s.id]).public()}
                         for s in sections_of[rng.id]],
        })
    return {"repository": repository.public(), "scope": str(scope), "totals": _figures(shelves).public(),
            "ranges": report_ranges, "_shelves": shelves, "_sections": sections_of, "_ranges": ranges}


def shelf_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for shelf in report["_shelves"]:
        dims, use, code = shelf.dimensions, shelf.use, shelf.code
        rows.append({
            "location_id": shelf.id, "range": f"{code.range:02d}", "section": f"{code.section:02d}",
            "shelf": code.shelf, "name": shelf.name, "barcode": shelf.barcode, "status": shelf.status,
            "location_profile_id": shelf.profile_id, "width_mm": dims.width_mm,
            "used_width_mm": use.used_um / UM_PER_MM, "free_width_mm": free_um(dims, use) / UM_PER_MM,
            "load_limit_kg": dims.load_limit_kg, "used_weight_kg": use.used_g / 1000, "boxes": use.boxes,
            "fill_ratio": shelf.public()["occupancy"]["fill_ratio"],
        })
    return rows


def public_report(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if not k.startswith("_")}


def occupancy_csv(report: dict[str, Any]) -> str:
    return reports.occupancy_csv(shelf_rows(report))


def occupancy_svg(report: dict[str, Any]) -> str:
    by_section: dict[str, list[Location]] = defaultdict(list)
    for shelf in report["_shelves"]:
        by_section[shelf.parent_id].append(shelf)
    panels = []
    for rng in report["_ranges"]:
        columns = tuple(
            reports.SectionColumn(s.id, s.code.section, tuple(
                reports.ShelfCell(h.id, h.code.shelf, h.public()["occupancy"]["fill_ratio"], h.use.boxes,
                                  free_um(h.dimensions, h.use) / UM_PER_MM if h.active else 0.0, h.active)
                for h in by_section[s.id]))
            for s in report["_sections"][rng.id])
        figure = next(r for r in report["ranges"] if r["id"] == rng.id)
        panels.append(reports.RangePanel(rng.id, rng.name, columns, figure["fill_ratio"], figure["boxes"]))
    repository = report["repository"]
    title = f"{repository['id']} · {repository['name']} — occupancy"
    return reports.occupancy_svg(title, panels)

