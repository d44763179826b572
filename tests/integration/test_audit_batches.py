"""Audit's consumer records a batch of events at once, and every chain stays exactly as one-by-one makes it.

GIVEN a batch as the queue delivers it (events of many boxes, a hundred events of one shelf, an event
delivered twice in the batch, events that name two entities)
WHEN the consumer handles it
THEN every chain holds each of its events once, in the order they came, and verifies; heads are read
once and the writes take a few transactions, not a read and a transaction per event and entity; the
same batch again appends nothing; a head moved by another batch meanwhile makes that chain's events go
one by one after it; an envelope without subjects fails alone.
"""
from __future__ import annotations

import json


from tests.support.events import FakeLambdaContext, claims


def _event(n: int, *subjects: tuple[str, str]) -> dict:
    return {"id": f"e{n}", "type": "BoxPlaced", "source": "records.stacks", "occurred_at": "2026-01-01T00:00:00Z",
            "subjects": [{"kind": kind, "id": entity, "org_id": "o1"} for kind, entity in subjects],
            "payload": {"n": n}, "actor": {}}


def _feed(envelopes: list[dict]) -> dict:
    from audit.consumer import handler

    records = [{"messageId": f"m-{i}", "receiptHandle": "r", "eventSource": "aws:sqs", "attributes": {},
                "body": json.dumps({"detail": e})} for i, e in enumerate(envelopes)]
    return handler({"Records": records}, FakeLambdaContext())


def _history(entity: str) -> dict:
    from audit import logic
    from shared.auth import caller_from_claims

    return logic.entity_history(caller_from_claims(claims("u-aud", "o1", ["auditor"])), entity, 200, None, check=True)


def test_a_batch_grows_every_chain_in_order_in_a_few_calls(aws, monkeypatch, dynamodb_calls):
    monkeypatch.setenv("TABLE_NAME", "audit")
    batch = [_event(n, ("box", f"b{n}"), ("shelf", "S1")) for n in range(100)]
    batch.insert(50, batch[10])  # delivered twice in one batch
    made = dynamodb_calls
    made.clear()  # what the batch costs, not the set-up
    assert _feed(batch) == {"batchItemFailures": []}
    batch_calls = list(made)
    shelf = _history("S1")
    assert [e["event"]["id"] for e in shelf["items"]] == [f"e{n}" for n in range(100)]
    assert shelf["verification"]["valid"] is True and shelf["verification"]["checked"] == 100
    assert [e["event"]["id"] for e in _history("b42")["items"]] == ["e42"]
    # 101 chains, 200 appends: a BatchGetItem per 100 receipts and per 100 heads, and a transaction per
    # ~45 appends (one by one it was a read and a transaction per append: 400 calls)
    assert batch_calls.count("BatchGetItem") == 4 and batch_calls.count("TransactWriteItems") <= 8

    made.clear()
    assert _feed(batch) == {"batchItemFailures": []}  # delivered again (after a timeout): nothing twice,
    assert _history("S1")["verification"]["checked"] == 100
    assert "TransactWriteItems" not in made  # and no transaction tried only to be refused on its receipts


def test_a_head_moved_by_another_batch_makes_its_chain_go_one_by_one(aws, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "audit")
    from audit import logic
    from audit.data import history

    real = history.heads

    def read_then_race(chains):
        found = real(chains)
        logic.record(_event(900, ("shelf", "S2")))  # another batch appends to S2 right after our read
        return found

    monkeypatch.setattr(history, "heads", read_then_race)
    assert _feed([_event(1, ("box", "b1"), ("shelf", "S2")), _event(2, ("box", "b2"), ("shelf", "S2"))]) == {
        "batchItemFailures": []}
    shelf = _history("S2")
    assert [e["event"]["id"] for e in shelf["items"]] == ["e900", "e1", "e2"]
    assert shelf["verification"]["valid"] is True
    assert [e["event"]["id"] for e in _history("b2")["items"]] == ["e2"]


def test_an_envelope_without_subjects_fails_alone(aws, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "audit")
    broken = {"id": "e-bad", "type": "X", "subjects": [{"id": "no-kind"}]}
    assert _feed([_event(1, ("box", "b7")), broken]) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert [e["event"]["id"] for e in _history("b7")["items"]] == ["e1"]
