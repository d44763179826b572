"""The transfer sagas' steps on the stacks (transfer's TransferPackage and TransferAccept machines).

    sender:   transfer_out_boxes (per page) ──▶ … ──▶ release_boxes (irreversible, last)
                  │ compensation: cancel_transfer_out
    receiver: receive_boxes ──▶ (placed later with the ordinary placement routes)
                  │ compensation: unreceive_boxes

A box moves only when every file it holds is in the transfer: the sender's ledger names the
transfer's files as pages arrive, and a box whose files span pages goes when the last of them
has been named (whichever page call sees that; two concurrent pages cannot both miss it, since
each names its files before it looks). Every box change is one transaction with its event and
its ledger entry; a compensation first sets its marker, which the forward steps' transactions
check, so a late retry of a forward step never undoes a compensation. Each step answers from
the boxes' states and the ledger, so running it twice gives the same answer and no second event.
"""
from __future__ import annotations

from typing import Any, Callable

from shared.events import now_iso, system_actor
from shared.problems import Conflict, PreconditionFailed
from shared.tasks import InvalidTaskInput, retrying

from ..data import boxes as store
from ..data import ledgers as ledger_store
from ..data.boxes import ShelfChange
from ..domain import status as transitions
from ..domain.model import Box, received_box, shelf_location
from .common import box_subject, event, file_page, location_subject

ATTEMPTS = 8
MANIFEST_FIELDS = ("box_id", "barcode", "container_profile_id", "size", "producing_unit", "record_form")


class TransferCancelled(Conflict):
    """Business rejection: the transfer was cancelled (or its receipt reverted) before this step."""


class BoxesNotReceivable(Conflict):
    """Business rejection: the receiver cannot register some boxes (a label already used there)."""


def _retrying(step: str, box_id: str, attempt: Callable[[], Any]) -> Any:
    return retrying(attempt, attempts=ATTEMPTS, lost=(PreconditionFailed, ledger_store.LedgerRecorded),
                    contended=f"Box {box_id} kept changing; {step} did not complete.")


def _refuse_if_marked(org_id: str, transfer_id: str, marker: str) -> None:
    if ledger_store.marker(org_id, transfer_id, marker) is not None:
        raise TransferCancelled(f"Transfer {transfer_id} was cancelled" if marker == ledger_store.CANCELLED
                                else f"The receipt of transfer {transfer_id} was reverted")


def _marked(org_id: str, transfer_id: str, marker: str) -> tuple[str, str, Conflict]:
    """A marker the box's transaction checks (absent), with the refusal when it is there."""
    pk, sk = ledger_store.transfer_marker(org_id, transfer_id, marker)
    return pk, sk, TransferCancelled(f"Transfer {transfer_id} was cancelled meanwhile.")


def _actor(org_id: str, transfer_id: str, execution_id: str | None) -> dict[str, Any]:
    return system_actor(org_id, transfer_id=transfer_id, execution_id=execution_id)


def _subjects(box: Box) -> list:
    return [box_subject(box.org_id, box.id)] + ([location_subject(box.org_id, box.home.shelf_id)] if box.home else [])


# ------------------------------------------------------------------------ sender
def transfer_out_boxes(org_id: str, transfer_id: str, file_ids: Any, execution_id: str | None = None
                       ) -> dict[str, Any]:
    """{"boxes": [manifest…], "kept": [{"box_id", "barcode", "reason"}]} for the boxes holding these files."""
    files = file_page("transfer_out_boxes", file_ids)
    _refuse_if_marked(org_id, transfer_id, ledger_store.CANCELLED)
    ledger_store.record_transfer_files(org_id, transfer_id, files, now_iso())
    moved, kept = [], []
    for box in sorted(store.boxes_holding(org_id, files), key=lambda b: b.id):
        outcome = _transfer_out(org_id, transfer_id, box.id, execution_id)
        (moved if "reason" not in outcome else kept).append(outcome)
    return {"boxes": moved, "kept": kept}


def _transfer_out(org_id: str, transfer_id: str, box_id: str, execution_id: str | None) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        box = store.get_box(org_id, box_id, consistent=True)
        if box is None:
            return {"box_id": box_id, "barcode": None, "reason": "box-gone"}
        named = ledger_store.transfer_files(org_id, transfer_id, box.files)
        verdict = transitions.transfer_out(box.status, box.transfer, transfer_id, box.files, named)
        if verdict == "already":
            return box.manifest()
        if verdict != "apply":
            return {"box_id": box.id, "barcode": box.barcode, "reason": verdict}
        stamp = now_iso()
        after = box.with_changes(status="in_transfer", version=box.version + 1, updated_at=stamp,
                                 transfer={"id": transfer_id, "direction": "out", "prior_status": box.status})
        ev = event("BoxStatusChanged", _subjects(box), {
            "from": box.status, "to": "in_transfer", "reason": f"transfer {transfer_id}", "transfer_id": transfer_id,
            "box": after.public()}, _actor(org_id, transfer_id, execution_id))
        entries = store.history_entries(org_id, box, "transfer_started", None, None, stamp, f"saga:{transfer_id}",
                                        f"Leaving in transfer {transfer_id}.", ev.id,
                                        detail={"transfer_id": transfer_id})
        entry = ledger_store.transfer_entry(org_id, transfer_id, f"BOX#{box.id}", stamp, box.id,
                                       {"barcode": box.barcode, "prior_status": box.status})
        store.save_box(after, box, ev, entries=entries, ledger=[entry],
                       unless_marked=[_marked(org_id, transfer_id, ledger_store.CANCELLED)])
        return after.manifest()

    return _retrying("transfer_out_boxes", box_id, attempt)


def cancel_transfer_out(org_id: str, transfer_id: str, execution_id: str | None = None) -> dict[str, Any]:
    """Compensation: every box this transfer took goes back to the status it had; nothing to undo is fine.
    {"boxes": [{"box_id", "barcode", "status"}]}: the transfer's boxes as they are now."""
    ledger_store.put_marker(org_id, transfer_id, ledger_store.CANCELLED, now_iso())  # no box leaves from now on
    answer = []
    for entry in ledger_store.transfer_entries(org_id, transfer_id, "BOX#"):
        box = _retrying("cancel_transfer_out", entry.box_id,
                        lambda: _give_back(org_id, transfer_id, entry.box_id, execution_id))
        answer.append({"box_id": entry.box_id, "barcode": entry.data["barcode"], "status": box.status if box else None})
    return {"boxes": answer}


def _give_back(org_id: str, transfer_id: str, box_id: str, execution_id: str | None) -> Box | None:
    box = store.get_box(org_id, box_id, consistent=True)
    if box is None or not (box.leaving and box.transfer["id"] == transfer_id) or box.status != "in_transfer":
        return box
    stamp = now_iso()
    prior = box.transfer.get("prior_status") or ("shelved" if box.home else "unplaced")
    after = box.with_changes(status=prior, transfer=None, version=box.version + 1, updated_at=stamp)
    ev = event("BoxStatusChanged", _subjects(box), {
        "from": "in_transfer", "to": prior, "reason": f"transfer {transfer_id} cancelled", "transfer_id": transfer_id,
        "box": after.public()}, _actor(org_id, transfer_id, execution_id))
    entries = store.history_entries(org_id, box, "transfer_cancelled", None, None, stamp, f"saga:{transfer_id}",
                                    f"Transfer {transfer_id} cancelled: back to {prior}.", ev.id,
                                    detail={"transfer_id": transfer_id})
    store.save_box(after, box, ev, entries=entries)
    return after


def release_boxes(org_id: str, transfer_id: str, receiver_org: str | None = None,
                  execution_id: str | None = None, box_ids: Any = None) -> dict[str, Any]:
    """Irreversible, last: the sender's boxes of the transfer leave for good (shelf freed, `transferred`).
    `box_ids` (what transfer's acceptance sends: the boxes the receiver took) limits the release to those
    of the transfer's boxes; without it every box of the transfer leaves. Within one organisation (to its
    records centre) the boxes stay where they are and only their custody is recorded.
    {"boxes": [{"box_id", "barcode", "status", "location_id"}]} (the shelf each one freed)."""
    _refuse_if_marked(org_id, transfer_id, ledger_store.CANCELLED)
    if box_ids is not None and (not isinstance(box_ids, list) or not all(isinstance(b, str) for b in box_ids)):
        raise InvalidTaskInput("release_boxes: box_ids must be a list of box ids.")
    only = None if box_ids is None else set(box_ids)
    receiver = receiver_org or _receiver(org_id, transfer_id)
    answer = []
    for entry in ledger_store.transfer_entries(org_id, transfer_id, "BOX#"):
        if only is not None and entry.box_id not in only:
            continue
        box = _retrying("release_boxes", entry.box_id,
                        lambda: _release(org_id, transfer_id, receiver, entry.box_id, execution_id))
        freed = (box.disposition or {}).get("location_id") if box else None
        answer.append({"box_id": entry.box_id, "barcode": entry.data["barcode"], "status": box.status if box else None,
                       "location_id": freed})
    return {"boxes": answer}


def _receiver(org_id: str, transfer_id: str) -> str:
    marker = ledger_store.marker(org_id, transfer_id, ledger_store.RECEIVER)
    if marker is None:
        raise InvalidTaskInput(f"release_boxes: transfer {transfer_id} names no receiver; pass receiver_org.")
    return marker.data["receiver_org"]


def _release(org_id: str, transfer_id: str, receiver: str, box_id: str, execution_id: str | None) -> Box | None:
    box = store.get_box(org_id, box_id, consistent=True)
    if box is None or not (box.leaving and box.transfer["id"] == transfer_id):
        return box  # released already (transferred, or in custody of the records centre), or never ours
    stamp = now_iso()
    detail = {"transfer_id": transfer_id, "receiver_org": receiver}
    actor = _actor(org_id, transfer_id, execution_id)
    if receiver == org_id:  # to the organisation's own records centre: custody changes, the box stays
        prior = box.transfer.get("prior_status") or ("shelved" if box.home else "unplaced")
        after = box.with_changes(status=prior, transfer=None, received_from={"org_id": org_id, **detail},
                                 version=box.version + 1, updated_at=stamp)
        ev = event("BoxTransferred", _subjects(box), {"box_id": box.id, **detail, "within_organisation": True,
                                                      "location_id": None, "box": after.public()}, actor)
        entries = store.history_entries(org_id, box, "transferred", None, None, stamp, f"saga:{transfer_id}",
                                        f"Custody transferred to the records centre (transfer {transfer_id}).",
                                        ev.id, detail=detail)
        store.save_box(after, box, ev, entries=entries)
        return after
    source = shelf_location(box.home.shelf_id) if box.home else None
    after = box.with_changes(status="transferred", home=None, current=None, transfer=None, version=box.version + 1,
                             updated_at=stamp, disposition={"kind": "transferred", **detail, "at": stamp,
                                                            "location_id": box.home.shelf_id if box.home else None})
    ev = event("BoxTransferred", _subjects(box), {"box_id": box.id, **detail,
                                                  "location_id": box.home.shelf_id if box.home else None,
                                                  "box": after.public()}, actor)
    shelves = [ShelfChange(box.home.shelf_id, -1, box.home, box.arrangement_key)] if box.home else []
    entries = store.history_entries(org_id, box, "transferred", source, None, stamp, f"saga:{transfer_id}",
                                    f"Transferred to organisation {receiver} (transfer {transfer_id}).", ev.id,
                                    detail=detail)
    store.save_box(after, box, ev, shelves=shelves, entries=entries)
    return after


# ---------------------------------------------------------------------- receiver
def receive_boxes(receiver_org: str, sender_org: str, transfer_id: str, boxes: Any,
                  execution_id: str | None = None) -> dict[str, Any]:
    """Register the sender's boxes at the receiver: same id and barcode, `in_transfer`, no home, their files.
    {"received": [{"box_id", "barcode", "status"}]}. A label the receiver already uses elsewhere refuses
    the whole step (`BoxesNotReceivable`, naming each): a box must never end up in no organisation."""
    manifests = _manifests(boxes)
    _refuse_if_marked(receiver_org, transfer_id, ledger_store.unreceived(execution_id))
    ledger_store.put_marker(sender_org, transfer_id, ledger_store.RECEIVER, now_iso(), data={"receiver_org": receiver_org})
    answer, refused = [], []
    for manifest in manifests:
        if receiver_org == sender_org:  # the records centre of the same organisation: the box is already here
            box = store.get_box(receiver_org, manifest["box_id"], consistent=True)
            answer.append({"box_id": manifest["box_id"], "barcode": manifest["barcode"],
                           "status": box.status if box else None})
            continue
        try:
            box = _retrying("receive_boxes", manifest["box_id"],
                            lambda: _receive(receiver_org, sender_org, transfer_id, manifest, execution_id))
        except TransferCancelled:
            raise
        except Conflict as problem:
            refused.append(f"{manifest['barcode']} ({problem.detail})")
            continue
        answer.append({"box_id": box.id, "barcode": box.barcode, "status": box.status})
    if refused:
        raise BoxesNotReceivable(f"{len(refused)} box(es) cannot be registered in organisation {receiver_org}: "
                                 + "; ".join(refused))
    return {"received": answer}


def _manifests(boxes: Any) -> list[dict[str, Any]]:
    if not isinstance(boxes, list) or not all(isinstance(b, dict) for b in boxes):
        raise InvalidTaskInput("receive_boxes: boxes must be a list of the boxes transfer_out_boxes returned.")
    bad = [f"boxes[{i}].{name}" for i, b in enumerate(boxes) for name in MANIFEST_FIELDS if not b.get(name)]
    if bad:
        raise InvalidTaskInput(f"receive_boxes: missing {', '.join(bad[:10])}.")
    return list({b["box_id"]: b for b in boxes}.values())


def _receive(receiver_org: str, sender_org: str, transfer_id: str, manifest: dict[str, Any],
             execution_id: str | None) -> Box:
    existing = store.get_box(receiver_org, manifest["box_id"], consistent=True)
    if existing is not None:
        if (existing.received_from or {}).get("transfer_id") == transfer_id:
            return existing  # registered by an earlier run of this step
        raise Conflict(f"a box with id {manifest['box_id']} already exists there")
    stamp = now_iso()
    box = received_box(receiver_org, manifest, transfer_id, sender_org, stamp)
    ev = event("BoxRegistered", [box_subject(receiver_org, box.id)], box.public(),
               _actor(receiver_org, transfer_id, execution_id))
    entry = ledger_store.transfer_entry(receiver_org, transfer_id, ledger_store.arrival(box.id, execution_id), stamp,
                                        box.id, {"barcode": box.barcode, "sender_org": sender_org})
    pk, sk = ledger_store.transfer_marker(receiver_org, transfer_id, ledger_store.unreceived(execution_id))
    try:
        store.receive_box(box, ev, [entry], [(pk, sk, TransferCancelled(
            f"The receipt of transfer {transfer_id} was reverted meanwhile."))])
    except store.BoxExists:
        raise ledger_store.LedgerRecorded() from None  # a concurrent run of this step registered it: decide again
    return box


def unreceive_boxes(receiver_org: str, transfer_id: str, sender_org: str | None = None,
                    execution_id: str | None = None) -> dict[str, Any]:
    """Compensation: remove every box `receive_boxes` registered for this transfer (with the shelf space
    it took, if it was placed meanwhile). {"removed": [box_id…]}; nothing to undo is fine."""
    # no box of this run arrives from now on (a later acceptance run of the transfer receives again)
    ledger_store.put_marker(receiver_org, transfer_id, ledger_store.unreceived(execution_id), now_iso())
    removed = list(dict.fromkeys(e.box_id for e in ledger_store.transfer_entries(receiver_org, transfer_id, "IN#")))
    for box_id in removed:  # every run's arrivals (a box received again by a later run is listed once)
        _retrying("unreceive_boxes", box_id, lambda: _unreceive(receiver_org, transfer_id, box_id, execution_id))
    return {"removed": removed}


def _unreceive(receiver_org: str, transfer_id: str, box_id: str, execution_id: str | None) -> None:
    box = store.get_box(receiver_org, box_id, consistent=True)
    if box is None or (box.received_from or {}).get("transfer_id") != transfer_id:
        return
    stamp = now_iso()
    ev = event("BoxReceiptReverted", _subjects(box), {
        "box_id": box.id, "barcode": box.barcode, "transfer_id": transfer_id,
        "sender_org": box.received_from.get("org_id"), "location_id": box.home.shelf_id if box.home else None},
        _actor(receiver_org, transfer_id, execution_id))
    shelves, entries = [], []
    if box.home is not None:
        shelves.append(ShelfChange(box.home.shelf_id, -1, box.home, box.arrangement_key))
        entries = store.history_entries(receiver_org, box, "receipt_reverted", shelf_location(box.home.shelf_id),
                                        None, stamp, f"saga:{transfer_id}",
                                        f"Receipt of transfer {transfer_id} reverted.", ev.id,
                                        detail={"transfer_id": transfer_id})
    store.delete_box(box, ev, shelves=shelves, entries=entries)

