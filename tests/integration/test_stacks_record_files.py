"""Boxes name the record files they hold: stacks knows files from records' events only.

GIVEN records' FileCreated / FileStatusChanged events delivered to stacks' queue consumer
(late, twice, out of order)
WHEN a stack manager registers or describes a box with `files`
THEN only files of the caller's organisation that stacks has heard of are accepted (422 naming
each unknown one, nothing written), and the box's events carry the files.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.integration.stacks_world import MANAGER, ORG, OTHER_MANAGER, OTHER_ORG
from tests.support.events import FakeLambdaContext


def file_event(type_: str, file_id: str, *, org_id: str = ORG, title: str = "Budget 2025", status: str = "open",
               previous: str | None = None, at: str = "2026-03-01T00:00:00.000Z",
               event_id: str | None = None) -> dict[str, Any]:
    """An envelope as records publishes it (contracts: source records.records)."""
    payload = ({"file_id": file_id, "title": title, "producing_unit": "Finance", "class_code": "A1-01",
                "scheme_version": 1, "status": status, "electronic": False, "record_type": "general_document"}
               if type_ == "FileCreated" else {"file_id": file_id, "status": status, "previous": previous})
    return {"id": event_id or str(uuid.uuid4()), "type": type_, "source": "records.records", "schema_version": 1,
            "subjects": [{"kind": "record_file", "id": file_id, "org_id": org_id}], "payload": payload,
            "actor": {"user_id": "u-records", "org_id": org_id}, "correlation_id": None, "occurred_at": at}


def feed(envelopes: list[dict[str, Any]]) -> dict[str, Any]:
    """What Lambda receives from StacksQueue (EventBridge events, the envelope as detail), to the real consumer."""
    from stacks.consumer import handler
    records = [{"messageId": f"m-{i}", "receiptHandle": f"r-{i}", "md5OfBody": "x", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:stacks", "awsRegion": "us-east-1",
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                "body": json.dumps({"version": "0", "id": e["id"], "detail-type": e["type"], "source": e["source"],
                                    "account": "123456789012", "time": e["occurred_at"], "region": "us-east-1",
                                    "resources": [], "detail": e})} for i, e in enumerate(envelopes)]
    return handler({"Records": records}, FakeLambdaContext())


def file_items(stacks) -> dict[str, dict]:
    return {i["pk"]["S"]: i for i in stacks.items() if i["sk"]["S"] == "FILE"}


@pytest.fixture
def profile(stacks) -> dict:
    return stacks.box_profile()


def test_the_consumer_applies_each_event_once_and_keeps_the_newest_status(stacks):
    created = file_event("FileCreated", "file-1", at="2026-03-01T00:00:00.000Z")
    closed = file_event("FileStatusChanged", "file-1", status="closed", previous="open", at="2026-03-05T00:00:00.000Z")
    # the status change first, then the creation, then both again (redeliveries)
    assert feed([closed]) == {"batchItemFailures": []}
    assert feed([created, closed, created]) == {"batchItemFailures": []}
    items = file_items(stacks)
    assert list(items) == [f"ORG#{ORG}#FILE#file-1"]
    item = items[f"ORG#{ORG}#FILE#file-1"]
    assert item["title"]["S"] == "Budget 2025" and item["status"]["S"] == "closed"
    assert int(item["version"]["N"]) == 2  # two events applied, the duplicates changed nothing
    receipts = [i for i in stacks.items() if i["pk"]["S"].startswith("EVENT#")]
    assert sorted(i["pk"]["S"] for i in receipts) == sorted(f"EVENT#{e['id']}" for e in (created, closed))
    assert all(int(i["expiration"]["N"]) > 0 for i in receipts)

    # a redelivery of the same event id (even with another body) changes nothing
    again = file_event("FileStatusChanged", "file-1", status="open", at="2026-03-09T00:00:00.000Z",
                       event_id=closed["id"])
    feed([again])
    assert file_items(stacks)[f"ORG#{ORG}#FILE#file-1"]["status"]["S"] == "closed"


def test_events_of_others_and_malformed_ones_are_ignored(stacks):
    foreign = {**file_event("FileCreated", "file-x"), "source": "records.elsewhere"}
    no_subject = {**file_event("FileCreated", "file-y"), "subjects": []}
    other_type = {**file_event("FileCreated", "file-z"), "type": "ItemAdded"}
    assert feed([foreign, no_subject, other_type]) == {"batchItemFailures": []}
    assert file_items(stacks) == {}


def test_a_box_is_registered_with_known_files_and_shows_their_titles(stacks, profile):
    feed([file_event("FileCreated", "file-1", title="Budget 2025"),
          file_event("FileCreated", "file-2", title="Audit 2025")])
    box = stacks.box("BX-F1", profile["id"], files=["file-2", "file-1"], contents=["loose minutes, 1998"])
    assert box["files"] == ["file-2", "file-1"] and box["contents"] == ["loose minutes, 1998"]
    assert box["record_files"] == [{"id": "file-2", "title": "Audit 2025", "status": "open"},
                                   {"id": "file-1", "title": "Budget 2025", "status": "open"}]
    assert stacks.get_box(box["id"])["record_files"][0]["title"] == "Audit 2025"
    registered = stacks.events("BoxRegistered")[-1]
    assert registered["payload"]["files"] == ["file-2", "file-1"]

    status, updated, _ = stacks.call("PATCH", "/boxes/{box_id}", path={"box_id": box["id"]},
                                     body={"files": ["file-1"]}, headers={"If-Match": '"1"'})
    assert status == 200, updated
    assert updated["files"] == ["file-1"] and [f["title"] for f in updated["record_files"]] == ["Budget 2025"]
    event = stacks.events("BoxUpdated")[-1]
    assert event["payload"]["files"] == ["file-1"] and event["payload"]["box"]["files"] == ["file-1"]
    assert event["payload"]["changes"]["files"] == ["file-1"]


def test_unknown_and_other_organisations_files_are_refused_naming_each_and_nothing_is_written(stacks, profile):
    feed([file_event("FileCreated", "file-1"),
          file_event("FileCreated", "file-beta", org_id=OTHER_ORG),
          file_event("FileStatusChanged", "file-unborn", status="closed")])  # no FileCreated yet: not known
    before = stacks.snapshot()
    status, problem, _ = stacks.call("POST", "/boxes", body={
        "barcode": "BX-F2", "container_profile_id": profile["id"], "producing_unit": "Finance",
        "record_form": "document", "files": ["file-1", "file-beta", "file-1x", "file-unborn"]})
    assert status == 422, problem
    assert problem["type"].endswith("/unknown-record-file")
    assert [e["field"] for e in problem["errors"]] == ["files[1]", "files[2]", "files[3]"]
    assert stacks.snapshot() == before

    # the other organisation knows its own file, not ours
    other_profile = stacks.box_profile(who=OTHER_MANAGER)
    status, problem, _ = stacks.call("POST", "/boxes", who=OTHER_MANAGER, body={
        "barcode": "BX-B1", "container_profile_id": other_profile["id"], "producing_unit": "Beta",
        "record_form": "document", "files": ["file-beta", "file-1"]})
    assert status == 422 and [e["field"] for e in problem["errors"]] == ["files[1]"], problem

    box = stacks.box("BX-F3", profile["id"], files=["file-1"])
    before = stacks.snapshot()
    status, problem, _ = stacks.call("PATCH", "/boxes/{box_id}", path={"box_id": box["id"]},
                                     body={"files": ["file-1", "file-beta"]}, headers={"If-Match": '"1"'})
    assert status == 422 and [e["field"] for e in problem["errors"]] == ["files[1]"], problem
    assert stacks.snapshot() == before
    assert stacks.get_box(box["id"])["files"] == ["file-1"]


def test_a_file_listed_twice_is_bad_input(stacks, profile):
    feed([file_event("FileCreated", "file-1")])
    status, problem, _ = stacks.call("POST", "/boxes", body={
        "barcode": "BX-F4", "container_profile_id": profile["id"], "producing_unit": "Finance",
        "record_form": "document", "files": ["file-1", "file-1"]})
    assert status == 400, problem


def test_boxes_without_files_keep_their_shape(stacks, profile):
    box = stacks.box("BX-F5", profile["id"])
    assert box["files"] == [] and box["record_files"] == []
    assert stacks.events("BoxRegistered")[-1]["payload"]["files"] == []
