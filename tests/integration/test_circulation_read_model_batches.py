"""Circulation's consumer applies a batch of stacks' box events at once, and still exactly.

GIVEN a batch of box events as the queue delivers them (registrations and placements of many boxes,
shuffled, some delivered twice, older versions after newer ones, a box the model knows in a newer
version)
WHEN the consumer handles the batch
THEN the read model holds each box's newest facts, nothing older overwrites anything newer, no
message fails, and the batch costs a read and a transaction per hundred boxes, not a write per event;
a group the table refuses is redone box by box, and a box that cannot be written fails only its own
messages.
"""
from __future__ import annotations

import random

from tests.integration.circulation_world import circulation  # noqa: F401 — the fixture
from tests.integration.inventory_world import ORG, box_event, sqs_event

BOXES = 60


def _feed(envelopes: list[dict]) -> dict:
    from circulation.consumer import handler
    from tests.support.events import FakeLambdaContext

    return handler(sqs_event(envelopes), FakeLambdaContext())


def _facts(box_id: str):
    from circulation.data import loans as store

    return store.get_box_facts(ORG, box_id)


def test_a_batch_keeps_each_boxs_newest_facts_in_two_calls(circulation, dynamodb_calls):  # noqa: F811
    events = []
    for n in range(BOXES):
        events.append(box_event("BoxRegistered", f"box-{n}", f"BC-{n}", 1, home=None, status="unplaced"))
        events.append(box_event("BoxPlaced", f"box-{n}", f"BC-{n}", 2, home=f"R01-01-01-{n % 5 + 1}"))
    random.Random(7).shuffle(events)
    events = (events + events[::5])[:100]  # the template's BatchSize
    assert _feed(events) == {"batchItemFailures": []}
    batch_calls = list(dynamodb_calls)
    newest = {}
    for e in events:
        box = e["payload"].get("box") or e["payload"]
        newest[box["id"]] = max(newest.get(box["id"], 0), box["version"])
    for box_id, version in newest.items():
        facts = _facts(box_id)
        assert facts.version == version
        assert facts.status == ("shelved" if version == 2 else "unplaced")
    # one read of what is stored and one transaction for every box (one event at a time: 100 writes)
    assert sorted(batch_calls) == ["BatchGetItem", "TransactWriteItems"]


def test_redelivered_and_late_events_never_take_a_box_back(circulation):  # noqa: F811
    assert _feed([box_event("BoxMoved", "box-a", "BC-A", 3, home="R01-02-01-1")]) == {"batchItemFailures": []}
    late = [box_event("BoxPlaced", "box-a", "BC-A", 2, home="R01-01-01-1"),
            box_event("BoxRegistered", "box-a", "BC-A", 1, home=None, status="unplaced"),
            box_event("BoxRegistered", "box-c", "BC-C", 1, home=None, status="unplaced")]
    late.append(late[-1])
    assert _feed(late) == {"batchItemFailures": []}
    assert (_facts("box-a").version, _facts("box-a").home_location_id) == (3, "R01-02-01-1")
    assert _facts("box-c").version == 1
    before = circulation.snapshot()
    assert _feed(late) == {"batchItemFailures": []}
    assert circulation.snapshot() == before


def test_a_newer_version_written_meanwhile_makes_the_batch_redo_box_by_box(circulation, monkeypatch):  # noqa: F811
    """Two batches of one queue run at once: the other writes box-r at version 5 between this batch's
    read and its transaction. The transaction is refused; each box is then applied on its own."""
    from circulation.data import loans as store
    from circulation.domain.model import BoxFacts

    real = store.write_in_groups

    def race_then_write(entries, tx, redo, **kwargs):
        store.apply_box_facts(BoxFacts(org_id=ORG, box_id="box-r", status="shelved", home_location_id="R01-03-01-1",
                                       version=5, occurred_at="2026-01-01T00:00:00.000Z"))
        return real(entries, tx, redo, **kwargs)

    monkeypatch.setattr(store, "write_in_groups", race_then_write)
    assert _feed([box_event("BoxPlaced", "box-r", "BC-R", 2, home="R01-01-01-1"),
                  box_event("BoxPlaced", "box-s", "BC-S", 2, home="R01-01-01-1")]) == {"batchItemFailures": []}
    assert (_facts("box-r").version, _facts("box-r").home_location_id) == (5, "R01-03-01-1")
    assert _facts("box-s").home_location_id == "R01-01-01-1"


def test_a_box_that_cannot_be_written_fails_only_its_own_messages(circulation, monkeypatch):  # noqa: F811
    from circulation.data import loans as store
    from shared.problems import ServiceUnavailable

    real_single, real_run = store.apply_box_facts, store.Tx.run

    def busy_for_box_t(facts):
        if facts.box_id == "box-t":
            raise ServiceUnavailable("The circulation store is unavailable; retry shortly.")
        return real_single(facts)

    def refuse_groups(tx):  # a transaction of more than one box is refused (a busy table)
        if tx.size > 1:
            raise ServiceUnavailable("The circulation store is busy; retry shortly.")
        return real_run(tx)

    monkeypatch.setattr(store, "apply_box_facts", busy_for_box_t)
    monkeypatch.setattr(store.Tx, "run", refuse_groups)
    batch = [box_event("BoxPlaced", "box-t", "BC-T", 2, home="R01-01-01-1"),
             box_event("BoxPlaced", "box-u", "BC-U", 2, home="R01-01-01-1"),
             box_event("BoxRegistered", "box-t", "BC-T", 1, home=None, status="unplaced")]
    assert _feed(batch) == {"batchItemFailures": [{"itemIdentifier": "m-0"}, {"itemIdentifier": "m-2"}]}
    assert _facts("box-u").home_location_id == "R01-01-01-1"
    assert _facts("box-t") is None
