"""Records' read model of stacks' boxes: which files each box holds and where it is, kept on each
file as "the boxes this file is in" (keys: see tables.py).

The newest version of a box wins (events come twice or out of order): the box item is written
only over an older version, in the same transaction as the links of the files it holds (added,
refreshed, or removed for files it no longer holds).
"""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from ..domain.model import Box
from .tables import BoxItem, FileBoxItem, box_key, box_sort_key, file_key
from .tx import Tx, read

MAX_LINKS = 90  # one transaction: the box, and a link per file it holds (DynamoDB takes 100 operations)


class _Older(Exception):
    """The stored box is as new as the event's, or newer."""


def get_box(org_id: str, box_id: str) -> Box | None:
    try:
        return read(BoxItem.get, box_key(org_id, box_id), "BOX", consistent_read=True).entity()
    except DoesNotExist:
        return None


def apply_box(box: Box, lists_files: bool) -> bool:
    """Keep the newest version of a box and its files' links; True if it changed what records knows."""
    current = get_box(box.org_id, box.box_id)
    if current is not None and current.version >= box.version:
        return False
    if not lists_files:  # a placement or status event: the files are those the box held
        box = Box(**{**box.__dict__, "files": current.files if current else ()})
    tx = Tx().put(BoxItem.of(box), condition=BoxItem.pk.does_not_exist() | (BoxItem.version < box.version),
                  on_fail=_Older())
    for file_id in box.files[:MAX_LINKS]:
        tx.put(FileBoxItem.of(box.link(file_id)))
    for file_id in set(current.files if current else ()) - set(box.files):
        tx.delete(FileBoxItem(pk=file_key(box.org_id, file_id), sk=box_sort_key(box.box_id)))
    try:
        tx.run()
    except _Older:
        return False
    return True
