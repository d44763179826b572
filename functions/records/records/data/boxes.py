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
        condition = (BoxItem.pk.does_not_exist() if current is None else
                     (BoxItem.version == current.version) & (BoxItem.files_version == current.files_version))
        tx = Tx().put(BoxItem.of(after), condition=condition, on_fail=_Moved())
        for file_id in after.files[:MAX_LINKS]:
            tx.put(FileBoxItem.of(after.link(file_id)))
        for file_id in set(current.files if current else ()) - set(after.files):
            tx.delete(FileBoxItem(pk=file_key(after.org_id, file_id), sk=box_sort_key(after.box_id)))
        try:
            tx.run()
            return True
        except _Moved:
            continue
    raise ServiceUnavailable("The box kept changing; the event is retried.")
