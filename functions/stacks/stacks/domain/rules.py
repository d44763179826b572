"""Who may do what in the stacks.

Stack managers (and their organisation's admins) manage locations, profiles, boxes,
placements and sensors; archivists, auditors and requesters of the organisation read.
Everything is scoped to the caller's own organisation (from the token): every item's
partition key starts with the organisation id, so another organisation's ids are simply
not found (404), never forbidden (which would disclose that they exist).
"""
from __future__ import annotations

from shared.auth import Caller

MANAGERS = ("stack_manager", "admin")
READERS = ("stack_manager", "admin", "archivist", "auditor", "requester")


def reader_org(caller: Caller) -> str:
    """The organisation whose stacks the caller may read."""
    return caller.require_org(*READERS, holdings="stacks")


def manager_org(caller: Caller) -> str:
    """The organisation whose stacks the caller may change."""
    return caller.require_org(*MANAGERS, holdings="stacks")


# A bulk placement of at most this many boxes is placed within the call; a larger one is a job. Chosen so
# the call answers well inside StacksFunction's 28 s on a loaded machine, without the 6 s guard answering
# boxes 503 (500 took 20 s at load 12-16, 73 % of the timeout): docs/workflows/stacks.md, "Bulk work".
MAX_SYNC_PLACEMENTS = 200
