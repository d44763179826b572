"""The change feed through the real partners consumer and route against moto: every capability's
events (later ones too) kept per organisation in order, once; read by cursor, filtered by the
client's event types; another organisation's feed and cursors unreachable; a long poll that
sleeps between looks and answers as soon as an event arrives."""
from __future__ import annotations

import threading
import uuid

import pytest

from tests.integration.inventory_world import sqs_event
from tests.integration.partners_world import ORG, OTHER_ORG, partners  # noqa: F401 - the fixture
from tests.support.events import FakeLambdaContext, partner

FEED = "/partners/feed"


def envelope(source: str, type_: str, org_id: str, n: int) -> dict:
    return {"id": str(uuid.uuid4()), "type": type_, "source": source, "schema_version": 1,
            "subjects": [{"kind": "thing", "id": f"t-{n}", "org_id": org_id}], "payload": {"n": n},
            "actor": {"user_id": "u-1", "org_id": org_id}, "correlation_id": f"c-{n}",
            "occurred_at": f"2026-03-01T09:00:{n:02d}.000Z"}


def deliver(envelopes: list[dict]) -> dict:
    from partners.consumer import handler
    return handler(sqs_event(envelopes), FakeLambdaContext())


def read(partners, who, **query):
    return partners.call("GET", FEED, who=None, as_partner=who, query={k: str(v) for k, v in query.items()})


READER = partner("feed-reader", ORG, ["feed:read"], ["stacks.*", "disposal.DisposalDecided"])


@pytest.fixture
def events(partners):
    sent = [envelope("records.stacks", "BoxPlaced", ORG, 1),
            envelope("records.inventory", "ScanSessionOpened", ORG, 2),  # not in the reader's event types
            envelope("records.stacks", "BoxMoved", OTHER_ORG, 3),  # another organisation's
            envelope("records.disposal", "DisposalDecided", ORG, 4),  # a capability added later
            envelope("records.stacks", "BoxRemoved", ORG, 5)]
    assert deliver(sent) == {"batchItemFailures": []}
    assert deliver([sent[0], sent[3]]) == {"batchItemFailures": []}  # redelivered: nothing twice
    return sent


def test_the_feed_lists_the_organisations_events_the_client_may_see_in_order_once(partners, events):
    status, page, headers = read(partners, READER)
    assert status == 200, page
    assert [e["id"] for e in page["items"]] == [events[0]["id"], events[3]["id"], events[4]["id"]]
    assert page["items"][0]["type"] == "BoxPlaced" and page["items"][0]["payload"] == {"n": 1}
    assert headers["ratelimit"]
    other = read(partners, partner("other-reader", OTHER_ORG, ["feed:read"], ["*"]))[1]
    assert [e["id"] for e in other["items"]] == [events[2]["id"]]


def test_a_cursor_resumes_after_each_event_and_stays_in_its_organisation(partners, events):
    first = read(partners, READER, limit=1)[1]
    assert [e["id"] for e in first["items"]] == [events[0]["id"]]
    second = read(partners, READER, limit=1, after=first["next_cursor"])[1]
    assert [e["id"] for e in second["items"]] == [events[3]["id"]]  # the inventory event skipped
    rest = read(partners, READER, after=first["items"][0]["cursor"])[1]
    assert [e["id"] for e in rest["items"]] == [events[3]["id"], events[4]["id"]]
    end = read(partners, READER, after=rest["next_cursor"])[1]
    assert end["items"] == [] and end["next_cursor"] == rest["next_cursor"]  # nothing new: the same place

    deliver([envelope("records.stacks", "BoxPlaced", ORG, 6)])
    assert len(read(partners, READER, after=end["next_cursor"])[1]["items"]) == 1

    other = partner("other-reader", OTHER_ORG, ["feed:read"], ["*"])
    refused = read(partners, other, after=first["next_cursor"])
    assert refused[0] == 400 and refused[1]["type"].endswith("/invalid-cursor")
    assert read(partners, READER, after="bm9wZQ")[0] == 400


def test_the_feed_needs_the_feed_scope(partners, events):
    assert read(partners, partner("scanner", ORG, ["scans:write"], ["*"]))[0] == 403
    assert partners.call("GET", FEED, who=None)[0] == 401


def test_a_long_poll_answers_when_an_event_arrives_without_spinning(partners, events, monkeypatch):
    from partners.logic import feed
    start = read(partners, READER)[1]["next_cursor"]
    waiting, arrived = threading.Event(), threading.Event()
    pauses = []

    def pause(seconds):  # stands in for time.sleep: the reader is parked until the test delivers
        pauses.append(seconds)
        waiting.set()
        assert arrived.wait(10)
    monkeypatch.setattr(feed, "SLEEP", pause)
    answer = {}
    reader = threading.Thread(target=lambda: answer.update(page=read(partners, READER, after=start, wait=20)[1]))
    reader.start()
    assert waiting.wait(10)
    later = envelope("records.stacks", "BoxPlaced", ORG, 7)
    deliver([later])
    arrived.set()
    reader.join(10)
    assert [e["id"] for e in answer["page"]["items"]] == [later["id"]]
    assert len(pauses) == 1  # it looked once after its pause, and found the event


def test_a_long_poll_with_nothing_new_sleeps_between_looks_and_answers_empty(partners, events, monkeypatch):
    from partners.data import feed as store
    from partners.logic import feed
    now = [1000.0]
    pauses, looks = [], []
    monkeypatch.setattr(feed, "CLOCK", lambda: now[0])
    monkeypatch.setattr(feed, "SLEEP", lambda s: (pauses.append(s), now.__setitem__(0, now[0] + s)))
    original = store.head
    monkeypatch.setattr(store, "head", lambda org: looks.append(org) or original(org))
    start = read(partners, READER)[1]["next_cursor"]
    page = read(partners, READER, after=start, wait=20)[1]
    assert page == {"items": [], "next_cursor": start}
    assert sum(pauses) == pytest.approx(20) and len(looks) == len(pauses) <= 25  # about one look a second


def test_concurrent_consumers_append_a_gapless_feed_with_each_event_once(partners):
    from concurrent.futures import ThreadPoolExecutor
    batches = [[envelope("records.stacks", "BoxPlaced", ORG, 10 + b * 5 + i) for i in range(5)] for b in range(6)]
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(deliver, batches + batches[:2]))  # two batches delivered twice, at the same time
    items = read(partners, partner("r", ORG, ["feed:read"], ["*"]), limit=100)[1]["items"]
    assert sorted(e["id"] for e in items) == sorted(e["id"] for batch in batches for e in batch)
    from partners.data import feed as store
    assert store.head(ORG) == 30  # numbered 1..30: no gap, nothing twice


def test_a_batch_is_appended_in_order_a_transaction_per_organisation_and_a_bad_envelope_fails_alone(
        partners, dynamodb_calls):
    batch = [envelope("records.stacks", "BoxPlaced", ORG if n % 4 else OTHER_ORG, n) for n in range(80)]
    batch.insert(40, {**envelope("records.stacks", "BoxPlaced", ORG, 99), "source": ""})  # not an envelope
    made = dynamodb_calls
    made.clear()  # what the batch costs, not the set-up
    assert deliver(batch) == {"batchItemFailures": [{"itemIdentifier": "m-40"}]}
    feed_writes = made.count("TransactWriteItems")
    items = read(partners, partner("r", ORG, ["feed:read"], ["*"]), limit=100)[1]["items"]
    assert [e["id"] for e in items] == [e["id"] for e in batch if e.get("source") and e["subjects"][0]["org_id"] == ORG]
    # 60 events of one organisation and 20 of another: a BatchGetItem of their claims, one of both heads
    # and a transaction per 45 events of an organisation (one by one: a read and a transaction per event)
    assert made.count("BatchGetItem") == 2 and feed_writes == 3
    made.clear()
    assert deliver(batch) == {"batchItemFailures": [{"itemIdentifier": "m-40"}]}  # again, after a timeout
    assert "TransactWriteItems" not in made  # every claim found first: no transaction refused on them
