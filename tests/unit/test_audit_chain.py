"""The audit hash chain detects changed, removed and reordered entries."""
from __future__ import annotations

import copy

from audit.domain.chain import GENESIS, link, verify


def chain(n):
    entries, prev = [], GENESIS
    for seq in range(1, n + 1):
        event = {"id": f"e{seq}", "payload": {"n": seq}}
        digest = link(prev, seq, event)
        entries.append({"seq": seq, "prev_hash": prev, "hash": digest, "event": event})
        prev = digest
    return entries


def test_an_intact_chain_verifies():
    entries = chain(5)
    assert verify(entries) == {"valid": True, "checked": 5, "head_hash": entries[-1]["hash"]}


def test_changed_removed_or_reordered_entries_break_it():
    changed = copy.deepcopy(chain(5))
    changed[2]["event"]["payload"]["n"] = 99
    assert verify(changed)["broken_at"] == 3
    removed = chain(5)
    del removed[1]
    assert verify(removed)["valid"] is False
    swapped = chain(5)
    swapped[1], swapped[2] = swapped[2], swapped[1]
    assert verify(swapped) == {"valid": False, "broken_at": 3, "checked": 1}


def test_the_hash_does_not_depend_on_key_order():
    assert link(GENESIS, 1, {"a": 1, "b": 2}) == link(GENESIS, 1, {"b": 2, "a": 1})
