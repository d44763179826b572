"""Placing, moving and removing boxes, one at a time or hundreds per call.

A placement is one transaction (box + the shelves' counters + history + event); a bulk call
writes the boxes bound for one shelf together, a group per transaction, and redoes a refused
group box by box, so it still gives per-box results: some boxes may find their shelf full
while the rest are placed. Nothing is ever placed over a shelf's capacity, whatever runs
concurrently: the shelf's counters are compared with its limits in the write itself.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
import contextlib
import threading
import time
from typing import Any, Callable, Iterator

from shared.auth import Caller, require_found
from shared.concurrency import stale
from shared.events import now_iso
from shared.observability import logger
from shared.problems import Conflict, NotFound, Problem, ServiceUnavailable, ValidationFailed

from ..data import boxes as store
from ..data import locations as location_store
from ..data.boxes import BoxChange, ShelfChange
from ..domain import status as transitions
from ..domain.capacity import UM_PER_MM, ShelfUse, footprint_um, free_g, free_um, limits_before, why_not_fits
from ..domain.codes import InvalidCode, parse
from ..domain.model import Box, Location, Placement, shelf_location
from ..domain.rules import manager_org
from .common import box_subject, event, location_subject

BULK_WORKERS = 8  # shelves written at once (each shelf's groups in order)
MAX_GROUP_OPERATIONS = 100  # DynamoDB's limit for one transaction
ANSWER_RESERVE_MS = 6_000  # time kept to answer (results, idempotency record) when a bulk call runs long
_now = time.monotonic


class NotAttempted(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__("Not attempted: the call ran out of time before this box's turn; send it again "
                         "(boxes already placed answer `unchanged`).")


def _shelf(org_id: str, location_id: str, field: str = "location_id") -> Location:
    try:
        code = parse(location_id)
    except InvalidCode as exc:
        raise ValidationFailed(f"{field}: {exc}", errors=[{"field": field, "message": str(exc)}]) from None
    if code.kind != "shelf":
        raise ValidationFailed(f"{field}: boxes stand on shelves; {location_id} is a {code.kind}.",
                               errors=[{"field": field, "message": "not a shelf"}])
    shelf = location_store.get_location(org_id, code)
    if shelf is None:
        raise NotFound(f"No shelf {code} in your organisation.")
    return shelf


def _place(box: Box, shelf: Location, actor: dict[str, Any], reason: str | None) -> tuple[str, Box]:
    """Put a box on a shelf (or move it there); returns (placed | moved | found | unchanged, box)."""
    action, change = _plan(box, shelf, actor, reason)
    if change is None:
        return action, box
    store.save_box(change.after, box, change.event, shelves=list(change.shelves), entries=list(change.entries))
    return action, change.after


def _plan(box: Box, shelf: Location, actor: dict[str, Any], reason: str | None) -> tuple[str, BoxChange | None]:
    """What placing `box` on `shelf` writes (None: nothing, it is there already); a Conflict if it may not."""
    org_id = box.org_id
    try:
        transitions.check_place(box.status, box.arriving)
    except transitions.TransitionRefused as exc:
        raise Conflict(str(exc)) from None
    if box.home is not None and box.home.shelf_id == shelf.id:
        if box.status == "shelved":
            return "unchanged", None
        action, shelves = "found", []  # a missing box found at home: its space was held all along
        placement = box.home
    else:
        if not shelf.active:
            raise Conflict(f"Shelf {shelf.id} is out of service.")
        assert shelf.dimensions is not None
        reason_not = why_not_fits(shelf.dimensions, box.size)
        if reason_not:
            raise Conflict(f"The box does not fit shelf {shelf.id}: {reason_not}.")
        placement = Placement(shelf.id, footprint_um(shelf.dimensions, box.size), box.size.weight_g)
        _refuse_if_full(shelf, placement)
        shelves = [ShelfChange(shelf.id, +1, placement, box.arrangement_key, shelf)]
        if box.home is not None:
            shelves.append(ShelfChange(box.home.shelf_id, -1, box.home, box.arrangement_key))
        action = "moved" if box.home is not None else "placed"
    stamp = now_iso()
    after = box.with_changes(status="shelved", home=placement, current=shelf_location(shelf.id),
                             transfer=None, version=box.version + 1, updated_at=stamp)  # an arriving box has arrived
    source = box.current if box.status == "shelved" else (shelf_location(box.home.shelf_id) if box.home else None)
    subjects = [box_subject(org_id, box.id), location_subject(org_id, shelf.id)]
    if box.home is not None and box.home.shelf_id != shelf.id:
        subjects.append(location_subject(org_id, box.home.shelf_id))
    type_ = {"placed": "BoxPlaced", "moved": "BoxMoved", "found": "BoxFound"}[action]
    ev = event(type_, subjects, {"box": after.public(), "from": source, "to": shelf_location(shelf.id),
                                 "reason": reason}, actor)
    entries = store.history_entries(org_id, box, action, source, shelf_location(shelf.id), stamp,
                                    actor["user_id"], reason, ev.id)
    return action, BoxChange(after, box, ev, tuple(shelves), tuple(entries))


def _refuse_if_full(shelf: Location, placement: Placement) -> None:
    """Refuse at once when the shelf as read has no room: a refused transaction costs a write (and
    the local emulator handles one poorly). The conditional write stays the guarantee under races."""
    assert shelf.dimensions is not None
    max_um, max_g = limits_before(shelf.dimensions, placement.footprint_um, placement.weight_g)
    if shelf.use.used_um > max_um:
        raise Conflict(f"Shelf {shelf.id} is full: {free_um(shelf.dimensions, shelf.use) / UM_PER_MM:g} mm free, "
                       f"the box needs {placement.footprint_um / UM_PER_MM:g} mm.")
    if shelf.use.used_g > max_g:
        raise Conflict(f"Shelf {shelf.id} would be overloaded: {free_g(shelf.dimensions, shelf.use) / 1000:g} kg "
                       f"left, the box weighs {placement.weight_g / 1000:g} kg.")


class _ShelfBook:
    """The shelves of one bulk call, kept up to date with the call's own placements, so a shelf
    the call has filled refuses the next box without a write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shelves: dict[str, Location | dict[str, Any]] = {}

    def load(self, org_id: str, shelf_ids: list[str]) -> None:
        for shelf_id in shelf_ids:
            try:
                self._shelves[shelf_id] = _shelf(org_id, shelf_id)
            except Problem as problem:
                self._shelves[shelf_id] = problem.to_dict()

    def get(self, shelf_id: str) -> Location | dict[str, Any]:
        with self._lock:
            return self._shelves[shelf_id]

    def reserve(self, change: BoxChange, sign: int) -> None:
        """Count a planned box on the shelves it joins and leaves (sign -1 takes the count back)."""
        for shelf in change.shelves:
            self.record(shelf.shelf_id, shelf.placement, sign * shelf.direction)

    def record(self, shelf_id: str, placement: Placement, sign: int) -> None:
        with self._lock:
            shelf = self._shelves.get(shelf_id)
            if isinstance(shelf, Location):
                use = shelf.use
                self._shelves[shelf_id] = shelf.with_changes(use=ShelfUse(
                    use.used_um + sign * placement.footprint_um, use.used_g + sign * placement.weight_g,
                    use.boxes + sign))


def place_box(caller: Caller, box_id: str, body: dict[str, Any], expected_version: int) -> tuple[str, Box]:
    org_id = manager_org(caller)
    box = require_found(store.get_box(org_id, box_id), "box")
    shelf = _shelf(org_id, body["location_id"])
    if box.version != expected_version:
        raise stale("box")
    return _place(box, shelf, caller.as_actor(), body.get("reason"))


def remove_box(caller: Caller, box_id: str, reason: str | None, expected_version: int) -> Box:
    """Take a box off the shelves (it leaves the stacks, e.g. for a transfer): its space is freed."""
    org_id = manager_org(caller)
    box = require_found(store.get_box(org_id, box_id), "box")
    try:
        transitions.check_remove(box.status, box.home is not None, box.leaving)
    except transitions.TransitionRefused as exc:
        raise Conflict(str(exc)) from None
    if box.version != expected_version:
        raise stale("box")
    assert box.home is not None
    stamp = now_iso()
    after = box.with_changes(status="unplaced" if box.status != "in_transfer" else box.status, home=None,
                             current=None, version=box.version + 1, updated_at=stamp)
    source = shelf_location(box.home.shelf_id)
    ev = event("BoxRemoved", [box_subject(org_id, box.id), location_subject(org_id, box.home.shelf_id)],
               {"box": after.public(), "from": source, "to": None, "reason": reason}, caller.as_actor())
    store.save_box(after, box, ev, shelves=[ShelfChange(box.home.shelf_id, -1, box.home, box.arrangement_key)],
                   entries=store.history_entries(org_id, box, "removed", source, None, stamp, caller.user_id,
                                                 reason, ev.id))
    return after


def bulk_place(caller: Caller, body: dict[str, Any], time_left_ms: Callable[[], int] | None = None
               ) -> dict[str, Any]:
    """Place or move many boxes within the call; each box gets its own result (see `place_many`)."""
    org_id = manager_org(caller)
    check_placements(body["placements"])
    return place_many(org_id, body["placements"], caller.as_actor(), body.get("reason"), time_left_ms)


def check_placements(items: list[dict[str, Any]]) -> None:
    """Refuse the whole list (400, every bad item named, nothing written) if a box is listed twice or a
    location is not a shelf's code."""
    seen: set[str] = set()
    errors = []
    for index, item in enumerate(items):
        if item["box_id"] in seen:
            errors.append({"field": f"placements.{index}.box_id", "message": f"box {item['box_id']} is listed twice"})
        seen.add(item["box_id"])
        try:
            code = parse(item["location_id"])
        except InvalidCode as exc:
            errors.append({"field": f"placements.{index}.location_id", "message": str(exc)})
            continue
        if code.kind != "shelf":
            errors.append({"field": f"placements.{index}.location_id", "message": f"{code} is a {code.kind}, not a shelf"})
    if errors:
        first = errors[0]
        raise ValidationFailed(f"{first['field']}: {first['message']}" + (
            f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""), errors=errors[:100])


def place_many(org_id: str, items: list[dict[str, Any]], actor: dict[str, Any], reason: str | None,
               time_left_ms: Callable[[], int] | None = None) -> dict[str, Any]:
    """Plan every box against the shelves as read (the call's own placements counted as it goes), then
    write each shelf's boxes in groups, one transaction per group of up to 100 operations. A group the
    table refuses (a box changed meanwhile, a shelf filled by someone else) is redone box by box, so each
    box still gets its own outcome and only the boxes that do not fit fail. Reads: one per shelf and one
    BatchGetItem per 100 boxes; writes: about one transaction per 20 boxes instead of one per box.
    With `time_left_ms` (the function's remaining time), a group (or, after a refused group, a box) is
    not started unless what remains covers `ANSWER_RESERVE_MS` and the slowest write of this call so
    far: its boxes fail with a 503 problem (send them again), so the call answers before the function's
    timeout however slow the table has become (a 10,000-box run on a loaded machine saw single groups
    take seconds, and a fixed reserve let the last one run past the timeout)."""
    book = _ShelfBook()  # each shelf, or the problem every box bound for it gets
    book.load(org_id, sorted({str(parse(i["location_id"])) for i in items}))
    boxes = store.get_boxes(org_id, [i["box_id"] for i in items])
    results: list[dict[str, Any]] = []
    planned: dict[str, list[tuple[int, str, BoxChange]]] = {}
    for index, item in enumerate(items):
        shelf_id = str(parse(item["location_id"]))
        result: dict[str, Any] = {"box_id": item["box_id"], "location_id": shelf_id}
        results.append(result)
        shelf, box = book.get(shelf_id), boxes.get(item["box_id"])
        try:
            if isinstance(shelf, dict):
                result.update(outcome="failed", problem=shelf)
                continue
            if box is None:
                raise NotFound(f"No box {item['box_id']} in your organisation.")
            outcome, change = _plan(box, shelf, actor, reason)
        except Problem as problem:
            result.update(outcome="failed", problem=problem.to_dict())
            continue
        if change is None:
            result.update(outcome=outcome, version=box.version)
            continue
        book.reserve(change, +1)
        planned.setdefault(shelf_id, []).append((index, outcome, change))

    slowest_ms = [0.0]  # the slowest write so far, shared by the shelves' threads

    def out_of_time() -> bool:
        return time_left_ms is not None and time_left_ms() < ANSWER_RESERVE_MS + slowest_ms[0]

    @contextlib.contextmanager
    def timed() -> Iterator[None]:
        started = _now()
        try:
            yield
        finally:
            slowest_ms[0] = max(slowest_ms[0], (_now() - started) * 1000)

    def not_attempted(index: int, change: BoxChange) -> None:
        book.reserve(change, -1)
        results[index].update(outcome="failed", problem=NotAttempted().to_dict())

    def write(shelf_id: str) -> None:
        for group in _groups(planned[shelf_id]):
            if out_of_time():
                for index, _, change in group:
                    not_attempted(index, change)
                continue
            try:
                with timed():
                    store.save_placements([change for _, _, change in group])
                for index, outcome, change in group:
                    results[index].update(outcome=outcome, version=change.after.version)
                continue
            except Problem as problem:
                logger.info("bulk group refused; box by box", extra={"shelf": shelf_id, "detail": problem.detail})
            for index, _, change in group:
                if out_of_time():
                    not_attempted(index, change)
                    continue
                book.reserve(change, -1)
                try:
                    with timed():
                        outcome, after = _place(change.before, book.get(shelf_id), actor, reason)
                    if after.home is not None and outcome in ("placed", "moved"):
                        book.reserve(change, +1)
                    results[index].update(outcome=outcome, version=after.version)
                except Problem as problem:
                    results[index].update(outcome="failed", problem=problem.to_dict())

    if planned:
        with ThreadPoolExecutor(max_workers=min(BULK_WORKERS, len(planned))) as pool:
            list(pool.map(write, planned))
    summary = {name: sum(1 for r in results if r["outcome"] == name)
               for name in ("placed", "moved", "found", "unchanged", "failed")}
    return {"summary": summary, "results": results}


def _groups(planned: list[tuple[int, str, BoxChange]]) -> list[list[tuple[int, str, BoxChange]]]:
    """A shelf's planned boxes in order, cut into groups that fit one transaction."""
    groups: list[list[tuple[int, str, BoxChange]]] = [[]]
    for entry in planned:
        if groups[-1] and store.group_operations([c for _, _, c in groups[-1]] + [entry[2]]) > MAX_GROUP_OPERATIONS:
            groups.append([])
        groups[-1].append(entry)
    return groups
