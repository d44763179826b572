"""Records' read models of other capabilities' events: classification's published schemes (which unit
tasks and rules files are filed under) and stacks' boxes (where a file's boxes are); and disposal's
committee decisions records carries out (decisions.py)."""
from __future__ import annotations

from typing import Any

from ..data import boxes as boxes_store
from ..data import classes as classes_store
from ..domain import feeds
from ..domain.decisions import DISPOSAL
from .decisions import apply_committee_decision


def record_events(envelopes: list[dict[str, Any]]) -> list[bool | Exception]:
    """A batch at once: one outcome per envelope (True if it changed what records knows, an Exception if
    it could not be applied and must come again). Stacks' box events, the bulk of the traffic, are
    applied together (data.apply_many_boxes: a read per 100 boxes, a few boxes per transaction); the
    few classification and disposal events one by one, as `record_event`."""
    outcomes: list[bool | Exception] = [False] * len(envelopes)
    boxes: dict[int, tuple[Any, bool]] = {}
    for index, envelope in enumerate(envelopes):
        try:
            found = feeds.box(envelope)
            if found is not None:
                boxes[index] = found
            else:
                outcomes[index] = record_event(envelope)
        except Exception as exc:  # noqa: BLE001 — this event alone comes again
            outcomes[index] = exc
    applied = boxes_store.apply_many_boxes(list(boxes.values())) if boxes else {}
    for index, (box, _) in boxes.items():
        outcomes[index] = applied[(box.org_id, box.box_id)]
    return outcomes


def record_event(envelope: dict[str, Any]) -> bool:
    """Apply one event to the read models; True if it changed what records knows."""
    if envelope.get("source") == feeds.CLASSIFICATION:
        return _classification(envelope)
    if envelope.get("source") == DISPOSAL:
        return apply_committee_decision(envelope)
    found = feeds.box(envelope)
    if found is None:
        return False
    box, lists_files = found
    return boxes_store.apply_box(box, lists_files)


def _classification(envelope: dict[str, Any]) -> bool:
    event_id = envelope.get("id")
    if not event_id:
        return False
    task = feeds.unit_task(envelope)
    if task is not None:
        changed = classes_store.record_unit_task(task, event_id)
        org_id, version = task.org_id, task.scheme_version
    else:
        published = feeds.version_published(envelope)
        if published is None:
            return False
        changed = classes_store.record_version(published, event_id)
        org_id, version = published.org_id, published.scheme_version
    # Also on a duplicate: a consumer that died between its write and this step completes it now.
    classes_store.promote(org_id, version)
    return changed
