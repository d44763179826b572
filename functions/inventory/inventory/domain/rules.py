"""The rules of stock-taking: who may do what, how a box is classified, when a cycle is due,
when a campaign may close, and how a stacks event becomes a holding.

Classification of one expected box (its home shelf is in the campaign's scope):

| seen in the scans        | box status (stacks)           | result        |
|--------------------------|-------------------------------|---------------|
| on its home shelf        | any                           | ok            |
| on another shelf         | any                           | misplaced     |
| nowhere                  | checked_out / in_transfer     | checked_out   |
| nowhere                  | shelved / reserved / missing  | missing       |

A scanned barcode that names no box, or a box whose home is not in the scope (or that has
no home), is `unexpected` where it was scanned.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from shared.auth import Caller

from .model import Finding, Holding

MANAGERS = ("stack_manager", "admin")
SCANNERS = ("stack_manager", "admin", "archivist")
READERS = ("stack_manager", "admin", "archivist", "auditor")
ABSENT_AND_FINE = ("checked_out", "in_transfer")
DEFAULT_CYCLE_YEARS = 4

# The stacks events that carry a box (payload.box, or the payload itself for BoxRegistered).
REPOSITORY_EVENTS = ("RepositoryCreated", "RepositoryUpdated")  # a repository exists (stacks has no deletion)
BOX_EVENTS = ("BoxRegistered", "BoxUpdated", "BoxPlaced", "BoxMoved", "BoxFound", "BoxRemoved", "BoxStatusChanged",
              "BoxReserved", "BoxReservationReleased", "BoxCheckedOut", "BoxReturned",
              "BoxDestroyed", "BoxTransferred")  # destroyed or transferred: off its shelf for good, expected nowhere


def manager_org(caller: Caller) -> str:
    """Stack managers and admins open, count and close campaigns and set cycles."""
    return caller.require_org(*MANAGERS, holdings="campaigns")


def scanner_org(caller: Caller) -> str:
    """Archivists too may scan and record findings."""
    return caller.require_org(*SCANNERS, holdings="campaigns")


def reader_org(caller: Caller) -> str:
    return caller.require_org(*READERS, holdings="campaigns")


# ------------------------------------------------------------------ classification
def classify(holding: Holding, seen_at: str | None) -> str:
    if seen_at is not None:
        return "ok" if seen_at == holding.home_id else "misplaced"
    return "checked_out" if holding.status in ABSENT_AND_FINE else "missing"


# ---------------------------------------------------------------------- cycles
def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def next_due(last_counted_on: str | None, cycle_years: int, today: date) -> str:
    """A repository never counted is due now; otherwise `cycle_years` after its last count."""
    if last_counted_on is None:
        return today.isoformat()
    return add_years(date.fromisoformat(last_counted_on), cycle_years).isoformat()


def is_due(next_due_on: str, today: date) -> bool:
    return date.fromisoformat(next_due_on) <= today


# ---------------------------------------------------------------------- closing
class CloseRefused(Exception):
    """Why a campaign cannot close yet."""


def check_close(status: str, findings: Iterable[Finding]) -> None:
    """A campaign closes once counted and when every finding has a decision (follow-up is mandatory)."""
    if status != "counted":
        raise CloseRefused(f"A {status} campaign cannot close; count it first." if status != "closed"
                           else "The campaign is already closed.")
    undecided = [f.id for f in findings if not f.decision]
    if undecided:
        raise CloseRefused(f"{len(undecided)} finding(s) have no decision yet: {', '.join(undecided[:10])}.")


TASK_MOVES = {("open", "in_progress"), ("open", "done"), ("in_progress", "done"), ("in_progress", "open"),
              ("done", "in_progress")}


def check_task_move(current: str, target: str) -> None:
    if current != target and (current, target) not in TASK_MOVES:
        raise CloseRefused(f"A follow-up task cannot go from {current} to {target}.")


# ------------------------------------------------------------------ holdings
def holding_from_event(envelope: dict[str, Any]) -> Holding | None:
    """The box an event of stacks describes (its newest state), or None for other events."""
    if envelope.get("source") != "records.stacks" or envelope.get("type") not in BOX_EVENTS:
        return None
    payload = envelope.get("payload") or {}
    box = payload.get("box") if isinstance(payload.get("box"), dict) else payload
    org_id = next((s.get("org_id") for s in envelope.get("subjects") or [] if s.get("kind") == "box"), None)
    if not org_id or not box.get("id") or not box.get("barcode") or not isinstance(box.get("version"), int):
        return None
    return Holding(org_id=org_id, box_id=box["id"], barcode=box["barcode"], status=box.get("status") or "unplaced",
                   home_id=box.get("home_location_id"), version=box["version"])


def repository_from_event(envelope: dict[str, Any]) -> tuple[str, str] | None:
    """(organisation, repository code) of a stacks event saying the repository exists, else None."""
    if envelope.get("source") != "records.stacks" or envelope.get("type") not in REPOSITORY_EVENTS:
        return None
    subject = next((s for s in envelope.get("subjects") or [] if s.get("kind") == "repository"), None)
    if subject is None or not subject.get("org_id") or not subject.get("id"):
        return None
    return subject["org_id"], subject["id"]


def newest_holdings(holdings: Iterable[Holding]) -> dict[tuple[str, str], Holding]:
    """The newest state of each box (organisation, box id) among many events' holdings: a batch may
    carry a box's events twice or out of order, and only its highest version can change the model."""
    newest: dict[tuple[str, str], Holding] = {}
    for h in holdings:
        known = newest.get((h.org_id, h.box_id))
        if known is None or h.version > known.version:
            newest[(h.org_id, h.box_id)] = h
    return newest
