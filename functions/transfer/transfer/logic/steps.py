"""The steps of transfer's two sagas (TransferPackageStateMachine, TransferAcceptStateMachine).

Each takes {org_id (the sender), transfer_id, ...}; each is idempotent (keyed by the transfer and the page)
and reads only its own table. A business refusal of a whole step raises a StepRefused (the saga compensates
at once); a page's refusals that records or stacks return are checked here and refuse the step, naming each.
"""
from __future__ import annotations

from collections import defaultdict
import json
from typing import Any

from shared.events import now_iso, system_actor
from shared.tasks import InvalidTaskInput

from ..data import transfers as store
from ..data import views as views_store
from ..domain import rules
from ..domain.bag import Entry, safe_path
from ..domain.model import EXPORT, Problem, Transfer, TransferFile
from ..domain.problems import BagInvalid, ComponentCorrupt, FilesRefused, HeldSinceCreated, StepRefused
from .common import event, subjects


def transfer_of(step: dict[str, Any]) -> Transfer:
    transfer = store.get_transfer(step["org_id"], step["transfer_id"], consistent=True)
    if transfer is None:
        raise InvalidTaskInput(f"no transfer {step['transfer_id']} of {step['org_id']}")
    return transfer


def _actor(transfer: Transfer) -> dict[str, Any]:
    return system_actor(transfer.sender_org, transfer_id=transfer.id)


def _page_files(transfer: Transfer, number: int) -> list[TransferFile]:
    page = store.get_page(transfer.sender_org, transfer.id, number)
    if page is None:
        raise InvalidTaskInput(f"transfer {transfer.id} has no page {number}")
    return store.files_of(transfer.sender_org, transfer.id, page.file_ids)


def _refused(items: list[dict[str, Any]], what: str) -> str:
    return "; ".join(f"{r.get('file_id') or r.get('box_id')}: {r.get('reason')}"
                     + (f" (component {r['component_id']})" if r.get("component_id") else "") for r in items) + what


# ------------------------------------------------------------------ package
def prepare(step: dict[str, Any]) -> dict[str, Any]:
    """Holds are checked again (one may have landed since the draft); the pages to iterate."""
    transfer = transfer_of(step)
    if transfer.status != "packaging":
        raise StepRefused(f"The transfer is {transfer.status}, not packaging.")
    if transfer.kind == EXPORT:  # a copy: holds do not stop it
        return {"pages": [{"page": n} for n in range(transfer.page_count)]}
    holds = views_store.active_holds(transfer.sender_org)
    held = [f.file_id for f in store.iter_files(transfer.sender_org, transfer.id)
            if rules.held(holds, f.file_id, views_store.get_file(transfer.sender_org, f.file_id))]
    if held:
        raise HeldSinceCreated(f"A hold applies to {', '.join(held)} since the transfer was drafted.")
    return {"pages": [{"page": n} for n in range(transfer.page_count)]}


def page(step: dict[str, Any]) -> dict[str, Any]:
    """A page's file ids: all of them, or those the receiver accepted or rejected (`which`)."""
    transfer = transfer_of(step)
    which = step.get("which") or "all"
    files = _page_files(transfer, int(step["page"]))
    if which != "all":
        outcome = "accept" if which == "accepted" else "reject"
        files = [f for f in files if f.inspection is not None and f.inspection.outcome == outcome]
    ids = [f.file_id for f in files]
    return {"page": int(step["page"]), "file_ids": ids, "count": len(ids),
            "entities": [{"type": "record_file", "id": f} for f in ids]}


def pages(step: dict[str, Any]) -> dict[str, Any]:
    """The pages to iterate, whatever the status (compensations start here)."""
    return {"pages": [{"page": n} for n in range(transfer_of(step).page_count)]}


def record_page(step: dict[str, Any]) -> dict[str, Any]:
    """Records' marks and stacks' boxes of a page: any refusal refuses the step (naming each); the boxes are
    kept for the receiver."""
    transfer = transfer_of(step)
    marks, boxes = step.get("marks") or {}, step.get("boxes") or {}
    if marks.get("refused"):
        raise FilesRefused(_refused(marks["refused"], " (records refused to mark them for transfer)"))
    number = int(step["page"])
    page_ = store.get_page(transfer.sender_org, transfer.id, number)
    store.save_boxes(page_, list(boxes.get("boxes") or ()))
    files = [f for f in _page_files(transfer, number) if f.state == "listed"]
    store.set_states(files, "marked")
    return {"page": number, "marked": len(marks.get("marked") or ()), "boxes": len(boxes.get("boxes") or ())}


def _entries(result: dict[str, Any], source: str) -> list[Entry]:
    entries = []
    for e in result.get("entries") or ():
        path, sha256, size = e.get("path"), str(e.get("sha256") or "").lower(), e.get("size")
        if not isinstance(path, str) or not safe_path(path) or len(sha256) != 64 or not isinstance(size, int):
            raise StepRefused(f"{source} returned an entry that cannot be in a bag: {json.dumps(e)[:200]}")
        entries.append(Entry(path, sha256, size))
    return entries


def record_entries(step: dict[str, Any]) -> dict[str, Any]:
    """What records packaged and audit exported for a page: each entry kept for the manifest; a component
    whose bytes no longer match its hash refuses the transfer, naming it."""
    transfer = transfer_of(step)
    package, history = step.get("package") or {}, step.get("history") or {}
    refused = package.get("refused") or []
    corrupt = [r for r in refused if r.get("reason") == "component-corrupt"]
    if corrupt:
        raise ComponentCorrupt(_refused(corrupt, " (the sender's copy no longer matches its SHA-256)"))
    if refused:
        raise FilesRefused(_refused(refused, " (records refused to package them)"))
    number = int(step["page"])
    files, logs = _entries(package, "records"), _entries(history, "audit")
    store.put_entries(transfer.sender_org, transfer.id, number, "records", files)
    store.put_entries(transfer.sender_org, transfer.id, number, "audit", logs)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in files:
        parts = e.path.split("/")
        if len(parts) > 5 and parts[3] == "items" and parts[5] == "components":
            counts[parts[2]][0] += 1
            counts[parts[2]][1] += e.size
    page_files = [f for f in _page_files(transfer, number) if f.state in ("listed", "marked")]
    store.set_states(page_files, "packaged", **{f.file_id: {"components": counts[f.file_id][0],
                                                            "octets": counts[f.file_id][1]} for f in page_files})
    return {"page": number, "entries": len(files) + len(logs)}


def problem_of(error: dict[str, Any] | None, step: str | None = None) -> Problem:
    """The problem kept on a transfer from the error Step Functions caught ({Error, Cause})."""
    error = error or {}
    name, cause = error.get("Error") or "States.Unknown", error.get("Cause") or ""
    try:
        detail = json.loads(cause).get("errorMessage") or cause
    except (ValueError, AttributeError):
        detail = cause
    slug = next((c.slug for c in _refusals() if c.__name__ == name), "transfer-failed")
    return Problem(slug=slug, detail=f"{name}: {detail}"[:2000], step=step)


def _refusals() -> list[type[StepRefused]]:
    found, todo = [], [StepRefused]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def _finish(transfer: Transfer, status: str, type_: str, payload: dict[str, Any], **changes: Any) -> Transfer:
    after = transfer.with_changes(status=status, updated_at=now_iso(), **changes)
    return store.save(after, transfer, [event(type_, subjects(transfer),
                                              {"transfer_id": transfer.id, "status": status, **payload},
                                              _actor(transfer))])


def fail_transfer(step: dict[str, Any]) -> dict[str, Any]:
    """Compensation's last step: packaging (or accepting, when the bag no longer verified at intake) → failed
    with the problem; the files are free again. A transfer already awaiting inspection fails too: its
    verification was done but its answer lost, and the compensation has just unmarked its files and given its
    boxes back (it must not stay open to the receiver's acceptance)."""
    transfer = transfer_of(step)
    if transfer.status in ("packaging", "accepting") or (transfer.status == "awaiting_inspection"
                                                         and transfer.kind != EXPORT):
        problem = problem_of(step.get("error"), step.get("failed_step"))
        transfer = _finish(transfer, "failed", "TransferFailed", {"problem": problem.__dict__}, error=problem,
                           finished_at=now_iso())
    _release(transfer, returned=True)
    return {"status": transfer.status}


def _release(transfer: Transfer, returned: bool) -> None:
    """Claims let go; files that did not go across marked `returned` (they stay with the sender)."""
    ids = []
    for number in range(transfer.page_count):
        files = _page_files(transfer, number)
        ids += [f.file_id for f in files]
        if returned:
            store.set_states([f for f in files if f.state not in ("transferred", "returned", "failed_verification")],
                             "returned")
    store.release_claims(transfer.sender_org, transfer.id, ids)


# ------------------------------------------------------------------- accept
def begin_accept(step: dict[str, Any]) -> dict[str, Any]:
    transfer = transfer_of(step)
    if transfer.status != "accepting":
        raise StepRefused(f"The transfer is {transfer.status}, not accepting.")
    return {"pages": [{"page": n} for n in range(transfer.page_count)],
            "all_rejected": transfer.accepted_count == 0}


def page_boxes(step: dict[str, Any]) -> dict[str, Any]:
    """The boxes of a page that move: those all of whose files the receiver accepted (a box holding a rejected
    file stays with the sender)."""
    transfer = transfer_of(step)
    number = int(step["page"])
    page_ = store.get_page(transfer.sender_org, transfer.id, number)
    accepted = {f.file_id for f in _page_files(transfer, number)
                if f.inspection is not None and f.inspection.outcome == "accept"}
    boxes = [b for b in (page_.boxes or ()) if set(b.get("files") or ()) <= accepted] if page_ else []
    return {"page": number, "boxes": boxes, "box_ids": [b.get("box_id") for b in boxes], "count": len(boxes)}


def record_received(step: dict[str, Any]) -> dict[str, Any]:
    """Records' receipt of a page. A component whose bytes in the bag records found other than its SHA-256 (or
    missing) means the bag no longer verifies: the file is marked `failed_verification` and the step refused
    as a BagInvalid (the saga fails the transfer, as at intake); any other refusal refuses it as FilesRefused."""
    transfer = transfer_of(step)
    result = step.get("result") or {}
    corrupt = [r for r in result.get("refused") or () if r.get("reason") == "component-corrupt"]
    if corrupt:
        named = {r.get("file_id") for r in corrupt}
        store.set_states([f for f in _page_files(transfer, int(step["page"])) if f.file_id in named],
                         "failed_verification")
        raise BagInvalid("The bag failed verification while the receiver's records took it in: " +
                         "; ".join(f"{r.get('file_id')}: {r.get('detail') or 'component ' + str(r.get('component_id'))}"
                                   for r in corrupt))
    if result.get("refused"):
        raise FilesRefused(_refused(result["refused"], " (the receiver's records refused them)"))
    number = int(step["page"])
    store.set_states([f for f in _page_files(transfer, number)
                      if f.inspection is not None and f.inspection.outcome == "accept" and f.state != "received"],
                     "received")
    return {"page": number, "received": len(result.get("received") or ())}


def finish_accept(step: dict[str, Any]) -> dict[str, Any]:
    """The last step: accepted (the files are the receiver's; rejected ones stayed with the sender)."""
    transfer = transfer_of(step)
    for number in range(transfer.page_count):
        files = _page_files(transfer, number)
        store.set_states([f for f in files if f.inspection and f.inspection.outcome == "accept"
                          and f.state != "transferred"], "transferred")
        store.set_states([f for f in files if f.inspection and f.inspection.outcome == "reject"
                          and f.state != "returned"], "returned")
    if transfer.status == "accepting":
        transfer = _finish(transfer, "accepted", "TransferAccepted",
                           {"accepted": transfer.accepted_count, "rejected": transfer.rejected_count},
                           finished_at=now_iso())
    _release(transfer, returned=False)
    return {"status": transfer.status}


def finish_rejected(step: dict[str, Any]) -> dict[str, Any]:
    """The receiver rejected every file: nothing moved, everything is the sender's again."""
    transfer = transfer_of(step)
    if transfer.status == "accepting":
        transfer = _finish(transfer, "rejected", "TransferRejected", {"rejected": transfer.rejected_count},
                           finished_at=now_iso())
    _release(transfer, returned=True)
    return {"status": transfer.status}


def accept_failed(step: dict[str, Any]) -> dict[str, Any]:
    """Acceptance failed before the irreversible step and was undone: the package awaits inspection again
    (the receiver may accept again), with the problem."""
    transfer = transfer_of(step)
    if transfer.status == "accepting":
        problem = problem_of(step.get("error"), step.get("failed_step"))
        for number in range(transfer.page_count):
            store.set_states([f for f in _page_files(transfer, number) if f.state == "received"], "verified")
        transfer = _finish(transfer, "awaiting_inspection", "TransferAcceptanceFailed",
                           {"problem": problem.__dict__}, error=problem)
    return {"status": transfer.status}
