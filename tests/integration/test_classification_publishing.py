"""Publishing a large scheme: its events go out in chunks (a DynamoDB transaction holds at most
100 items), an interrupted publish leaves the version `publishing` — frozen, never `published`
with tasks missing — and publishing again finishes it without emitting any task twice; a sheet
of a thousand rows imports in one request, and one past the documented 5,000 is refused whole."""
from __future__ import annotations

from collections import Counter

from classification import logic
from classification.data import nodes as node_store
from shared.problems import ServiceUnavailable
from tests.integration.classification_world import (MANAGER, big_sheet,  # noqa: F401 (fixture)
                                                    classification)

V = "/classification/versions/{version}"


def test_an_interrupted_publish_resumes_and_emits_each_unit_task_once(classification, monkeypatch):
    # GIVEN a draft of 250 unit tasks (three chunks of events)
    classification.draft()
    status, draft, _ = classification.import_sheet(1, {"csv": big_sheet(1, 5, 50)})
    assert status == 200 and draft["unit_task_count"] == 250
    # WHEN publishing fails after the first chunk of events was staged
    staged = node_store.stage_chunk
    calls = []

    def flaky(org_id, set_id, chunk, events):
        calls.append(chunk)
        if len(calls) == 2:
            raise ServiceUnavailable("The classification store is busy; retry shortly.")
        return staged(org_id, set_id, chunk, events)

    monkeypatch.setattr(node_store, "stage_chunk", flaky)
    status, problem, _ = classification.publish(1, etag=draft["version"])
    assert status == 503, problem

    # THEN the version is frozen but not published: edits are refused, records has no SchemeVersionPublished
    frozen = classification.version(1)
    assert frozen["status"] == "publishing" and frozen["version"] == draft["version"]
    assert classification.call("POST", f"{V}/nodes", path={"version": "1"}, headers={"Idempotency-Key": "late"},
                               body={"level": "function", "code": "LATE", "title": "late"})[0] == 409
    assert classification.events("SchemeVersionPublished") == []
    assert len(classification.events("UnitTaskPublished")) == logic.PUBLISH_CHUNK
    assert classification.call("GET", "/classification/unit-tasks/{code}", path={"code": "F00-00-000"})[0] == 404

    # WHEN it is published again with the same If-Match
    monkeypatch.setattr(node_store, "stage_chunk", staged)
    status, published, _ = classification.publish(1, etag=draft["version"])

    # THEN it completes: every unit task's event exactly once, then SchemeVersionPublished naming their count
    assert status == 200 and published["status"] == "published", published
    counts = Counter(e["payload"]["code"] for e in classification.events("UnitTaskPublished"))
    assert len(counts) == 250 and set(counts.values()) == {1}
    [done] = classification.events("SchemeVersionPublished")
    assert done["payload"]["unit_task_count"] == 250
    assert all(len(e["subjects"]) == 1 for e in classification.events("UnitTaskPublished"))
    assert classification.ok("GET", "/classification/unit-tasks/{code}", path={"code": "F00-04-049"},
                             who=MANAGER)["scheme_version"] == 1


def test_a_large_sheet_imports_in_one_request_and_one_past_the_limit_is_refused_whole(classification):
    classification.draft()
    text = big_sheet(4, 5, 50)  # 4 functions, 20 sub-functions, 1,000 unit tasks: 1,024 rows (batch writes)
    status, draft, _ = classification.import_sheet(1, {"csv": text})
    assert status == 200 and draft["node_count"] == 1024 and draft["unit_task_count"] == 1000
    status, exported, _ = classification.call("GET", f"{V}/export", path={"version": "1"}, query={"format": "csv"})
    assert status == 200 and exported == text
    # the documented limit is 5,000 rows: one more and the sheet is refused whole, before anything is written
    over = big_sheet(10, 10, 48) + "".join(f"unit_task,X-{i},F00-00,x,,,,1y,,open,,\r\n" for i in range(91))
    status, problem, _ = classification.import_sheet(1, {"csv": over})
    assert status == 422 and problem["errors"] == [{"field": "rows", "message": "at most 5000 rows per sheet"}]
    assert classification.version(1) == draft
