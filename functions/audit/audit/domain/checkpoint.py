"""Signed checkpoints of every history: the Merkle tree over the chains' heads and the tampering verdicts.

A checkpoint records each chain's head (its length and last hash) at one moment, as
Certificate Transparency's signed tree heads do: the leaves are `chain|seq|hash` sorted
by chain, hashed as RFC 6962 leaves, and the root goes into a small statement (sequence,
time, size, root, digest of the previous statement) that a key outside the table's
writers signs. A chain checked against its checkpointed head tells which tampering
happened, which a chain recomputed on its own cannot:

| kind        | what the stored chain shows                                                  |
|-------------|------------------------------------------------------------------------------|
| `edited`    | an entry no longer recomputes (event, hash, prev_hash or seq changed, gap)   |
| `rewritten` | every entry recomputes, but the entry at the checkpointed seq has another hash |
| `truncated` | every entry recomputes, but the chain is shorter than its checkpointed head |
| `deleted`   | no head any more, while a checkpoint knows the chain                         |

Pure: no AWS, no clock; the signer and the store are passed in by the use cases.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from .chain import GENESIS, link

VERSION = 1
ALGORITHM = "ECDSA_SHA_256"
EDITED, REWRITTEN, TRUNCATED, DELETED = "edited", "rewritten", "truncated", "deleted"
KINDS = (EDITED, REWRITTEN, TRUNCATED, DELETED)
SEQUENCE_SPACE = 10 ** 12  # checkpoint keys count down from here, so a bucket listing shows the newest first


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


# ------------------------------------------------------------------ Merkle tree
def leaf_hash(chain: str, head: Head) -> bytes:
    return hashlib.sha256(b"\x00" + f"{chain}|{head.seq}|{head.hash}".encode()).digest()


def merkle_root(heads: dict[str, Head]) -> str:
    """RFC 6962 Merkle tree hash over the heads sorted by chain key (the empty tree is sha256(''))."""
    level = [leaf_hash(chain, heads[chain]) for chain in sorted(heads)]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    return _subtree(level).hex()


def _subtree(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)  # largest power of two below the size
    return hashlib.sha256(b"\x01" + _subtree(leaves[:split]) + _subtree(leaves[split:])).digest()


# ------------------------------------------------------------------- statements
def statement(sequence: int, issued_at: str, previous: str, heads: dict[str, Head]) -> dict[str, Any]:
    """What is signed: small (a KMS RAW message is at most 4 KB) and fixed whatever the number of chains."""
    return {"version": VERSION, "sequence": sequence, "issued_at": issued_at, "previous": previous,
            "tree_size": len(heads), "root": merkle_root(heads)}


def signed_bytes(stmt: dict[str, Any]) -> bytes:
    return json.dumps(stmt, sort_keys=True, separators=(",", ":")).encode()


def digest(stmt: dict[str, Any]) -> str:
    """The checkpoint's identity: the next one links to it."""
    return hashlib.sha256(signed_bytes(stmt)).hexdigest()


FIRST_PREVIOUS = GENESIS


def object_key(prefix: str, sequence: int) -> str:
    return f"{prefix}{SEQUENCE_SPACE - sequence:012d}.json"


def document(stmt: dict[str, Any], heads: dict[str, Head], signature: str, key_id: str,
             refused: list[dict[str, Any]]) -> dict[str, Any]:
    return {"statement": stmt, "signature": signature, "key_id": key_id, "algorithm": ALGORITHM,
            "chains": {chain: [h.seq, h.hash] for chain, h in sorted(heads.items())}, "refused": refused}


def heads_of(doc: dict[str, Any]) -> dict[str, Head]:
    return {chain: Head(int(seq), str(digest_)) for chain, (seq, digest_) in doc.get("chains", {}).items()}


def well_formed(doc: dict[str, Any], key: str, prefix: str) -> str | None:
    """Why a checkpoint object cannot be trusted before its signature is even checked (None: it can)."""
    stmt = doc.get("statement")
    if not isinstance(stmt, dict) or stmt.get("version") != VERSION:
        return "not a checkpoint statement"
    if object_key(prefix, int(stmt.get("sequence", -1))) != key:
        return "statement's sequence does not match its object key (copied or replayed)"
    heads = heads_of(doc)
    if stmt.get("tree_size") != len(heads) or stmt.get("root") != merkle_root(heads):
        return "heads do not hash to the signed root"
    return None


# ---------------------------------------------------------------------- verdicts
def assess(entries: Iterable[dict[str, Any]], head: Head | None, anchor: Head | None,
           start: Head | None = None) -> dict[str, Any]:
    """Check the stored chain up to `head` against its checkpointed `anchor`.

    `entries` run in seq order from 1, or — when `start` is given (the anchor the job
    extends from) — from `start.seq`, whose entry must still carry `start.hash`.
    Returns {"valid", "checked", "kind"?, "broken_at"?, "head_hash"?}.
    """
    if head is None:
        if anchor is None:
            return {"valid": True, "checked": 0}
        return {"valid": False, "kind": DELETED, "checked": 0, "broken_at": 1}
    prev, expected, checked = (start.hash, start.seq + 1, 0) if start else (GENESIS, 1, 0)
    iterator: Iterator[dict[str, Any]] = iter(entries)
    if start is not None:
        if head.seq < start.seq:
            return {"valid": False, "kind": TRUNCATED, "checked": 0, "broken_at": head.seq + 1}
        first = next(iterator, None)
        if first is None or first["seq"] != start.seq:
            return {"valid": False, "kind": EDITED, "checked": 0, "broken_at": start.seq}
        if first["hash"] != start.hash:
            return {"valid": False, "kind": REWRITTEN, "checked": 0, "broken_at": start.seq}
    for entry in iterator:
        if entry["seq"] > head.seq:
            break
        if entry["seq"] != expected or entry["prev_hash"] != prev or link(prev, entry["seq"], entry["event"]) != entry["hash"]:
            return {"valid": False, "kind": EDITED, "checked": checked, "broken_at": entry["seq"]}
        if anchor is not None and entry["seq"] == anchor.seq and entry["hash"] != anchor.hash:
            return {"valid": False, "kind": REWRITTEN, "checked": checked, "broken_at": entry["seq"]}
        prev, expected, checked = entry["hash"], expected + 1, checked + 1
    if expected - 1 != head.seq:  # entries end before the head: the last ones are gone
        return {"valid": False, "kind": TRUNCATED, "checked": checked, "broken_at": expected}
    if prev != head.hash:  # the head names a hash no entry has
        return {"valid": False, "kind": EDITED, "checked": checked, "broken_at": checked + 1}
    if anchor is not None and head.seq < anchor.seq:
        return {"valid": False, "kind": TRUNCATED, "checked": checked, "broken_at": head.seq + 1}
    return {"valid": True, "checked": checked, "head_hash": prev}
