"""Who may do what in the stacks.

Stack managers (and their organisation's admins) manage locations, profiles, boxes,
placements and sensors; archivists, auditors and requesters of the organisation read.
Everything is scoped to the caller's own organisation (from the token): every item's
partition key starts with the organisation id, so another organisation's ids are simply
not found (404), never forbidden (which would disclose that they exist).
"""
from __future__ import annotations

from shared.auth import Caller
from shared.problems import Forbidden, NotFound

MANAGERS = ("stack_manager", "admin")
READERS = ("stack_manager", "admin", "archivist", "auditor", "requester")


def reader_org(caller: Caller) -> str:
    """The organisation whose stacks the caller may read."""
    if not caller.org_id:
        raise Forbidden("Your token names no organisation; stacks belong to organisations.")
    caller.require_role(*READERS)
    return caller.org_id


def manager_org(caller: Caller) -> str:
    """The organisation whose stacks the caller may change."""
    if not caller.org_id:
        raise Forbidden("Your token names no organisation; stacks belong to organisations.")
    caller.require_role(*MANAGERS)
    return caller.org_id


def require_found(entity, what: str):
    if entity is None:
        raise NotFound(f"No {what} with that id in your organisation.")
    return entity
