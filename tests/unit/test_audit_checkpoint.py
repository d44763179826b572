"""Checkpoint rules: the Merkle root over chain heads, the signed statement, and the four tampering verdicts."""
from __future__ import annotations

import copy
import hashlib

from audit.domain import checkpoint as rules
from audit.domain.chain import GENESIS, link
from audit.domain.checkpoint import Head


def chain(n, tag="e"):
    entries, prev = [], GENESIS
    for seq in range(1, n + 1):
        event = {"id": f"{tag}{seq}", "payload": {"n": seq}}
        digest = link(prev, seq, event)
        entries.append({"seq": seq, "prev_hash": prev, "hash": digest, "event": event})
        prev = digest
    return entries


def head_of(entries):
    return Head(entries[-1]["seq"], entries[-1]["hash"])


def rehash(entries):
    """What an attacker with write access does: recompute every hash after an edit."""
    prev = GENESIS
    for entry in entries:
        entry["prev_hash"], entry["hash"] = prev, link(prev, entry["seq"], entry["event"])
        prev = entry["hash"]
    return entries


# ----------------------------------------------------------------- Merkle root
def test_the_root_follows_rfc_6962():
    one = {"c1": Head(1, "a" * 64)}
    leaf = hashlib.sha256(b"\x00" + f"c1|1|{'a' * 64}".encode()).digest()
    assert rules.merkle_root(one) == leaf.hex()
    three = {"c1": Head(1, "a" * 64), "c2": Head(2, "b" * 64), "c3": Head(3, "c" * 64)}
    leaves = [rules.leaf_hash(c, three[c]) for c in ("c1", "c2", "c3")]
    left = hashlib.sha256(b"\x01" + leaves[0] + leaves[1]).digest()
    assert rules.merkle_root(three) == hashlib.sha256(b"\x01" + left + leaves[2]).hexdigest()
    assert rules.merkle_root({}) == hashlib.sha256(b"").hexdigest()


def test_the_root_ignores_order_and_changes_with_any_head():
    heads = {f"c{i}": Head(i, f"{i:064x}") for i in range(1, 8)}
    shuffled = dict(reversed(list(heads.items())))
    assert rules.merkle_root(heads) == rules.merkle_root(shuffled)
    for name in heads:
        for changed in (Head(heads[name].seq + 1, heads[name].hash), Head(heads[name].seq, "f" * 64)):
            assert rules.merkle_root(heads | {name: changed}) != rules.merkle_root(heads)
    assert rules.merkle_root({k: v for k, v in heads.items() if k != "c4"}) != rules.merkle_root(heads)


def test_a_checkpoint_object_is_trusted_only_if_its_heads_hash_to_the_root_and_its_key_matches():
    heads = {"ENTITY#o1#b1": Head(3, "a" * 64)}
    stmt = rules.statement(7, "2026-12-02T00:00:00Z", GENESIS, heads)
    doc = rules.document(stmt, heads, "sig", "key", [])
    key = rules.object_key("checkpoints/", 7)
    assert rules.well_formed(doc, key, "checkpoints/") is None
    assert "sequence" in rules.well_formed(doc, rules.object_key("checkpoints/", 8), "checkpoints/")
    forged = copy.deepcopy(doc)
    forged["chains"]["ENTITY#o1#b1"] = [2, "b" * 64]
    assert "root" in rules.well_formed(forged, key, "checkpoints/")
    assert rules.object_key("checkpoints/", 8) < rules.object_key("checkpoints/", 7)  # newest listed first


def test_the_statement_is_small_whatever_the_number_of_chains():
    heads = {f"ENTITY#o#{i}": Head(i, f"{i:064x}") for i in range(10_000)}
    assert len(rules.signed_bytes(rules.statement(1, "2026-12-02T00:00:00Z", GENESIS, heads))) < 4096


# -------------------------------------------------------------------- verdicts
def test_an_intact_chain_is_valid_against_its_checkpoint_and_after_it():
    entries = chain(5)
    assert rules.assess(entries, head_of(entries), Head(3, entries[2]["hash"]))["valid"] is True
    assert rules.assess(entries, head_of(entries), None) == {"valid": True, "checked": 5, "head_hash": entries[-1]["hash"]}


def test_a_naive_edit_is_edited():
    entries = chain(5)
    entries[1]["event"]["payload"]["n"] = 99
    verdict = rules.assess(entries, head_of(entries), Head(5, chain(5)[-1]["hash"]))
    assert (verdict["valid"], verdict["kind"], verdict["broken_at"]) == (False, "edited", 2)


def test_a_rehashed_edit_recomputes_but_is_rewritten_against_the_checkpoint():
    original = chain(5)
    anchor = Head(4, original[3]["hash"])
    entries = rehash(copy.deepcopy(original))
    entries[1]["event"]["payload"]["n"] = 99
    rehash(entries)
    assert rules.assess(entries, head_of(entries), None)["valid"] is True  # the chain alone cannot tell
    verdict = rules.assess(entries, head_of(entries), anchor)
    assert (verdict["valid"], verdict["kind"], verdict["broken_at"]) == (False, "rewritten", 4)


def test_the_last_entry_deleted_and_the_head_moved_back_is_truncated():
    entries = chain(5)
    verdict = rules.assess(entries[:4], head_of(entries[:4]), head_of(entries))
    assert (verdict["valid"], verdict["kind"], verdict["broken_at"]) == (False, "truncated", 5)
    lost_tail = rules.assess(entries[:4], head_of(entries), None)  # entries gone, head kept
    assert (lost_tail["kind"], lost_tail["broken_at"]) == ("truncated", 5)


def test_a_chain_gone_while_a_checkpoint_knows_it_is_deleted():
    assert rules.assess([], None, Head(3, "a" * 64))["kind"] == "deleted"
    assert rules.assess([], None, None)["valid"] is True  # never had a history


def test_the_job_extends_from_the_checkpointed_entry_only():
    entries = chain(6)
    anchor = Head(4, entries[3]["hash"])
    assert rules.assess(entries[3:], head_of(entries), anchor, start=anchor)["valid"] is True
    rewritten = rehash(copy.deepcopy(entries))
    rewritten[0]["event"]["payload"]["n"] = 0
    rehash(rewritten)
    assert rules.assess(rewritten[3:], head_of(rewritten), anchor, start=anchor)["kind"] == "rewritten"
    shorter = entries[:3]
    assert rules.assess(shorter[3:], head_of(shorter), anchor, start=anchor)["kind"] == "truncated"
    edited = copy.deepcopy(entries)
    edited[5]["event"]["payload"]["n"] = 0
    assert rules.assess(edited[3:], head_of(entries), anchor, start=anchor)["kind"] == "edited"
