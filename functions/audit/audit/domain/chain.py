"""A per-entity hash chain: each entry's hash covers the previous hash and the event.

Changing, removing or reordering any stored entry breaks every later hash, so a
verifier that recomputes the chain from entry 1 detects tampering.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

GENESIS = "0" * 64


def canonical(event: dict[str, Any]) -> str:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link(prev_hash: str, seq: int, event: dict[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}|{seq}|{canonical(event)}".encode()).hexdigest()


def verify(entries: Iterable[dict[str, Any]], start_hash: str = GENESIS, start_seq: int = 1) -> dict[str, Any]:
    """Recompute the chain; report the first broken sequence number, if any."""
    prev, expected_seq, count = start_hash, start_seq, 0
    for entry in entries:
        if entry["seq"] != expected_seq or entry["prev_hash"] != prev or link(prev, entry["seq"], entry["event"]) != entry["hash"]:
            return {"valid": False, "broken_at": entry["seq"], "checked": count}
        prev, expected_seq, count = entry["hash"], expected_seq + 1, count + 1
    return {"valid": True, "checked": count, "head_hash": prev}
