"""Records' read model of the classification scheme: the unit tasks of each published version and
which version is current (keys: see tables.py).

Each consumed event leaves a receipt (its id) in the same transaction as its effect, so a
redelivered event changes nothing. A unit task is written once per version and code, and counted
on its version's item in that transaction; the version becomes usable, and current if it is the
newest usable one, when the count announced by SchemeVersionPublished has arrived.
"""
from __future__ import annotations

import time

from pynamodb.exceptions import DoesNotExist

from ..domain.feeds import VersionPublished
from ..domain.model import UnitTask
from .tables import (CurrentSchemeItem, ReceiptItem, UnitTaskItem, VersionItem, org_key, receipt_key, task_sort_key,
                     version_key)
from .tx import Tx, page, read

RECEIPT_DAYS = 90  # far beyond any redelivery (SQS, EventBridge retries, a dead-letter redrive)


class _Seen(Exception):
    """The event was applied before."""


class _Known(Exception):
    """That version already holds that unit task."""


def _get(model, hash_key: str, range_key: str, consistent: bool = True):
    try:
        return read(model.get, hash_key, range_key, consistent_read=consistent)
    except DoesNotExist:
        return None


def receipt(event_id: str, type_: str) -> ReceiptItem:
    return ReceiptItem(pk=receipt_key(event_id), sk="EVENT", type=type_,
                       expiration=int(time.time()) + RECEIPT_DAYS * 86400)


def seen(event_id: str) -> bool:
    return _get(ReceiptItem, receipt_key(event_id), "EVENT") is not None


def record_unit_task(task: UnitTask, event_id: str) -> bool:
    """Keep a published unit task once (by event id, and by version and code); False if nothing changed."""
    seen_once = receipt(event_id, "UnitTaskPublished")
    counter = VersionItem(pk=version_key(task.org_id, task.scheme_version), sk="VERSION")
    tx = (Tx().put(seen_once, condition=ReceiptItem.pk.does_not_exist(), on_fail=_Seen())
          .put(UnitTaskItem.of(task), condition=UnitTaskItem.pk.does_not_exist(), on_fail=_Known())
          .update(counter, [VersionItem.received.add(1)]))
    try:
        tx.run()
    except _Seen:
        return False
    except _Known:  # another event published the same task of that version: only the receipt is new
        try:
            Tx().put(seen_once, condition=ReceiptItem.pk.does_not_exist(), on_fail=_Seen()).run()
        except _Seen:
            pass
        return False
    return True


def record_version(published: VersionPublished, event_id: str) -> bool:
    """Keep how many unit tasks a published version has; False if seen before."""
    counter = VersionItem(pk=version_key(published.org_id, published.scheme_version), sk="VERSION")
    actions = [VersionItem.expected.set(published.unit_task_count)]
    if published.published_at:
        actions.append(VersionItem.published_at.set(published.published_at))
    try:
        (Tx().put(receipt(event_id, "SchemeVersionPublished"), condition=ReceiptItem.pk.does_not_exist(),
                  on_fail=_Seen())
         .update(counter, actions).run())
    except _Seen:
        return False
    return True


def promote(org_id: str, version: int) -> bool:
    """Make `version` usable once complete, and current if it is the newest usable one; True if it is usable."""
    counter = _get(VersionItem, version_key(org_id, version), "VERSION")
    if counter is None or counter.expected is None or int(counter.received or 0) < int(counter.expected):
        return False
    if not counter.usable:
        Tx().update(VersionItem(pk=version_key(org_id, version), sk="VERSION"), [VersionItem.usable.set(1)]).run()
    try:
        (Tx().update(CurrentSchemeItem(pk=org_key(org_id), sk="SCHEME"), [CurrentSchemeItem.version.set(version)],
                     condition=CurrentSchemeItem.pk.does_not_exist() | (CurrentSchemeItem.version < version),
                     on_fail=_Known()).run())
    except _Known:
        pass  # a newer version is current already
    return True


def current_version(org_id: str) -> int | None:
    item = _get(CurrentSchemeItem, org_key(org_id), "SCHEME", consistent=False)
    return int(item.version) if item else None


def is_usable(org_id: str, version: int) -> bool:
    counter = _get(VersionItem, version_key(org_id, version), "VERSION", consistent=False)
    return bool(counter and counter.usable)


def unit_task(org_id: str, version: int, code: str) -> UnitTask | None:
    item = _get(UnitTaskItem, version_key(org_id, version), task_sort_key(code), consistent=False)
    return item.entity() if item else None


def list_unit_tasks(org_id: str, version: int, limit: int, cursor: str | None):
    return page(UnitTaskItem, version_key(org_id, version), task_sort_key(""), limit, cursor)
