"""Scheme versions: listing and reading them, opening a draft (a copy of the current published
version) and publishing a draft.

Publishing, and why it is several writes. Version V's events — one UnitTaskPublished per unit
task, then SchemeVersionPublished naming how many there are — must reach records whole: a
consumer treats V as usable only once it holds SchemeVersionPublished(V) and that many tasks.
A DynamoDB transaction holds at most 100 items, and a scheme has thousands of unit tasks, so:
1. the draft freezes (status `publishing`, a conditional write on its ETag): no edit lands
   after this, so the list of unit tasks, in code order, cannot change;
2. the tasks go out in chunks of PUBLISH_CHUNK: each chunk's events and a receipt keyed by
   (node set, chunk number) are one transaction, conditional on the receipt not existing, so a
   chunk is staged exactly once however often publishing is retried;
3. last, one transaction flips the version to `published`, names it current in the scheme's
   head and stages SchemeVersionPublished.
A crash anywhere leaves the version `publishing` (never `published` with tasks missing); calling
publish again (same If-Match: freezing does not move the ETag) skips the chunks with receipts
and finishes. Consumers may see a chunk's events before the crash and the rest later; they wait
for SchemeVersionPublished, which comes only after every chunk.
"""
from __future__ import annotations

from shared.auth import Caller
from shared.concurrency import stale
from shared.events import now_iso
from shared.idempotency import derived_id
from shared.problems import Conflict

from ..data import nodes as node_store
from ..data import schemes as store
from ..domain.model import Node, Scheme, SchemeVersion
from ..domain.rules import editor_org, path_of, reader_org
from .common import event, find_version, scheme_subject, task_subject

PUBLISH_CHUNK = 99  # events per transaction, beside the chunk's receipt (DynamoDB: 100 items)


def list_versions(caller: Caller, limit: int, cursor: str | None):
    return store.list_versions(reader_org(caller), limit, cursor)


def get_version(caller: Caller, number: str) -> SchemeVersion:
    return find_version(reader_org(caller), number)


def start_draft(caller: Caller, idempotency_key: str | None) -> SchemeVersion:
    """A new draft, numbered after the newest version, holding a copy of the current published
    version's nodes (none for an organisation's first scheme). One draft at a time (409)."""
    org_id = editor_org(caller)
    before = store.get_scheme(org_id, consistent=True)
    head = before or Scheme(org_id=org_id)
    if head.draft is not None:
        raise Conflict(f"Version {head.draft} is already a draft: edit or publish it.",
                       errors=[{"field": "scheme_version", "message": f"draft {head.draft} is open"}])
    number, stamp = head.latest + 1, now_iso()
    # The copy goes under a node set nothing names yet; the same key names the same set, so a retry
    # after a failure rewrites it instead of leaving a second copy.
    set_id = derived_id(f"draft|{org_id}|{number}|{caller.user_id}", idempotency_key)
    copied = [] if head.current_set is None else node_store.all_nodes(org_id, head.current_set)
    node_store.write_set(n.with_changes(set_id=set_id, version=1, created_at=stamp, updated_at=stamp) for n in copied)
    draft = SchemeVersion(org_id=org_id, number=number, set_id=set_id, based_on=head.current,
                          node_count=len(copied), unit_task_count=sum(n.level == "unit_task" for n in copied),
                          created_by=caller.user_id, created_at=stamp, updated_at=stamp)
    after = head.with_changes(latest=number, draft=number, version=head.version + (before is not None),
                              updated_at=stamp)
    store.open_draft(before, after, draft, event("SchemeDraftStarted", [scheme_subject(org_id)],
                                                 {"scheme_version": number, "based_on": head.current,
                                                  "node_count": draft.node_count}, caller.as_actor()))
    return draft


def publish(caller: Caller, number: str, expected_version: int) -> SchemeVersion:
    org_id = editor_org(caller)
    version = find_version(org_id, number, consistent=True)
    if version.status == "published":
        raise store.published(version.number)
    if version.version != expected_version:
        raise stale("draft")
    if version.status == "draft":
        if version.unit_task_count == 0:
            raise Conflict("Nothing to publish: a scheme version needs at least one unit task.")
        frozen = version.with_changes(status="publishing")
        store.begin_publish(version, frozen)
        version = frozen
    nodes = node_store.all_nodes(org_id, version.set_id)
    tasks = [n for n in nodes if n.level == "unit_task"]
    by_code = {n.code: n for n in nodes}
    staged = node_store.receipts(org_id, version.set_id)
    actor = caller.as_actor()
    for chunk, start in enumerate(range(0, len(tasks), PUBLISH_CHUNK)):
        if chunk in staged:
            continue
        node_store.stage_chunk(org_id, version.set_id, chunk, [
            event("UnitTaskPublished", [task_subject(org_id, task)],
                  unit_task_payload(version.number, task, by_code), actor)
            for task in tasks[start:start + PUBLISH_CHUNK]])
    stamp = now_iso()
    done = version.with_changes(status="published", unit_task_count=len(tasks), node_count=len(nodes),
                                version=version.version + 1, published_at=stamp, published_by=caller.user_id,
                                updated_at=stamp)
    head = store.get_scheme(org_id, consistent=True)
    assert head is not None, "a version exists only with its scheme's head"
    newer = head.current is not None and head.current > version.number
    after = head.with_changes(current=head.current if newer else version.number,
                              current_set=head.current_set if newer else version.set_id,
                              draft=None if head.draft == version.number else head.draft,
                              version=head.version + 1, updated_at=stamp)
    store.finish_publish(head, after, done, event(
        "SchemeVersionPublished", [scheme_subject(org_id)],
        {"scheme_version": version.number, "unit_task_count": len(tasks), "published_at": stamp}, actor))
    return done


def unit_task_payload(number: int, task: Node, by_code: dict[str, Node]) -> dict:
    """What records keeps of a unit task (the contract of UnitTaskPublished)."""
    assert task.rule is not None
    return {"scheme_version": number, "code": task.code, "title": task.title, "path": path_of(task, by_code),
            "valid_from": task.valid_from, "valid_to": task.valid_to, "rule": task.rule.public()}
