"""The nodes of a version's node set, and the receipts of publishing it.

A node edit is one transaction: the node (conditional on its ETag, or on not existing yet), the
children counter of each parent it joins or leaves (a parent must exist with the level above:
a condition, not a read), the draft's counters and ETag (conditional on the draft still being a
draft of this node set, so no edit lands in a published version or an imported-over set), and
the event. Whole sets (a new draft's copy, an import) are written with batch writes under a node
set id nothing points to yet; the version is switched to them afterwards (data/schemes.py).
"""
from __future__ import annotations

from typing import Iterable

from pynamodb.exceptions import DoesNotExist

from shared.concurrency import stale
from shared.events import DomainEvent, now_iso
from shared.problems import Conflict, ValidationFailed

from ..domain.model import PARENT_LEVEL, Node, SchemeVersion
from ..domain.sheet import MAX_ROWS
from .schemes import published
from .tables import (NODE_PREFIX, RECEIPT_PREFIX, NodeItem, ReceiptItem, VersionItem, node_key, org_key,
                     receipt_key, set_key, version_key)
from .tx import Tx, page, read


# ---------------------------------------------------------------------- reads
def get_node(org_id: str, set_id: str, code: str, consistent: bool = False) -> Node | None:
    try:
        item = read(NodeItem.get, set_key(org_id, set_id), node_key(code), consistent_read=consistent)
    except DoesNotExist:
        return None
    return item.entity(org_id=org_id, set_id=set_id)


def list_nodes(org_id: str, set_id: str, limit: int, cursor: str | None) -> tuple[list[Node], str | None]:
    """By code."""
    return page(NodeItem, set_key(org_id, set_id), NODE_PREFIX, limit, cursor,
                convert=lambda item: item.entity(org_id=org_id, set_id=set_id))


def all_nodes(org_id: str, set_id: str) -> list[Node]:
    """Every node of a set, by code (a set holds at most MAX_ROWS nodes: about 2 MB)."""
    result = NodeItem.query(set_key(org_id, set_id), NodeItem.sk.startswith(NODE_PREFIX), consistent_read=True)
    return read(lambda: [item.entity(org_id=org_id, set_id=set_id) for item in result])


def receipts(org_id: str, set_id: str) -> set[int]:
    """The chunks of UnitTaskPublished events already staged for this set."""
    result = ReceiptItem.query(set_key(org_id, set_id), ReceiptItem.sk.startswith(RECEIPT_PREFIX),
                               consistent_read=True)
    return read(lambda: {int(item.sk.removeprefix(RECEIPT_PREFIX)) for item in result})


# --------------------------------------------------------------- whole sets
def write_set(nodes: Iterable[Node]) -> None:
    """Nodes of a set nothing points to yet, in batches of 25 (a retry rewrites the same items)."""
    def write() -> None:
        with NodeItem.batch_write() as batch:
            for node in nodes:
                batch.save(NodeItem.of(node))
    read(write)


def delete_set(org_id: str, set_id: str) -> None:
    """Drop a set nothing points to any more (best effort: what a failure leaves is unreachable)."""
    def delete() -> None:
        keys = NodeItem.query(set_key(org_id, set_id), NodeItem.sk.startswith(NODE_PREFIX),
                              attributes_to_get=["pk", "sk"])
        with NodeItem.batch_write() as batch:
            for item in keys:
                batch.delete(item)
    read(delete)


def stage_chunk(org_id: str, set_id: str, chunk: int, events: list[DomainEvent]) -> bool:
    """One chunk of a version's UnitTaskPublished events with its receipt, in one transaction; False
    when the receipt was already there (a retried or concurrent publish staged it: nothing is added)."""
    tx = Tx().put(ReceiptItem(pk=set_key(org_id, set_id), sk=receipt_key(chunk), events=len(events), at=now_iso()),
                  condition=ReceiptItem.pk.does_not_exist(), on_fail=_AlreadyStaged())
    for event in events:
        tx.event(event)
    try:
        tx.run()
    except _AlreadyStaged:
        return False
    return True


class _AlreadyStaged(Exception):
    pass


# --------------------------------------------------------------- node edits
def _draft(tx: Tx, version: SchemeVersion, nodes: int = 0, tasks: int = 0) -> Tx:
    """The draft's counters and ETag move with each edit, while it is still a draft of this set."""
    condition = (VersionItem.status == "draft") & (VersionItem.set_id == version.set_id)
    if nodes > 0:
        condition = condition & (VersionItem.node_count < MAX_ROWS)
    actions = [VersionItem.version.add(1), VersionItem.updated_at.set(now_iso())]
    if nodes:
        actions.append(VersionItem.node_count.add(nodes))
    if tasks:
        actions.append(VersionItem.unit_task_count.add(tasks))
    return tx.update(VersionItem(pk=org_key(version.org_id), sk=version_key(version.number)), actions,
                     condition=condition, on_fail=lambda: _draft_refused(version, nodes))


def _draft_refused(version: SchemeVersion, nodes: int) -> Exception:
    from .schemes import get_version
    now = get_version(version.org_id, version.number, consistent=True)
    if now is None or now.status != "draft":
        return published(version.number)
    if now.set_id != version.set_id:
        return Conflict("The draft was replaced by an import meanwhile; read it again.")
    return Conflict(f"A draft holds at most {MAX_ROWS} nodes.")


def _parent(tx: Tx, node: Node, parent_code: str, delta: int) -> Tx:
    """A parent's children counter; joining needs the parent there with the level above."""
    item = NodeItem(pk=set_key(node.org_id, node.set_id), sk=node_key(parent_code))
    if delta > 0:
        wanted = PARENT_LEVEL[node.level]
        return tx.update(item, [NodeItem.children.add(delta)],
                         condition=NodeItem.pk.exists() & (NodeItem.level == wanted),
                         on_fail=ValidationFailed(f"parent_code: no {wanted} {parent_code} in this draft.",
                                                  errors=[{"field": "parent_code",
                                                           "message": f"no {wanted} with that code"}]))
    return tx.update(item, [NodeItem.children.add(delta)], condition=NodeItem.pk.exists())


_EDITABLE = [name for name in NodeItem.get_attributes() if name not in ("pk", "sk", "children", "code", "level",
                                                                      "created_at")]


def create_node(version: SchemeVersion, node: Node, event: DomainEvent) -> None:
    tx = _draft(Tx(), version, nodes=1, tasks=int(node.level == "unit_task"))
    tx.put(NodeItem.of(node), condition=NodeItem.pk.does_not_exist(),
           on_fail=Conflict(f"The draft already has a node {node.code}.",
                            errors=[{"field": "code", "message": "already in this draft"}]))
    if node.parent_code:
        _parent(tx, node, node.parent_code, +1)
    tx.event(event).run()


def update_node(version: SchemeVersion, before: Node, after: Node, event: DomainEvent) -> None:
    tx = _draft(Tx(), version)
    # an update, not a put: children moves without the node's ETag (a child's edit is not the parent's)
    item = NodeItem.of(after)
    actions = [getattr(NodeItem, name).set(getattr(item, name)) if getattr(item, name) not in (None, [])
               else getattr(NodeItem, name).remove() for name in _EDITABLE]
    tx.update(item, actions, condition=NodeItem.version == before.version, on_fail=stale("node"))
    if before.parent_code != after.parent_code:
        if before.parent_code:
            _parent(tx, before, before.parent_code, -1)
        if after.parent_code:
            _parent(tx, after, after.parent_code, +1)
    tx.event(event).run()


def delete_node(version: SchemeVersion, node: Node, expected_version: int, event: DomainEvent) -> None:
    tx = _draft(Tx(), version, nodes=-1, tasks=-int(node.level == "unit_task"))
    tx.delete(NodeItem.of(node), condition=(NodeItem.version == expected_version) & (NodeItem.children == 0),
              on_fail=lambda: _delete_refused(node, expected_version))
    if node.parent_code:
        _parent(tx, node, node.parent_code, -1)
    tx.event(event).run()


def _delete_refused(node: Node, expected_version: int) -> Exception:
    now = get_node(node.org_id, node.set_id, node.code, consistent=True)
    if now is None or now.version != expected_version:
        return stale("node")
    return Conflict(f"{node.code} still has {now.children} nodes under it: delete or move them first.")
