"""Inventory's consumer applies a batch of stacks' box events at once, and still exactly.

GIVEN a batch of box events as the queue delivers them (registrations and placements of many
boxes, shuffled, some delivered twice, older versions after newer ones, a relabelled box, a box
the model already knows in a newer version)
WHEN the consumer handles the batch
THEN the read model holds each box's newest version (labels and ranges too), nothing older
overwrites anything newer, no message fails, and the batch costs a few reads and transactions,
not a read and a transaction per event.
"""
from __future__ import annotations

import random

from tests.integration.inventory_world import ORG, box_event, inventory  # noqa: F401 — the fixture

BOXES = 60


def _shelf(n: int) -> str:
    return f"R01-{n % 3 + 1:02d}-01-{n % 5 + 1}"


def test_a_batch_holds_each_boxs_newest_version_in_a_few_calls(inventory, dynamodb_calls):  # noqa: F811
    from inventory.data import campaigns as store

    # GIVEN registrations and placements of 60 boxes, shuffled, a fifth of them delivered twice
    events = []
    for n in range(BOXES):
        events.append(box_event("BoxRegistered", f"box-{n}", f"BC-{n}", 1, home=None, status="unplaced"))
        events.append(box_event("BoxPlaced", f"box-{n}", f"BC-{n}", 2, home=_shelf(n)))
    random.Random(13).shuffle(events)
    events += events[::5]
    # WHEN the consumer handles them as one batch
    assert inventory.feed(events) == {"batchItemFailures": []}
    batch_calls = list(dynamodb_calls)
    # THEN every box is on its shelf, at version 2, listed by its range and found by its label
    for n in range(BOXES):
        holding = store.get_holding(ORG, f"box-{n}")
        assert (holding.version, holding.home_id, holding.status) == (2, _shelf(n), "shelved")
    assert len(store.boxes_by_barcode(ORG, [f"BC-{n}" for n in range(BOXES)])) == BOXES
    assert store.ranges_of(ORG, "R01") == ["R01-01", "R01-02", "R01-03"]
    page, _ = store.holdings_page(ORG, "R01-02", None, 100)
    assert sorted(h.box_id for h in page) == sorted(f"box-{n}" for n in range(BOXES) if n % 3 == 1)
    # AND the batch of 144 events cost one read of the stored holdings and a transaction per 25 boxes
    # (one event at a time it was a read and a transaction per event: 288 calls)
    assert sorted(batch_calls) == ["BatchGetItem"] + ["TransactWriteItems"] * 3


def test_redelivered_and_out_of_order_events_never_take_a_box_back(inventory):  # noqa: F811
    from inventory.data import campaigns as store

    # GIVEN box-a known at version 3 (moved to R01-02) and box-b at version 2
    assert inventory.feed([box_event("BoxMoved", "box-a", "BC-A", 3, home="R01-02-01-1"),
                           box_event("BoxPlaced", "box-b", "BC-B", 2, home="R01-01-01-1")]) == {"batchItemFailures": []}
    # WHEN a batch redelivers box-a's older events, relabels box-b (version 4) before its version 3
    # arrives, and registers box-c twice
    late = [box_event("BoxPlaced", "box-a", "BC-A", 2, home="R01-01-01-1"),
            box_event("BoxRegistered", "box-a", "BC-A", 1, home=None, status="unplaced"),
            box_event("BoxUpdated", "box-b", "BC-B2", 4, home="R01-01-01-2"),
            box_event("BoxMoved", "box-b", "BC-B", 3, home="R01-01-01-3"),
            box_event("BoxRegistered", "box-c", "BC-C", 1, home=None, status="unplaced")]
    late.append(late[-1])
    assert inventory.feed(late) == {"batchItemFailures": []}
    # THEN box-a stays where version 3 put it; box-b has version 4 and only its new label; box-c is known once
    a, b, c = (store.get_holding(ORG, box) for box in ("box-a", "box-b", "box-c"))
    assert (a.version, a.home_id) == (3, "R01-02-01-1")
    assert (b.version, b.home_id, b.barcode) == (4, "R01-01-01-2", "BC-B2")
    assert set(store.boxes_by_barcode(ORG, ["BC-A", "BC-B", "BC-B2", "BC-C"])) == {"BC-A", "BC-B2", "BC-C"}
    assert (c.version, c.home_id) == (1, None)
    # AND the same batch delivered again changes nothing
    before = inventory.snapshot()
    assert inventory.feed(late) == {"batchItemFailures": []}
    assert inventory.snapshot() == before


def test_a_newer_version_written_meanwhile_makes_the_batch_redo_box_by_box(inventory, monkeypatch):  # noqa: F811
    """Two batches of one queue run at once: the other one may write a box between this batch's read
    and its transaction. The transaction is refused; each box is then applied on its own."""
    from inventory.data import campaigns as store

    real = store._consistent_batch

    def read_then_race(model, keys, convert):
        found = real(model, keys, convert)
        if model is store.HoldingItem:  # the other batch writes box-r at version 5 right after our read
            store.apply_holding(store.Holding(org_id=ORG, box_id="box-r", barcode="BC-R", status="shelved",
                                              home_id="R01-03-01-1", version=5))
        return found

    monkeypatch.setattr(store, "_consistent_batch", read_then_race)
    batch = [box_event("BoxPlaced", "box-r", "BC-R", 2, home="R01-01-01-1"),
             box_event("BoxPlaced", "box-s", "BC-S", 2, home="R01-01-01-1")]
    assert inventory.feed(batch) == {"batchItemFailures": []}
    assert store.get_holding(ORG, "box-r").version == 5 and store.get_holding(ORG, "box-r").home_id == "R01-03-01-1"
    assert store.get_holding(ORG, "box-s").home_id == "R01-01-01-1"


def test_a_box_that_cannot_be_applied_fails_only_its_own_messages(inventory, monkeypatch):  # noqa: F811
    from inventory.data import campaigns as store
    from shared.problems import ServiceUnavailable

    real = store.apply_holding

    def busy_for_box_t(h):
        if h.box_id == "box-t":
            raise ServiceUnavailable("The inventory store is busy; retry shortly.")
        return real(h)

    real_tx_run = store.Tx.run

    monkeypatch.setattr(store, "apply_holding", busy_for_box_t)
    def refuse_groups(tx):  # a transaction of more than one box is refused (a busy table)
        if tx.size > 3:
            raise ServiceUnavailable("The inventory store is busy; retry shortly.")
        return real_tx_run(tx)

    monkeypatch.setattr(store.Tx, "run", refuse_groups)
    batch = [box_event("BoxPlaced", "box-t", "BC-T", 2, home="R01-01-01-1"),
             box_event("BoxPlaced", "box-u", "BC-U", 2, home="R01-01-01-1"),
             box_event("BoxRegistered", "box-t", "BC-T", 1, home=None, status="unplaced")]
    # WHEN the two boxes' transaction is refused and box-t stays unavailable on its own
    # THEN box-u is written alone, and only box-t's two messages come again
    assert inventory.feed(batch) == {"batchItemFailures": [{"itemIdentifier": "m-0"}, {"itemIdentifier": "m-2"}]}
    assert store.get_holding(ORG, "box-u").home_id == "R01-01-01-1"
    assert store.get_holding(ORG, "box-t") is None
