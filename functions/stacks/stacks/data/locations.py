"""Repositories, ranges, sections, shelves and profiles in the stacks table.

Every write is one transaction with its domain event. Conditions encode the rules: a
location is created once and only under an active parent; a barcode is claimed once per
organisation; updates match the version the caller read; a shelf's new dimensions must
still hold what is on it.
"""
from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.problems import Conflict, ValidationFailed

from ..domain.capacity import UM_PER_MM, kg_to_g
from ..domain.codes import LocationCode
from ..domain.model import ContainerProfile, Location, LocationProfile, Repository
from .tables import (PROFILE_PREFIX, ClaimItem, ContainerProfileItem, LocationItem, LocationProfileItem, RepositoryItem,
                     barcode_key, location_key, location_prefix, location_sort_key, org_key, repo_partition,
                     repository_sort_key)
from .tx import Tx, page, read


def location_ref(org_id: str, code: LocationCode) -> LocationItem:
    """A key-only item, for updates."""
    pk, sk = location_key(org_id, code)
    return LocationItem(pk=pk, sk=sk)


def _claim(org_id: str, barcode: str, kind: str, owner_id: str) -> ClaimItem:
    return ClaimItem(pk=barcode_key(org_id, barcode), sk="CLAIM", owner_kind=kind, owner_id=owner_id)


def barcode_taken(barcode: str) -> Conflict:
    return Conflict(f"The barcode {barcode} is already in use in your organisation.",
                    errors=[{"field": "barcode", "message": "already in use"}])


def _claim_barcode(tx: Tx, org_id: str, old: str | None, new: str | None, kind: str, owner_id: str) -> None:
    if old == new:
        return
    if old:
        tx.delete(_claim(org_id, old, kind, owner_id), condition=ClaimItem.owner_id == owner_id)
    if new:
        tx.put(_claim(org_id, new, kind, owner_id), condition=ClaimItem.pk.does_not_exist(), on_fail=barcode_taken(new))


def barcode_owner(org_id: str, barcode: str) -> tuple[str, str] | None:
    try:
        claim = read(ClaimItem.get, barcode_key(org_id, barcode), "CLAIM")
    except DoesNotExist:
        return None
    return claim.owner_kind, claim.owner_id


# ---------------------------------------------------------------- repositories
def get_repository(org_id: str, repository_id: str, consistent: bool = False) -> Repository | None:
    try:
        return read(RepositoryItem.get, org_key(org_id), repository_sort_key(repository_id),
                    consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def list_repositories(org_id: str, limit: int, cursor: str | None) -> tuple[list[Repository], str | None]:
    return page(RepositoryItem, org_key(org_id), repository_sort_key(""), limit, cursor)


def create_repository(repo: Repository, event: DomainEvent) -> None:
    tx = Tx().put(RepositoryItem.of(repo), condition=RepositoryItem.pk.does_not_exist(),
                  on_fail=Conflict(f"Your organisation already has a repository {repo.id}.",
                                   errors=[{"field": "code", "message": "already exists"}]))
    _claim_barcode(tx, repo.org_id, None, repo.barcode, "repository", repo.id)
    tx.event(event).run()


def update_repository(repo: Repository, before: Repository, event: DomainEvent) -> None:
    tx = Tx().put(RepositoryItem.of(repo), condition=RepositoryItem.version == before.version,
                  on_fail=stale("repository"))
    _claim_barcode(tx, repo.org_id, before.barcode, repo.barcode, "repository", repo.id)
    tx.event(event).run()


# ------------------------------------------------------------------ locations
def get_location(org_id: str, code: LocationCode, consistent: bool = False) -> Location | None:
    pk, sk = location_key(org_id, code)
    try:
        return read(LocationItem.get, pk, sk, consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def list_locations(org_id: str, within: LocationCode, kind: str, limit: int,
                   cursor: str | None) -> tuple[list[Location], str | None]:
    return page(LocationItem, repo_partition(org_id, within.repository), location_prefix(within, kind), limit, cursor)


def locations_below(org_id: str, within: LocationCode, kind: str) -> list[Location]:
    """Every location of `kind` at or below `within`, all pages, in code order."""
    pk, prefix = repo_partition(org_id, within.repository), location_prefix(within, kind)
    result = LocationItem.query(pk, LocationItem.sk.startswith(prefix), page_size=500)
    return read(lambda: [i.entity() for i in result])


def create_locations(org_id: str, parent: LocationCode, created: list[Location], event: DomainEvent) -> None:
    """Create locations under an existing, active parent, all or nothing."""
    tx = Tx()

    def parent_gone() -> Exception:
        exists = (get_repository(org_id, parent.repository, consistent=True) if parent.kind == "repository"
                  else get_location(org_id, parent, consistent=True))
        if exists is None:
            return ValidationFailed(f"parent_id: no {parent.kind} {parent} in your organisation.",
                                    errors=[{"field": "parent_id", "message": "not found"}])
        return Conflict(f"The {parent.kind} {parent} is inactive; it takes no new locations.")

    if parent.kind == "repository":
        tx.check(RepositoryItem, org_key(org_id), location_sort_key(parent), RepositoryItem.status == "active",
                 on_fail=parent_gone)
    else:
        pk, sk = location_key(org_id, parent)
        tx.check(LocationItem, pk, sk, LocationItem.status == "active", on_fail=parent_gone)
    for loc in created:
        tx.put(LocationItem.of(loc), condition=LocationItem.pk.does_not_exist(),
               on_fail=Conflict(f"{loc.id} already exists.", errors=[{"field": "number", "message": "already exists"}]))
        _claim_barcode(tx, org_id, None, loc.barcode, "location", loc.id)
    tx.event(event).run()


def update_location(loc: Location, before: Location, event: DomainEvent) -> None:
    """Save a location's descriptive fields; a shelf's new dimensions must hold what is on it now."""
    condition = LocationItem.version == before.version
    actions = [LocationItem.name.set(loc.name) if loc.name is not None else LocationItem.name.remove(),
               LocationItem.barcode.set(loc.barcode) if loc.barcode else LocationItem.barcode.remove(),
               LocationItem.status.set(loc.status), LocationItem.version.set(loc.version),
               LocationItem.updated_at.set(loc.updated_at)]
    on_fail: Any = stale("location")
    if loc.kind == "shelf" and loc.dimensions != before.dimensions and loc.dimensions is not None:
        d = loc.dimensions
        condition &= (LocationItem.used_um <= d.width_mm * UM_PER_MM) & (LocationItem.used_g <= kg_to_g(d.load_limit_kg))
        actions += [LocationItem.profile_id.set(loc.profile_id), LocationItem.width_mm.set(d.width_mm),
                    LocationItem.height_mm.set(d.height_mm), LocationItem.depth_mm.set(d.depth_mm),
                    LocationItem.load_limit_kg.set(d.load_limit_kg)]

        def on_fail() -> Exception:
            now = get_location(loc.org_id, loc.code, consistent=True)
            if now is None or now.version != before.version:
                return stale("location")
            return Conflict("The shelf holds more than the new profile allows; move boxes off it first.")
    tx = Tx().update(location_ref(loc.org_id, loc.code), actions, condition=condition, on_fail=on_fail)
    _claim_barcode(tx, loc.org_id, before.barcode, loc.barcode, "location", loc.id)
    tx.event(event).run()


# ------------------------------------------------------------------- profiles
PROFILE_ITEMS = {"location": LocationProfileItem, "container": ContainerProfileItem}


def get_profile(org_id: str, kind: str, profile_id: str):
    try:
        return read(PROFILE_ITEMS[kind].get, org_key(org_id), PROFILE_PREFIX[kind] + profile_id).entity()
    except DoesNotExist:
        return None


def list_profiles(org_id: str, kind: str, limit: int, cursor: str | None):
    return page(PROFILE_ITEMS[kind], org_key(org_id), PROFILE_PREFIX[kind], limit, cursor)


def save_profile(profile: LocationProfile | ContainerProfile, event: DomainEvent,
                 expected_version: int | None = None) -> None:
    model = LocationProfileItem if isinstance(profile, LocationProfile) else ContainerProfileItem
    if expected_version is None:
        condition, on_fail = model.pk.does_not_exist(), Conflict("That profile already exists.")
    else:
        condition, on_fail = model.version == expected_version, stale("profile")
    Tx().put(model.of(profile), condition=condition, on_fail=on_fail).event(event).run()
