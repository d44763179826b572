"""The `export_history` saga step (transfer, contract B1): each named entity's history, as its chain and the
chain's verification, into the transfer's package, so the receiver holds the sender's history of every file
it takes. Only the sending organisation's chains are read (the key names the organisation): an entity of
another organisation, or one with no history, is refused by name in the answer, never exported."""
from __future__ import annotations

from typing import Any, Iterator

from shared.tasks import InvalidTaskInput

from ..data import exports as bucket_store
from ..data import history as store
from ..domain.checkpoint import Head
from . import checkpoints

PAGE = 100


def export_history(step: dict[str, Any]) -> dict[str, Any]:
    org_id, transfer_id, entities = step.get("org_id"), step.get("transfer_id"), step.get("entities")
    bucket, prefix = step.get("bucket"), step.get("prefix")
    if not org_id or not transfer_id or not isinstance(entities, list) or not bucket or not isinstance(prefix, str):
        raise InvalidTaskInput("export_history needs org_id, transfer_id, entities, bucket and prefix")
    if bucket != bucket_store.package_bucket():
        raise InvalidTaskInput(f"bucket: packages live in {bucket_store.package_bucket()!r}, not {bucket!r}")
    entries, refused = [], []
    for entity in entities:
        kind, entity_id = (entity or {}).get("type"), (entity or {}).get("id")
        head = store.head(org_id, entity_id) if kind and entity_id else None
        if head is None or head["kind"] != kind:
            refused.append({"type": kind, "id": entity_id, "reason": "unknown-entity"})
            continue
        chain = list(_entries(org_id, entity_id, head["seq"]))
        verification = checkpoints.verify_chain(org_id, entity_id, Head(head["seq"], head["hash"]), iter(chain))
        doc = {"format": "records.history/1", "transfer_id": transfer_id,
               "entity": {"type": kind, "id": entity_id, "org_id": org_id, "events": head["seq"],
                          "head_hash": head["hash"]},
               "chain": chain, "verification": verification}
        path = f"data/history/{kind}-{entity_id}.json"
        key = f"{prefix.strip('/')}/{path}" if prefix.strip("/") else path
        sha, size = bucket_store.put_once(bucket, key, doc)
        entries.append({"path": path, "sha256": sha, "size": size})
    return {"entries": entries, "refused": refused}


def _entries(org_id: str, entity_id: str, up_to: int) -> Iterator[dict[str, Any]]:
    """The chain's entries up to the head read (appends after it are not part of this export)."""
    cursor = None
    while True:
        page, cursor = store.entries(org_id, entity_id, PAGE, cursor)
        for entry in page:
            if entry["seq"] > up_to:
                return
            yield entry
        if not cursor:
            return
