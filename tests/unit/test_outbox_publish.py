"""The relay's publishing: partial failures and the function's clock (shared.outbox.publish)."""
from __future__ import annotations

from shared import outbox


class FakeBus:
    """Records PutEvents calls; refuses entries whose detail-type is listed."""

    def __init__(self, refuse: set[str] = frozenset()) -> None:
        self.calls: list[list[dict]] = []
        self.refuse = refuse

    def put_events(self, Entries):  # noqa: N803 — boto3's parameter name
        self.calls.append(Entries)
        results = [{"ErrorCode": "Refused"} if e["DetailType"] in self.refuse else {"EventId": "x"} for e in Entries]
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def batch(n: int) -> list[tuple[str, dict]]:
    return [(str(1000 + i), {"source": "records.test", "type": f"T{i}", "occurred_at": "2026-12-02T00:00:00Z"})
            for i in range(n)]


def test_every_envelope_is_published_in_chunks_of_ten_when_time_is_plenty():
    bus = FakeBus()

    failed = outbox.publish(bus, "bus", batch(25), time_left_ms=lambda: 60_000)

    assert failed == []
    assert [len(call) for call in bus.calls] == [10, 10, 5]


def test_entries_the_bus_refused_are_reported_by_sequence_number():
    bus = FakeBus(refuse={"T3", "T12"})

    assert outbox.publish(bus, "bus", batch(15)) == ["1003", "1012"]


def test_records_there_is_no_time_left_for_are_handed_back_not_attempted():
    bus = FakeBus()
    clock = iter([60_000, outbox.STOP_BEFORE_TIMEOUT_MS - 1])  # plenty before chunk 2, too little before chunk 3

    failed = outbox.publish(bus, "bus", batch(35), time_left_ms=lambda: next(clock))

    assert [len(call) for call in bus.calls] == [10, 10]
    assert failed == [str(1000 + i) for i in range(20, 35)]  # the stream resumes here: nothing is published twice


def test_the_first_chunk_is_always_attempted_so_every_invocation_makes_progress():
    bus = FakeBus()

    failed = outbox.publish(bus, "bus", batch(12), time_left_ms=lambda: 0)

    assert len(bus.calls) == 1 and failed == ["1010", "1011"]
