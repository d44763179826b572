"""The classes files are filed under, as records knows them (the current usable scheme version)."""
from __future__ import annotations

from shared.auth import Caller
from shared.problems import NotFound

from ..data import classes as store
from ..domain.access import reader_org


def list_classes(caller: Caller, version: int | None, limit: int, cursor: str | None):
    """Unit tasks of the current usable version (or of `version`, when usable), with their rules."""
    org_id = reader_org(caller)
    version = version or store.current_version(org_id)
    if version is None or not store.is_usable(org_id, version):
        raise NotFound("No usable published scheme version with that number in your organisation.")
    return store.list_unit_tasks(org_id, version, limit, cursor)
