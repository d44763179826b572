"""Destruction (폐기) as records sees it: a run of the disposal capability marks files (reversible), then
destroys their content; what is left is a residual record (MoReq2010): the file's, items' and components'
metadata, each component's hash, and the whole history. No AWS here.

    closed / under_review ──mark──▶ being_destroyed ──destroy──▶ destroyed (final)
                  ▲                        │
                  └──────── unmark ────────┘  back to prior_status

Every move is keyed by the run: a file marked by run R counts as marked when R asks again, is let go
only by R, and destroyed only by R (`destruction_run_id` on the file says which run last marked it).
"""
from __future__ import annotations

from typing import Any

from . import lifecycle
from .components import Component
from .model import RecordFile
from .problems import ContentDestroyed, FileBeingDestroyed

MARKED = "being_destroyed"
DESTROYED = "destroyed"
PAGE = 25  # file ids one step takes (contract: the state machine iterates pages)

# Why a file is refused or skipped (stable words: the disposal capability shows them per file).
UNKNOWN = "unknown-file"
NOT_CLOSED = "not-closed"
FINAL = "final"
IN_OTHER_RUN = "in-other-run"
NOT_MARKED = "not-marked"


def mark_refusal(file: RecordFile | None, run_id: str) -> str | None:
    """Why `run_id` cannot mark the file, or None when it can (or already did)."""
    if file is None:
        return UNKNOWN
    if file.status == MARKED:
        return None if file.destruction_run_id == run_id else IN_OTHER_RUN
    if file.status in lifecycle.FINAL:
        return FINAL
    if file.status == "open":
        return NOT_CLOSED
    if not lifecycle.can_move(file.status, MARKED):
        return f"status-{file.status}"  # e.g. held, or taken by another disposition
    return None


def already_marked(file: RecordFile, run_id: str) -> bool:
    return file.status == MARKED and file.destruction_run_id == run_id


def marked(file: RecordFile, run_id: str) -> dict[str, Any]:
    """The changes that mark the file for the run (its status kept to go back to)."""
    return {"status": MARKED, "prior_status": file.status, "destruction_run_id": run_id}


def unmarked(file: RecordFile) -> dict[str, Any]:
    """The changes that let the file go: back to the status it had (closed, if that was never recorded)."""
    back = file.prior_status if file.prior_status and lifecycle.can_move(MARKED, file.prior_status) else "closed"
    return {"status": back, "prior_status": None}


def released_by(file: RecordFile, run_id: str) -> bool:
    """The run marked the file and has let it go already (a retried unmark answers the same)."""
    return file.destruction_run_id == run_id and file.status not in (MARKED, DESTROYED)


def destroy_skip(file: RecordFile | None, run_id: str) -> str | None:
    """Why the run's destroy step leaves the file alone, or None when it destroys it (or finishes doing so)."""
    if file is None:
        return UNKNOWN
    if file.destruction_run_id == run_id and file.status in (MARKED, DESTROYED):
        return None
    if file.status == MARKED:
        return IN_OTHER_RUN
    if file.status in lifecycle.FINAL:
        return FINAL
    return NOT_MARKED


def planned(run_id: str, versions: list[str]) -> dict[str, Any]:
    """What the run records on a component before it deletes a byte: the run and every version id."""
    return {"destruction_run_id": run_id, "destruction_versions": tuple(versions)}


def destroyed(stamp: str) -> dict[str, Any]:
    return {"status": DESTROYED, "destroyed_at": stamp}


def component_entry(component: Component) -> dict[str, Any]:
    """One component in the step's answer (and so in the certificate)."""
    return {"component_id": component.id, "item_id": component.item_id, "name": component.filename,
            "sha256": component.sha256, "size": component.size,
            "versions_deleted": len(component.destruction_versions)}


def refuse_while_marked(file: RecordFile, what: str) -> None:
    """Nothing of a file a run holds changes: a 409 naming the run."""
    if file.status == MARKED:
        raise FileBeingDestroyed(
            f"The file is being destroyed by destruction run {file.destruction_run_id}: {what} is refused until "
            "the run destroys it or lets it go.", run_id=file.destruction_run_id, file_id=file.id)


def refuse_destroyed_content(component: Component, file: RecordFile | None = None) -> None:
    """A destroyed component (or any of a destroyed file) has no content: 410 naming the run; its metadata
    is still readable."""
    if component.destroyed or (file is not None and file.status == DESTROYED):
        run_id = component.destruction_run_id or (file.destruction_run_id if file else None)
        when = component.destroyed_at or (file.destroyed_at if file else None)
        raise ContentDestroyed(
            f"This component's content was destroyed by destruction run {run_id} on {when}; its description, "
            "SHA-256 and history remain.", run_id=run_id, component_id=component.id, sha256=component.sha256)
