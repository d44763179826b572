"""Repositories, ranges, sections, shelves, and location and container profiles."""
from __future__ import annotations

from typing import Any

from shared.auth import Caller, require_found
from shared.concurrency import stale
from shared.events import Subject, now_iso
from shared.idempotency import derived_id
from shared.problems import Conflict, NotFound, ValidationFailed

from ..data import locations as store
from ..domain import environment as env
from ..domain.capacity import BoxSize, ShelfDimensions
from ..domain.codes import CHILD_KIND, InvalidCode, LocationCode
from ..domain.model import ContainerProfile, Location, LocationProfile, Repository
from ..domain.rules import manager_org, reader_org
from .common import code_field, code_path, event, location_subject

MAX_LOCATIONS_PER_CALL = 96  # one transaction: the locations, the parent check and the event (limit 100)


# --------------------------------------------------------------- repositories
def _targets(body: dict[str, Any]) -> dict[str, Any]:
    try:
        return env.check_targets(body.get("environment_targets") or {})
    except env.InvalidTargets as exc:
        raise ValidationFailed(str(exc), errors=[{"field": exc.field, "message": str(exc)}]) from None


def _repo_subject(repo_: Repository) -> Subject:
    return Subject("repository", repo_.id, repo_.org_id)


def create_repository(caller: Caller, body: dict[str, Any]) -> Repository:
    org_id = manager_org(caller)
    code = code_field(body["code"], "code", "repository")
    stamp = now_iso()
    repository = Repository(org_id=org_id, id=str(code), name=body["name"].strip(), barcode=body.get("barcode"),
                            environment_targets=_targets(body), created_at=stamp, updated_at=stamp)
    if store.get_repository(org_id, repository.id) is not None:
        raise Conflict(f"Your organisation already has a repository {repository.id}.",
                       errors=[{"field": "code", "message": "already exists"}])
    _refuse_taken_barcode(org_id, repository.barcode)
    store.create_repository(repository, event("RepositoryCreated", [_repo_subject(repository)], repository.public(),
                                              caller.as_actor()))
    return repository


def list_repositories(caller: Caller, limit: int, cursor: str | None):
    return store.list_repositories(reader_org(caller), limit, cursor)


def get_repository(caller: Caller, repository_id: str) -> Repository:
    org_id = reader_org(caller)
    code = code_path(repository_id)
    found = store.get_repository(org_id, code.repository) if code and code.kind == "repository" else None
    return require_found(found, "repository")


def update_repository(caller: Caller, repository_id: str, changes: dict[str, Any], expected_version: int) -> Repository:
    org_id = manager_org(caller)
    code = code_path(repository_id)
    before = require_found(store.get_repository(org_id, code.repository) if code and code.kind == "repository"
                           else None, "repository")
    fields: dict[str, Any] = {}
    if "name" in changes:
        fields["name"] = changes["name"].strip()
    if "barcode" in changes:
        fields["barcode"] = changes["barcode"]
    if "environment_targets" in changes:
        fields["environment_targets"] = _targets(changes)
    if "status" in changes:
        fields["status"] = changes["status"]
    if before.version != expected_version:
        raise stale("repository")
    after = before.with_changes(**fields, version=before.version + 1, updated_at=now_iso())
    if after.barcode != before.barcode:
        _refuse_taken_barcode(org_id, after.barcode, after.id)
    store.update_repository(after, before, event("RepositoryUpdated", [_repo_subject(after)],
                                                 {"changes": fields, "repository": after.public()}, caller.as_actor()))
    return after


# ------------------------------------------------------------------ locations
def _shelf_dimensions(org_id: str, profile_id: str, field: str = "location_profile_id") -> ShelfDimensions:
    profile = store.get_profile(org_id, "location", profile_id)
    if profile is None:
        raise ValidationFailed(f"{field}: no location profile {profile_id} in your organisation.",
                               errors=[{"field": field, "message": "not found"}])
    return profile.dimensions


def create_location(caller: Caller, body: dict[str, Any]) -> Location:
    """A range, section or shelf under an existing parent; with `layout`, its children too
    (a range with its sections and their shelves, or a section with its shelves), all or nothing."""
    org_id = manager_org(caller)
    kind = body["kind"]
    parent = code_field(body["parent_id"], "parent_id")
    if CHILD_KIND.get(parent.kind) != kind:
        raise ValidationFailed(f"parent_id: a {kind} belongs in a {_parent_kind(kind)}, not a {parent.kind}.",
                               errors=[{"field": "parent_id", "message": f"must be a {_parent_kind(kind)}"}])
    try:  # JSON Schema's integers include 23.0: the code needs the int
        code = parent.child(int(body["number"]))
    except InvalidCode as exc:
        raise ValidationFailed(f"number: {exc}", errors=[{"field": "number", "message": str(exc)}]) from None
    layout = body.get("layout") or {}
    profile_id = body.get("location_profile_id")
    needs_profile = kind == "shelf" or layout.get("shelves_per_section") or (kind == "section" and layout.get("shelves"))
    if needs_profile and not profile_id:
        raise ValidationFailed("location_profile_id: shelves need a location profile (their dimensions).",
                               errors=[{"field": "location_profile_id", "message": "required for shelves"}])
    dims = _shelf_dimensions(org_id, profile_id) if needs_profile else None
    stamp = now_iso()

    def new(c: LocationCode, name: str | None = None, barcode: str | None = None) -> Location:
        shelf = c.kind == "shelf"
        return Location(org_id=org_id, id=str(c), kind=c.kind, name=name, barcode=barcode, created_at=stamp,
                        updated_at=stamp, profile_id=profile_id if shelf else None,
                        dimensions=dims if shelf else None)

    created = [new(code, (body.get("name") or "").strip() or None, body.get("barcode"))]
    if kind == "range":
        for s in range(1, layout.get("sections", 0) + 1):
            section = code.child(s)
            created.append(new(section))
            created += [new(section.child(h)) for h in range(1, layout.get("shelves_per_section", 0) + 1)]
    elif kind == "section":
        created += [new(code.child(h)) for h in range(1, layout.get("shelves", 0) + 1)]
    if len(created) > MAX_LOCATIONS_PER_CALL:
        raise ValidationFailed(f"layout: {len(created)} locations in one call; at most {MAX_LOCATIONS_PER_CALL}. "
                               "Create the range first, then its sections with their shelves.",
                               errors=[{"field": "layout", "message": "too many locations for one call"}])
    if store.get_location(org_id, code) is not None:
        raise Conflict(f"{code} already exists.", errors=[{"field": "number", "message": "already exists"}])
    _refuse_taken_barcode(org_id, body.get("barcode"))
    subjects = [location_subject(org_id, loc.id) for loc in created] + [location_subject(org_id, str(parent))]
    store.create_locations(org_id, parent, created,
                           event("LocationCreated", subjects,
                                 {"location": created[0].public(), "created": [loc.id for loc in created]},
                                 caller.as_actor()))
    return created[0]


def _refuse_taken_barcode(org_id: str, barcode: str | None, owner_id: str | None = None) -> None:
    """Refuse a label in use at once (the claim item in the write stays the guarantee)."""
    if barcode:
        owner = store.barcode_owner(org_id, barcode)
        if owner is not None and owner[1] != owner_id:
            raise store.barcode_taken(barcode)


def _parent_kind(kind: str) -> str:
    return {v: k for k, v in CHILD_KIND.items()}[kind]


def _location(org_id: str, location_id: str) -> Location:
    code = code_path(location_id)
    found = store.get_location(org_id, code) if code is not None and code.kind != "repository" else None
    return require_found(found, "range, section or shelf")


def get_location(caller: Caller, location_id: str) -> Location:
    return _location(reader_org(caller), location_id)


def list_locations(caller: Caller, repository_id: str, kind: str, within: str | None, limit: int,
                   cursor: str | None):
    org_id = reader_org(caller)
    code = code_path(repository_id)
    if code is None or code.kind != "repository" or store.get_repository(org_id, code.repository) is None:
        raise NotFound("No repository with that id in your organisation.")
    scope = code
    if within:
        scope = code_field(within, "within")
        if scope.repository != code.repository:
            raise ValidationFailed("within: that location is in another repository.",
                                   errors=[{"field": "within", "message": "not in this repository"}])
        if scope.kind == "shelf" and kind != "shelf" or (scope.kind == "section" and kind == "range"):
            raise ValidationFailed(f"within: no {kind} lies inside a {scope.kind}.",
                                   errors=[{"field": "within", "message": f"holds no {kind}"}])
    return store.list_locations(org_id, scope, kind, limit, cursor)


def update_location(caller: Caller, location_id: str, changes: dict[str, Any], expected_version: int) -> Location:
    org_id = manager_org(caller)
    before = _location(org_id, location_id)
    fields: dict[str, Any] = {}
    for name in ("name", "barcode", "status"):
        if name in changes:
            value = changes[name]
            fields[name] = value.strip() if name == "name" and isinstance(value, str) else value
    if "location_profile_id" in changes:
        if before.kind != "shelf":
            raise ValidationFailed("location_profile_id: only shelves have a location profile.",
                                   errors=[{"field": "location_profile_id", "message": "not a shelf"}])
        fields["profile_id"] = changes["location_profile_id"]
        fields["dimensions"] = _shelf_dimensions(org_id, changes["location_profile_id"])
    if before.version != expected_version:
        raise stale("location")
    after = before.with_changes(**fields, version=before.version + 1, updated_at=now_iso())
    public_changes = {("location_profile_id" if k == "profile_id" else k): v for k, v in fields.items()
                      if k != "dimensions"}
    if after.barcode != before.barcode:
        _refuse_taken_barcode(org_id, after.barcode, after.id)
    if after.dimensions != before.dimensions and after.dimensions is not None:
        d = after.dimensions
        if before.use.used_um > d.width_mm * 1000 or before.use.used_g > round(d.load_limit_kg * 1000):
            raise Conflict("The shelf holds more than the new profile allows; move boxes off it first.")
    store.update_location(after, before, event("LocationUpdated", [location_subject(org_id, after.id)],
                                               {"changes": public_changes, "location": after.public()},
                                               caller.as_actor()))
    return after


# ------------------------------------------------------------------- profiles
def create_location_profile(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> LocationProfile:
    org_id = manager_org(caller)
    stamp = now_iso()
    profile = LocationProfile(org_id=org_id, id=derived_id(f"lprofile|{caller.user_id}", idempotency_key),
                              name=body["name"].strip(),
                              dimensions=ShelfDimensions(body["width_mm"], body["height_mm"], body["depth_mm"],
                                                         body["load_limit_kg"]),
                              created_at=stamp, updated_at=stamp)
    store.save_profile(profile, event("LocationProfileCreated", [Subject("location_profile", profile.id, org_id)],
                                      profile.public(), caller.as_actor()))
    return profile


def create_container_profile(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> ContainerProfile:
    org_id = manager_org(caller)
    stamp = now_iso()
    profile = ContainerProfile(org_id=org_id, id=derived_id(f"cprofile|{caller.user_id}", idempotency_key),
                               name=body["name"].strip(),
                               size=BoxSize(body["width_mm"], body["height_mm"], body["depth_mm"], body["weight_kg"],
                                            body.get("stacking_limit", 1)),
                               created_at=stamp, updated_at=stamp)
    store.save_profile(profile, event("ContainerProfileCreated", [Subject("container_profile", profile.id, org_id)],
                                      profile.public(), caller.as_actor()))
    return profile


def list_profiles(caller: Caller, kind: str, limit: int, cursor: str | None):
    return store.list_profiles(reader_org(caller), kind, limit, cursor)


def get_profile(caller: Caller, kind: str, profile_id: str):
    return require_found(store.get_profile(reader_org(caller), kind, profile_id), f"{kind} profile")


def update_profile(caller: Caller, kind: str, profile_id: str, changes: dict[str, Any], expected_version: int):
    """Profiles apply to what is created (or re-profiled) afterwards: shelves keep the dimensions they
    were given, so a profile edit never silently overfills a shelf."""
    org_id = manager_org(caller)
    before = require_found(store.get_profile(org_id, kind, profile_id), f"{kind} profile")
    if before.version != expected_version:
        raise stale("profile")
    current = before.public()
    merged = {**current, **{k: (v.strip() if k == "name" else v) for k, v in changes.items()}}
    stamp = now_iso()
    if kind == "location":
        after = LocationProfile(org_id=org_id, id=before.id, name=merged["name"],
                                dimensions=ShelfDimensions(merged["width_mm"], merged["height_mm"], merged["depth_mm"],
                                                           merged["load_limit_kg"]),
                                version=before.version + 1, created_at=before.created_at, updated_at=stamp)
    else:
        after = ContainerProfile(org_id=org_id, id=before.id, name=merged["name"],
                                 size=BoxSize(merged["width_mm"], merged["height_mm"], merged["depth_mm"],
                                              merged["weight_kg"], merged["stacking_limit"]),
                                 version=before.version + 1, created_at=before.created_at, updated_at=stamp)
    type_ = "LocationProfileUpdated" if kind == "location" else "ContainerProfileUpdated"
    store.save_profile(after, event(type_, [Subject(f"{kind}_profile", after.id, org_id)],
                                    {"changes": changes, "profile": after.public()}, caller.as_actor()),
                       expected_version=expected_version)
    return after
