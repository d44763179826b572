"""Audit's integrity use cases: the checkpoint job, the verification job, and a chain checked against its checkpoint.

Period and window: the checkpoint job runs every `AuditCheckpointMinutes` (template
parameter, 5 by default). Whatever a chain holds when a checkpoint is taken can no
longer be rewritten, truncated or deleted unnoticed; what was appended after the last
checkpoint (at most one period's writes) is protected only by the hash chain, so a
re-hashed edit, a truncation or a deletion of those entries alone is not detectable
until a checkpoint covers them — and one that comes before that checkpoint is taken
for the truth. A chain that fails its consistency check keeps its old checkpointed head
(or, if new, is left out) and is reported, so tampering is never laundered forward.
"""
from __future__ import annotations

from typing import Any

from shared.clock import iso_instant

from ..data import anchors as anchors_store
from ..data import chains as store
from ..data.tables import entity_key as chain_key
from ..domain import checkpoint as rules
from ..domain.checkpoint import Head


# ------------------------------------------------------------------- reading
def latest() -> tuple[dict[str, Any] | None, list[dict[str, Any]], int]:
    """(the newest checkpoint that is well formed and signed by our key, the newer objects that are not,
    the highest sequence any checkpoint object claims by its key)."""
    rejected, highest = [], 0
    for key, etag, doc in anchors_store.newest_checkpoints():
        number = key[len(anchors_store.CHECKPOINTS):].removesuffix(".json")
        if number.isdigit():
            highest = max(highest, rules.SEQUENCE_SPACE - int(number))
        reason = _distrust(key, etag, doc)
        if reason is None:
            return {"key": key, "statement": doc["statement"], "heads": rules.heads_of(doc)}, rejected, highest
        rejected.append({"key": key, "reason": reason})
        for version, earlier in anchors_store.earlier_versions(key):  # something was put over the job's object
            if _distrust(key, version, earlier) is None:
                return {"key": key, "statement": earlier["statement"], "heads": rules.heads_of(earlier)}, \
                    rejected, highest
    return None, rejected, highest


def _distrust(key: str, tag: str, doc: dict[str, Any] | None) -> str | None:
    """Why this checkpoint object cannot be believed (None: it is well formed and signed by our key)."""
    reason = "unreadable" if doc is None else rules.well_formed(doc, key, anchors_store.CHECKPOINTS)
    if reason is None and not anchors_store.signature_valid(key, tag, rules.signed_bytes(doc["statement"]),
                                                      str(doc.get("signature", ""))):
        reason = "signature does not verify with the audit signing key"
    return reason


def _summary(trusted: dict[str, Any]) -> dict[str, Any]:
    stmt = trusted["statement"]
    return {"sequence": stmt["sequence"], "issued_at": stmt["issued_at"], "root": stmt["root"], "object": trusted["key"]}


def checkpointed(org_id: str | None, entity_id: str) -> tuple[dict[str, Any] | None, Head | None]:
    """The latest trusted checkpoint (summary) and this chain's head in it."""
    if not anchors_store.configured():
        return None, None
    trusted, _, _ = latest()
    if trusted is None:
        return None, None
    return _summary(trusted), trusted["heads"].get(chain_key(org_id, entity_id))


def verify_chain(org_id: str | None, entity_id: str, head: Head | None, entries) -> dict[str, Any]:
    """The route's verdict: the chain recomputed and compared with its latest checkpointed head."""
    summary, anchor = checkpointed(org_id, entity_id)
    verdict = rules.assess(entries, head, anchor)
    if summary is not None:  # absent until the first checkpoint exists: only the chain itself was checked
        verdict["checkpoint"] = summary | {"events": anchor.seq if anchor else 0,
                                           "head_hash": anchor.hash if anchor else None}
    return verdict


# ------------------------------------------------------------------- the jobs
def take_checkpoint() -> dict[str, Any]:
    """Record every chain's head, extending the previous checkpoint only where the chain still agrees with it."""
    trusted, rejected, highest = latest()
    old = trusted["heads"] if trusted else {}
    current = store.all_heads()
    heads: dict[str, Head] = {}
    refused: list[dict[str, Any]] = []
    for chain, head in current.items():
        anchor = old.get(chain)
        if anchor == head:
            heads[chain] = head
            continue
        if anchor is None:
            verdict = rules.assess(store.entries_from(chain, 1), head, None)
        else:
            verdict = rules.assess(store.entries_from(chain, anchor.seq), head, anchor, start=anchor)
        if verdict["valid"]:
            heads[chain] = head
        else:
            refused.append(_finding(chain, verdict))
            if anchor is not None:
                heads[chain] = anchor  # keeps what was proven; the tampering is not laundered forward
    for chain in old.keys() - current.keys():
        refused.append(_finding(chain, rules.assess((), None, old[chain])))
        heads[chain] = old[chain]
    if trusted and heads == old and not refused and not rejected:
        return {"written": False, "reason": "no chain changed", "sequence": trusted["statement"]["sequence"],
                "chains": len(heads)}
    sequence = max(highest, trusted["statement"]["sequence"] if trusted else 0) + 1
    previous = rules.digest(trusted["statement"]) if trusted else rules.FIRST_PREVIOUS
    stmt = rules.statement(sequence, iso_instant(), previous, heads)
    signature, key_id = anchors_store.sign(rules.signed_bytes(stmt))
    key = rules.object_key(anchors_store.CHECKPOINTS, sequence)
    try:
        anchors_store.put(key, rules.document(stmt, heads, signature, key_id, refused))
    except anchors_store.Exists:
        return {"written": False, "reason": f"{key} was written by another run", "sequence": sequence}
    return {"written": True, "sequence": sequence, "object": key, "chains": len(heads), "root": stmt["root"],
            "refused": refused, "rejected_checkpoints": rejected}


def verify_all() -> dict[str, Any]:
    """Every chain of the latest checkpoint and every current head, recomputed from entry 1; the report
    names each broken entity, its organisation and the kind, and goes to the bucket beside the checkpoints."""
    trusted, rejected, _ = latest()
    anchored = trusted["heads"] if trusted else {}
    current = store.all_heads()
    broken = []
    for chain in sorted(anchored.keys() | current.keys()):
        verdict = rules.assess(store.entries_from(chain, 1), current.get(chain), anchored.get(chain))
        if not verdict["valid"]:
            broken.append(_finding(chain, verdict))
    generated = iso_instant()
    report = {"generated_at": generated, "checkpoint": _summary(trusted) if trusted else None,
              "chains_checked": len(anchored.keys() | current.keys()),
              "unanchored_chains": len(current.keys() - anchored.keys()),
              "broken": broken, "rejected_checkpoints": rejected}
    key = f"{anchors_store.REPORTS}{generated[:10]}/{generated}.json"
    try:
        anchors_store.put(key, report)
    except anchors_store.Exists:  # two runs in the same second wrote the same findings
        pass
    return report | {"object": key}


def _finding(chain: str, verdict: dict[str, Any]) -> dict[str, Any]:
    org_id, entity_id = store.chain_parts(chain)
    return {"org_id": org_id, "entity_id": entity_id, "kind": verdict["kind"], "broken_at": verdict.get("broken_at")}
