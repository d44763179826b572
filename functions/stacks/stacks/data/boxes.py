"""Boxes, their claims, placements, location history and saga-step receipts.

A box change is one transaction: the box (conditional on the version that was read, so
two concurrent changes never both land), the counters of every shelf it leaves or
joins (a shelf it joins must have room: `used <= capacity - what the box needs`, and
must still be the active shelf of the dimensions that were read), one history entry per
box and shelf involved, the saga-step receipt when a loan drove it, and the event.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.pagination import decode_cursor, encode_cursor, typed_key
from shared.problems import Conflict, Problem

from ..domain.capacity import ShelfDimensions, free_g, free_um, limits_before, UM_PER_MM
from ..domain.codes import parse
from ..domain.model import Box, Location, Placement
from .locations import barcode_taken, get_location, location_ref, _claim as barcode_claim
from .ledgers import LedgerRecorded
from .tables import (BoxItem, ClaimItem, HistoryItem, LedgerItem, LocationItem, StepReceiptItem, at_key,
                     box_history_key, box_key, org_key, receipt_key, rfid_key, shelf_history_key)
from .tx import Tx, page, read


def _rfid_claim(org_id: str, rfid: str, box_id: str) -> ClaimItem:
    return ClaimItem(pk=rfid_key(org_id, rfid), sk="CLAIM", owner_kind="box", owner_id=box_id)


def rfid_taken(rfid: str) -> Conflict:
    return Conflict(f"The RFID tag {rfid} is already in use in your organisation.",
                    errors=[{"field": "rfid", "message": "already in use"}])


# ---------------------------------------------------------------------- reads
def get_box(org_id: str, box_id: str, consistent: bool = False) -> Box | None:
    try:
        return read(BoxItem.get, org_key(org_id), box_key(box_id), consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def get_boxes(org_id: str, box_ids: list[str]) -> dict[str, Box]:
    """Many boxes in BatchGetItem calls of up to 100 keys (a bulk call reads its boxes at once)."""
    keys = [(org_key(org_id), box_key(box_id)) for box_id in dict.fromkeys(box_ids)]
    found: dict[str, Box] = {}
    for start in range(0, len(keys), 100):
        for item in read(lambda: list(BoxItem.batch_get(keys[start:start + 100]))):
            box = item.entity()
            found[box.id] = box
    return found


def boxes_holding(org_id: str, file_ids: Iterable[str]) -> list[Box]:
    """The organisation's boxes whose `files` name any of these files (a strongly consistent read of its
    boxes, filtered by the table: no index of files to boxes exists, since a box may hold 300 files)."""
    condition = None
    for file_id in dict.fromkeys(file_ids):
        clause = BoxItem.files.contains(file_id)
        condition = clause if condition is None else condition | clause
    if condition is None:
        return []
    result = BoxItem.query(org_key(org_id), BoxItem.sk.startswith(box_key("")), filter_condition=condition,
                           consistent_read=True)
    return read(lambda: [i.entity() for i in result])


def rfid_owner(org_id: str, rfid: str) -> str | None:
    try:
        return read(ClaimItem.get, rfid_key(org_id, rfid), "CLAIM").owner_id
    except DoesNotExist:
        return None


def list_boxes(org_id: str, limit: int, cursor: str | None, status: str | None) -> tuple[list[Box], str | None]:
    return page(BoxItem, org_key(org_id), box_key(""), limit, cursor,
                filter_condition=(BoxItem.status == status) if status else None)


def boxes_at(org_id: str, shelf_id: str, limit: int, cursor: str | None) -> tuple[list[Box], str | None]:
    """Boxes whose home is this shelf (including ones out on loan), by box id."""
    index_pk = at_key(org_id, shelf_id)
    start = decode_cursor(cursor, expected={"gsi1pk": index_pk, "pk": org_key(org_id)},
                          keys={"pk", "sk", "gsi1pk", "gsi1sk"})
    result = BoxItem.gsi1.query(index_pk, limit=limit, last_evaluated_key=typed_key(start))
    items = read(lambda: [i.entity() for i in result])
    return items, encode_cursor(result.last_evaluated_key)


def box_history(org_id: str, box_id: str, limit: int, cursor: str | None):
    return _history(box_history_key(org_id, box_id), limit, cursor)


def shelf_history(org_id: str, shelf_id: str, limit: int, cursor: str | None):
    return _history(shelf_history_key(org_id, shelf_id), limit, cursor)


def _history(subject_key: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first."""
    return page(HistoryItem, subject_key, "HIST#", limit, cursor, newest_first=True, convert=lambda i: {
        "box_id": i.box_id, "action": i.action, "from": i.from_location, "to": i.to_location, "at": i.at,
        "by": i.actor, "reason": i.reason, "event_id": i.event_id, "loan_id": i.loan_id,
        **({"detail": i.detail} if i.detail else {})})


def get_receipt(org_id: str, box_id: str, loan_id: str, step: str) -> dict[str, Any] | None:
    try:
        return read(StepReceiptItem.get, box_history_key(org_id, box_id), receipt_key(loan_id, step),
                    consistent_read=True).result
    except DoesNotExist:
        return None


# --------------------------------------------------------------------- writes
@dataclass(frozen=True)
class ShelfChange:
    """A shelf's counters move by one box: +1 joining (needs room), -1 leaving."""

    shelf_id: str
    direction: int  # +1 or -1
    placement: Placement
    holding: str
    shelf: Location | None = None  # as read, for a joining shelf (its version and dimensions guard the write)


@dataclass(frozen=True)
class HistoryEntry:
    subject_key: str
    box_id: str
    action: str
    from_location: dict[str, Any] | None
    to_location: dict[str, Any] | None
    at: str
    actor: str
    reason: str | None
    event_id: str
    loan_id: str | None = None
    detail: dict[str, Any] | None = None

    def item(self) -> HistoryItem:
        return HistoryItem(pk=self.subject_key, sk=f"HIST#{self.at}#{self.event_id}", box_id=self.box_id,
                           action=self.action, from_location=self.from_location, to_location=self.to_location,
                           at=self.at, actor=self.actor, reason=self.reason, event_id=self.event_id,
                           loan_id=self.loan_id, detail=self.detail)


def history_entries(org_id: str, box: Box, action: str, from_location: dict | None, to_location: dict | None,
                    at: str, actor: str, reason: str | None, event_id: str,
                    loan_id: str | None = None, detail: dict[str, Any] | None = None) -> list[HistoryEntry]:
    """One entry for the box's history, one for each shelf it left or reached."""
    shelves = {loc["id"] for loc in (from_location, to_location) if loc and loc.get("kind") == "shelf"}
    keys = [box_history_key(org_id, box.id)] + [shelf_history_key(org_id, s) for s in sorted(shelves)]
    return [HistoryEntry(key, box.id, action, from_location, to_location, at, actor, reason, event_id, loan_id,
                         detail) for key in keys]


def _no_room(org_id: str, change: ShelfChange) -> Problem:
    """Why a joining shelf refused (read again after the refusal)."""
    now = get_location(org_id, parse(change.shelf_id), consistent=True)
    if now is None:
        return Conflict(f"Shelf {change.shelf_id} no longer exists.")
    if not now.active:
        return Conflict(f"Shelf {change.shelf_id} is out of service.")
    if change.shelf is not None and now.version != change.shelf.version:
        return Conflict(f"Shelf {change.shelf_id} changed while the box was being placed; try again.")
    dims = now.dimensions or ShelfDimensions(0, 0, 0, 0)
    need_um, need_g = change.placement.footprint_um, change.placement.weight_g
    if free_um(dims, now.use) < need_um:
        return Conflict(f"Shelf {change.shelf_id} is full: {free_um(dims, now.use) / UM_PER_MM:g} mm free, "
                        f"the box needs {need_um / UM_PER_MM:g} mm.")
    return Conflict(f"Shelf {change.shelf_id} would be overloaded: {free_g(dims, now.use) / 1000:g} kg left, "
                    f"the box weighs {need_g / 1000:g} kg.")


def _shelf_update(tx: Tx, org_id: str, change: ShelfChange) -> None:
    sign = change.direction
    place = change.placement
    holding = LocationItem.holdings[change.holding]
    actions = [LocationItem.used_um.add(sign * place.footprint_um), LocationItem.used_g.add(sign * place.weight_g),
               LocationItem.box_count.add(sign), holding.set((holding | 0) + sign)]
    if sign > 0:
        shelf = change.shelf
        assert shelf is not None and shelf.dimensions is not None
        max_um, max_g = limits_before(shelf.dimensions, place.footprint_um, place.weight_g)
        condition = ((LocationItem.status == "active") & (LocationItem.version == shelf.version)
                     & (LocationItem.used_um <= max_um) & (LocationItem.used_g <= max_g))
        tx.update(location_ref(org_id, parse(change.shelf_id)), actions, condition=condition,
                  on_fail=lambda: _no_room(org_id, change))
    else:
        tx.update(location_ref(org_id, parse(change.shelf_id)), actions, condition=LocationItem.pk.exists(),
                  on_fail=Conflict(f"Shelf {change.shelf_id} no longer exists."))


def create_box(box: Box, event: DomainEvent) -> None:
    stage_new_box(Tx(), box, event).run()


def stage_new_box(tx: Tx, box: Box, event: DomainEvent) -> Tx:
    """A new box, its label claims and its event, added to `tx` (one registration, or one row of a bulk one)."""
    tx.put(BoxItem.of(box), condition=BoxItem.pk.does_not_exist(), on_fail=BoxExists())
    tx.put(barcode_claim(box.org_id, box.barcode, "box", box.id), condition=ClaimItem.pk.does_not_exist(),
           on_fail=barcode_taken(box.barcode))
    if box.rfid:
        tx.put(_rfid_claim(box.org_id, box.rfid, box.id), condition=ClaimItem.pk.does_not_exist(),
               on_fail=rfid_taken(box.rfid))
    return tx.event(event)


def save_box(box: Box, before: Box, event: DomainEvent | None, *, shelves: list[ShelfChange] = (),
             entries: list[HistoryEntry] = (), receipt: tuple[str, str, dict[str, Any]] | None = None,
             regroup: tuple[str, str, str] | None = None, unless_step: tuple[str, str] | None = None,
             on_stale: Problem | None = None, more_events: Sequence[DomainEvent] = (),
             ledger: Sequence[LedgerItem] = (), unless_marked: Sequence[tuple[str, str, Problem]] = ()) -> None:
    """Commit a changed box with everything that changes with it (see the module docstring).
    `receipt` = (loan id, step, result) records a saga step as done, once; `regroup` = (shelf id,
    old holding, new holding) moves a shelved box from one arrangement group to another;
    `unless_step` = (loan id, step) refuses the change if that step already ran (a late retry of a
    forward step after its compensation). A destruction run or transfer records the change in its
    `ledger` (each entry once: `LedgerRecorded` if another run of the step got there first) and
    names the markers (pk, sk, problem) that refuse it (`unless_marked`: the transfer was cancelled)."""
    tx = Tx().put(BoxItem.of(box), condition=(BoxItem.version == before.version) & (BoxItem.status == before.status),
                  on_fail=on_stale or stale("box"))
    if box.barcode != before.barcode:
        tx.delete(barcode_claim(box.org_id, before.barcode, "box", box.id), condition=ClaimItem.owner_id == box.id)
        tx.put(barcode_claim(box.org_id, box.barcode, "box", box.id), condition=ClaimItem.pk.does_not_exist(),
               on_fail=barcode_taken(box.barcode))
    if box.rfid != before.rfid:
        if before.rfid:
            tx.delete(_rfid_claim(box.org_id, before.rfid, box.id), condition=ClaimItem.owner_id == box.id)
        if box.rfid:
            tx.put(_rfid_claim(box.org_id, box.rfid, box.id), condition=ClaimItem.pk.does_not_exist(),
                   on_fail=rfid_taken(box.rfid))
    for change in shelves:
        _shelf_update(tx, box.org_id, change)
    if regroup is not None:
        shelf_id, old, new = regroup
        old_path, new_path = LocationItem.holdings[old], LocationItem.holdings[new]
        tx.update(location_ref(box.org_id, parse(shelf_id)),
                  [old_path.set((old_path | 0) - 1), new_path.set((new_path | 0) + 1)],
                  condition=LocationItem.pk.exists())
    for entry in entries:
        tx.put(entry.item(), condition=HistoryItem.pk.does_not_exist())
    if receipt is not None:
        loan_id, step, result = receipt
        tx.put(StepReceiptItem(pk=box_history_key(box.org_id, box.id), sk=receipt_key(loan_id, step), result=result,
                               at=box.updated_at),
               condition=StepReceiptItem.pk.does_not_exist(), on_fail=_StepAlreadyRecorded())
    if unless_step is not None:
        loan_id, step = unless_step
        tx.check(StepReceiptItem, box_history_key(box.org_id, box.id), receipt_key(loan_id, step),
                 StepReceiptItem.pk.does_not_exist(), on_fail=StepUndone(f"The loan's {step} already ran."))
    _stage_saga_records(tx, ledger, unless_marked)
    for ev in ([event] if event is not None else []) + list(more_events):
        tx.event(ev)
    tx.run()


def _stage_saga_records(tx: Tx, ledger: Sequence[LedgerItem], unless_marked: Sequence[tuple[str, str, Problem]]
                        ) -> None:
    for entry in ledger:
        tx.put(entry, condition=LedgerItem.pk.does_not_exist(), on_fail=LedgerRecorded())
    for pk, sk, problem in unless_marked:
        tx.check(LedgerItem, pk, sk, LedgerItem.pk.does_not_exist(), on_fail=problem)


def receive_box(box: Box, event: DomainEvent, ledger: Sequence[LedgerItem],
                unless_marked: Sequence[tuple[str, str, Problem]]) -> None:
    """Register a box arriving in a transfer: the box, its label claims, its event and its ledger entry."""
    tx = stage_new_box(Tx(), box, event)
    _stage_saga_records(tx, ledger, unless_marked)
    tx.run()


def delete_box(box: Box, event: DomainEvent, *, shelves: Sequence[ShelfChange] = (),
               entries: Sequence[HistoryEntry] = ()) -> None:
    """Remove a box that should never have been registered (a transfer's receipt reverted): the box
    (as read), its label claims and any shelf space it took, with its event."""
    tx = Tx().delete(BoxItem.of(box), condition=BoxItem.version == box.version, on_fail=stale("box"))
    tx.delete(barcode_claim(box.org_id, box.barcode, "box", box.id), condition=ClaimItem.owner_id == box.id,
              on_fail=stale("box"))
    if box.rfid:
        tx.delete(_rfid_claim(box.org_id, box.rfid, box.id), condition=ClaimItem.owner_id == box.id,
                  on_fail=stale("box"))
    for change in shelves:
        _shelf_update(tx, box.org_id, change)
    for entry in entries:
        tx.put(entry.item(), condition=HistoryItem.pk.does_not_exist())
    tx.event(event)
    tx.run()


def record_receipt(box: Box, loan_id: str, step: str, result: dict[str, Any], at: str) -> None:
    """Record a step that changed nothing (e.g. a release with nothing to undo), provided the box is
    still as it was read (else the caller decides again)."""
    (Tx().check(BoxItem, org_key(box.org_id), box_key(box.id), BoxItem.version == box.version, on_fail=stale("box"))
     .put(StepReceiptItem(pk=box_history_key(box.org_id, box.id), sk=receipt_key(loan_id, step), result=result, at=at),
          condition=StepReceiptItem.pk.does_not_exist(), on_fail=_StepAlreadyRecorded())
     .run())


class BoxExists(Conflict):
    def __init__(self) -> None:
        super().__init__("That box already exists.")


class _StepAlreadyRecorded(Conflict):
    def __init__(self) -> None:
        super().__init__("This step already ran for this loan.")


StepAlreadyRecorded = _StepAlreadyRecorded


class StepUndone(Conflict):
    """A forward step arrived after its compensation ran."""


# ------------------------------------------------------------------------ bulk
@dataclass(frozen=True)
class BoxChange:
    """One box's placement as a bulk call plans it: the box before and after, its event, the shelves it
    joins or leaves and its history entries."""

    after: Box
    before: Box
    event: DomainEvent
    shelves: tuple[ShelfChange, ...]
    entries: tuple[HistoryEntry, ...]

    @property
    def operations(self) -> int:
        return 2 + len(self.entries)  # the box, its event, its entries (the shelves are counted per group)


def save_placements(changes: list[BoxChange]) -> None:
    """Commit several boxes' placements in ONE transaction: each box conditional on its version, each
    shelf's counters moved once by the sum of its boxes (a joining shelf must have room for all of them
    together: `used <= capacity - their total`). Either all land or none; the caller retries the boxes
    of a refused group one by one to learn which one was refused and why."""
    if not changes:
        return
    org_id = changes[0].after.org_id
    tx = Tx()
    totals: dict[tuple[str, int], dict[str, Any]] = {}
    for change in changes:
        tx.put(BoxItem.of(change.after), condition=(BoxItem.version == change.before.version)
               & (BoxItem.status == change.before.status), on_fail=stale("box"))
        for entry in change.entries:
            tx.put(entry.item(), condition=HistoryItem.pk.does_not_exist())
        tx.event(change.event)
        for shelf in change.shelves:
            total = totals.setdefault((shelf.shelf_id, shelf.direction), {
                "um": 0, "g": 0, "boxes": 0, "holdings": {}, "shelf": shelf.shelf})
            total["um"] += shelf.placement.footprint_um
            total["g"] += shelf.placement.weight_g
            total["boxes"] += 1
            total["holdings"][shelf.holding] = total["holdings"].get(shelf.holding, 0) + 1
    for (shelf_id, sign), total in totals.items():
        actions = [LocationItem.used_um.add(sign * total["um"]), LocationItem.used_g.add(sign * total["g"]),
                   LocationItem.box_count.add(sign * total["boxes"])]
        for holding, count in total["holdings"].items():
            path = LocationItem.holdings[holding]
            actions.append(path.set((path | 0) + sign * count))
        if sign > 0:
            shelf = total["shelf"]
            assert shelf is not None and shelf.dimensions is not None
            max_um, max_g = limits_before(shelf.dimensions, total["um"], total["g"])
            condition = ((LocationItem.status == "active") & (LocationItem.version == shelf.version)
                         & (LocationItem.used_um <= max_um) & (LocationItem.used_g <= max_g))
            tx.update(location_ref(org_id, parse(shelf_id)), actions, condition=condition,
                      on_fail=Conflict(f"Shelf {shelf_id} has no room for all these boxes together."))
        else:
            tx.update(location_ref(org_id, parse(shelf_id)), actions, condition=LocationItem.pk.exists(),
                      on_fail=Conflict(f"Shelf {shelf_id} no longer exists."))
    tx.run()


def group_operations(changes: list[BoxChange]) -> int:
    """Operations the transaction of `save_placements(changes)` holds (DynamoDB takes at most 100)."""
    shelves = {(s.shelf_id, s.direction) for c in changes for s in c.shelves}
    return sum(c.operations for c in changes) + len(shelves)
