"""Records' consumer against moto: classification's scheme events (idempotent by event id, a version usable
once complete) and stacks' box events (where a file's boxes are), through the real SQS handler."""
from __future__ import annotations

from tests.integration.records_world import REQUESTER, envelope, rule, scheme_events


def test_a_redelivered_event_changes_nothing(records):
    events = scheme_events(1, {"FIN-01": rule("5y")})
    assert records.feed(events) == {"batchItemFailures": []}
    after_first = records.snapshot()
    # the same envelopes again (SQS at-least-once, a dead-letter redrive) and a republished task under a new id
    again = dict(events[0], id="another-event-id")
    assert records.feed(events + [again]) == {"batchItemFailures": []}
    assert [k for k in records.snapshot() if k not in after_first] == [("RECEIPT#another-event-id", "EVENT")]
    version = next(i for i in records.items() if i["sk"]["S"] == "VERSION")
    assert (version["expected"]["N"], version["received"]["N"], version["usable"]["N"]) == ("1", "1", "1")
    assert records.file("FIN-01")["scheme_version"] == 1


def test_events_of_other_sources_or_shapes_are_ignored(records):
    bogus = [envelope("records.inventory", "UnitTaskPublished", {}, []),
             envelope("records.classification", "UnitTaskPublished", {"scheme_version": 1}, []),
             envelope("records.stacks", "BoxPlaced", {"box": {"id": "b"}}, [])]
    assert records.feed(bogus) == {"batchItemFailures": []}
    assert records.snapshot() == []


def box_event(type_: str, version: int, *, files=None, location=None, org_id="org-alpha") -> dict:
    box = {"id": "box-1", "barcode": "FIN-2026-01", "status": "shelved" if location else "unplaced",
           "version": version, "home_location_id": location,
           "current_location": {"kind": "shelf", "id": location} if location else None}
    payload = dict(box) if type_ == "BoxRegistered" else {"box": box}
    if files is not None:
        payload["files"] = files
    return envelope("records.stacks", type_, payload, [{"kind": "box", "id": "box-1", "org_id": org_id}])


def test_a_file_shows_where_its_boxes_are(records):
    records.scheme(1)
    first, second = records.file("FIN-01", key="a"), records.file("FIN-01", key="b")
    # GIVEN the box is registered holding both files, then placed (events out of order, one twice)
    registered = box_event("BoxRegistered", 1, files=[first["id"], second["id"]])
    placed = box_event("BoxPlaced", 2, location="R01-01-01-1")
    assert records.feed([placed, registered, placed]) == {"batchItemFailures": []}
    boxes = records.get(first["id"], who=REQUESTER)["boxes"]
    assert boxes == [{"box_id": "box-1", "barcode": "FIN-2026-01", "status": "shelved",
                      "location": {"kind": "shelf", "id": "R01-01-01-1"}}]
    # WHEN the box is updated to hold only the second file and moved
    assert records.feed([box_event("BoxUpdated", 3, files=[second["id"]], location="R01-01-01-1"),
                         box_event("BoxMoved", 4, location="R01-01-02-1")]) == {"batchItemFailures": []}
    # THEN the first file is in no box, the second is in the box's new place
    assert records.get(first["id"])["boxes"] == []
    assert records.get(second["id"])["boxes"][0]["location"] == {"kind": "shelf", "id": "R01-01-02-1"}
    described = records.ok("GET", "/records/files/{file_id}/description", path={"file_id": second["id"]})
    assert described["boxes"][0]["box_id"] == "box-1"


def disposition_event(type_: str, version: int, files: list[str], status: str, **more) -> dict:
    """Stacks' disposition events as stacks publishes them: the box after (files left in it) under `box`."""
    box = {"id": "box-1", "barcode": "FIN-2026-01", "status": status, "version": version, "home_location_id": None,
           "current_location": None, "files": files}
    return envelope("records.stacks", type_, {"box_id": "box-1", "box": box, **more},
                    [{"kind": "box", "id": "box-1", "org_id": "org-alpha"}])


def test_destroyed_files_leave_the_box_and_a_transferred_box_shows_its_status(records):
    records.scheme(1)
    first, second = records.file("FIN-01", key="a"), records.file("FIN-01", key="b")
    assert records.feed([box_event("BoxRegistered", 1, files=[first["id"], second["id"]]),
                         box_event("BoxPlaced", 2, location="R01-01-01-1")]) == {"batchItemFailures": []}
    # WHEN a destruction run destroys the first file (the box keeps the second, on its shelf)
    left = disposition_event("BoxContentsDestroyed", 3, [second["id"]], "shelved", run_id="run-1",
                             file_ids=[first["id"]])
    left["payload"]["box"] |= {"home_location_id": "R01-01-01-1",
                               "current_location": {"kind": "shelf", "id": "R01-01-01-1"}}
    assert records.feed([left]) == {"batchItemFailures": []}
    assert records.get(first["id"])["boxes"] == []
    assert records.get(second["id"])["boxes"][0]["status"] == "shelved"
    # THEN the box is transferred (records shows its status, no place), then destroyed with its last file
    assert records.feed([disposition_event("BoxTransferred", 4, [second["id"]], "transferred",
                                           transfer_id="tr-1")]) == {"batchItemFailures": []}
    assert records.get(second["id"])["boxes"] == [{"box_id": "box-1", "barcode": "FIN-2026-01",
                                                   "status": "transferred", "location": None}]
    gone = [disposition_event("BoxContentsDestroyed", 5, [], "destroyed", run_id="run-2", file_ids=[second["id"]]),
            disposition_event("BoxDestroyed", 5, [], "destroyed", run_id="run-2", location_id=None)]
    assert records.feed(gone + gone[:1]) == {"batchItemFailures": []}  # one delivered twice
    assert records.get(second["id"])["boxes"] == []
    # an older event arriving late changes nothing
    assert records.feed([left]) == {"batchItemFailures": []}
    assert records.get(first["id"])["boxes"] == [] and records.get(second["id"])["boxes"] == []


def test_a_batch_of_many_boxes_costs_a_read_and_a_few_transactions(records, dynamodb_calls):
    """Registrations and placements of 40 boxes, shuffled, in one batch of 80: every file shows its box
    where it was placed, for one BatchGetItem and a transaction per few boxes (not a read and a
    transaction per event: 160 calls)."""
    import random

    records.scheme(1)
    files = [records.file("FIN-01", key=f"f{n}") for n in range(40)]
    events = []
    for n, file in enumerate(files):
        for event in (box_event("BoxRegistered", 1, files=[file["id"]]),
                      box_event("BoxPlaced", 2, location=f"R01-01-01-{n % 4 + 1}")):
            event["subjects"][0]["id"] = (event["payload"].get("box") or event["payload"])["id"] = f"box-{n}"
            events.append(event)
    random.Random(3).shuffle(events)
    made = dynamodb_calls
    made.clear()  # what the batch costs, not the set-up
    assert records.feed(events) == {"batchItemFailures": []}
    batch_calls = list(made)
    assert sorted(set(batch_calls)) == ["BatchGetItem", "TransactWriteItems"] and len(batch_calls) <= 3
    for n, file in enumerate(files):
        [box] = records.get(file["id"])["boxes"]
        assert (box["box_id"], box["location"]) == (f"box-{n}", {"kind": "shelf", "id": f"R01-01-01-{n % 4 + 1}"})


def test_a_box_changed_between_the_batch_s_read_and_its_write_is_merged_again(records, monkeypatch):
    """Two batches of one queue run at once: the other moves the box after this batch read it. This
    batch's transaction is refused and its events are merged again onto the box as it now is."""
    from records.data import boxes as store

    records.scheme(1)
    file = records.file("FIN-01", key="a")
    real = store.write_in_groups

    def race_then_write(entries, tx, redo, **kwargs):
        store.apply_box(store.Box(org_id="org-alpha", box_id="box-1", barcode="FIN-2026-01", status="shelved",
                                  location_id="R01-09-09-9", location_kind="shelf", version=7), False)
        return real(entries, tx, redo, **kwargs)

    monkeypatch.setattr(store, "write_in_groups", race_then_write)
    assert records.feed([box_event("BoxRegistered", 1, files=[file["id"]]),
                         box_event("BoxPlaced", 2, location="R01-01-01-1")]) == {"batchItemFailures": []}
    [box] = records.get(file["id"])["boxes"]
    assert box["location"] == {"kind": "shelf", "id": "R01-09-09-9"}  # version 7 stays; the files from version 1
