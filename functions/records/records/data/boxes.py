"""Records' read model of stacks' boxes: which files each box holds and where it is, kept on each
file as "the boxes this file is in" (keys: see tables.py).

Events come twice or out of order: the box keeps, apart, the newest word on where it is and the
newest word on which files it holds (Box.merged). Each change is one transaction, conditional on
the box as read: the box item and the links of the files it holds (written, refreshed, or deleted
for files it no longer holds). A concurrent change of the same box makes it read and merge again.
"""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from shared.problems import ServiceUnavailable
from shared.readmodel import write_in_groups

from ..domain.model import Box
from .tables import BoxItem, FileBoxItem, box_key, box_sort_key, file_key
from .tx import Tx, read

MAX_LINKS = 90  # one transaction: the box, and a link per file it holds (DynamoDB takes 100 operations)
ATTEMPTS = 5


class _Moved(Exception):
    """The box changed since it was read."""


def get_box(org_id: str, box_id: str) -> Box | None:
    try:
        return read(BoxItem.get, box_key(org_id, box_id), "BOX", consistent_read=True).entity()
    except DoesNotExist:
        return None


def apply_box(event_box: Box, lists_files: bool) -> bool:
    """Merge what an event says of a box into the read model; True if it changed what records knows."""
    for _ in range(ATTEMPTS):
        current = get_box(event_box.org_id, event_box.box_id)
        after = current.merged(event_box, lists_files) if current else event_box
        if after == current:
            return False
        tx = Tx()
        _stage(tx, current, after)
        try:
            tx.run()
            return True
        except _Moved:
            continue
    raise ServiceUnavailable("The box kept changing; the event is retried.")


def apply_many_boxes(said: list[tuple[Box, bool]]) -> dict[tuple[str, str], bool | Exception]:
    """`apply_box` for a batch of events at once: each box's events merged in order onto the box as
    stored (read with one consistent BatchGetItem per 100 boxes), and the boxes that changed written
    with their links a few boxes to a transaction (shared.readmodel.write_in_groups; a refused group
    is redone box by box, event by event). Per (org, box): True if it changed, False if the model
    already knew all of it, or the exception that stopped it (its events come again)."""
    events: dict[tuple[str, str], list[tuple[Box, bool]]] = {}
    for box, lists_files in said:
        events.setdefault((box.org_id, box.box_id), []).append((box, lists_files))
    keys = [(box_key(org_id, box_id), "BOX") for org_id, box_id in events]
    stored = {(b.org_id, b.box_id): b
              for b in read(lambda: [i.entity() for i in BoxItem.batch_get(keys, consistent_read=True)])}
    outcomes: dict[tuple[str, str], bool | Exception] = {}
    changed = []
    for key, said_of_box in events.items():
        current = after = stored.get(key)
        for box, lists_files in said_of_box:
            after = after.merged(box, lists_files) if after else box
        if after == current:
            outcomes[key] = False
        else:
            changed.append((key, lambda tx, before=current, now=after: _stage(tx, before, now)))

    def one_by_one(key: tuple[str, str]) -> bool:
        return any([apply_box(box, lists_files) for box, lists_files in events[key]])

    outcomes.update(write_in_groups(changed, Tx, one_by_one))
    return outcomes


def _stage(tx: Tx, current: Box | None, after: Box) -> None:
    """The box as merged, conditional on the box as read, and the links of the files it holds."""
    condition = (BoxItem.pk.does_not_exist() if current is None else
                 (BoxItem.version == current.version) & (BoxItem.files_version == current.files_version))
    tx.put(BoxItem.of(after), condition=condition, on_fail=_Moved())
    for file_id in after.files[:MAX_LINKS]:
        tx.put(FileBoxItem.of(after.link(file_id)))
    for file_id in set(current.files if current else ()) - set(after.files):
        tx.delete(FileBoxItem(pk=file_key(after.org_id, file_id), sk=box_sort_key(after.box_id)))
