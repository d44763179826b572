"""Records' part of destruction against moto in process: the saga steps (mark, unmark on RecordsTasksFunction;
destroy_files on RecordsDestructionFunction) called as Step Functions calls them, the residual record and
its 410s, and the committee's retention re-set arriving through records' consumer.

moto enforces Object Lock on a version delete: without `BypassGovernanceRetention` a locked version is
refused (AccessDenied), with it the delete goes through. moto does not evaluate bucket policies or IAM, so
"only the destruction role may bypass" is proved on the template (tests/infrastructure).
"""
from __future__ import annotations

import hashlib
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.records_world import ARCHIVIST, OTHER_ARCHIVIST, OTHER_ORG, ORG, REQUESTER, envelope
from tests.integration.test_records_components import BODY, ITEM_PATH, Components, world  # noqa: F401 (fixture)
from tests.support.events import FakeLambdaContext

SUPERVISOR = {"name": "Kim Minji", "title": "Records officer"}


def mark(org_id: str, run_id: str, file_ids: list[str]) -> dict:
    from records import tasks
    return tasks.handler({"step": "mark_for_destruction", "org_id": org_id, "run_id": run_id, "file_ids": file_ids,
                          "execution_id": f"exec-{run_id}"}, FakeLambdaContext())


def unmark(org_id: str, run_id: str, file_ids: list[str]) -> dict:
    from records import tasks
    return tasks.handler({"step": "unmark_for_destruction", "org_id": org_id, "run_id": run_id,
                          "file_ids": file_ids}, FakeLambdaContext())


def destroy(org_id: str, run_id: str, file_ids: list[str]) -> dict:
    from records import destruction
    return destruction.handler({"step": "destroy_files", "org_id": org_id, "run_id": run_id, "file_ids": file_ids,
                                "executed_by": "u-archivist", "supervisor": SUPERVISOR}, FakeLambdaContext())


def closed_file(world: Components, components: int = 2, who=ARCHIVIST) -> tuple[dict, dict, list[dict]]:
    """A closed file with one item holding `components` captured components."""
    file = world.records.file(who=who)
    item = world.records.ok("POST", "/records/files/{file_id}/items", path={"file_id": file["id"]}, who=who,
                            body={"registration_number": f"REG-{uuid.uuid4().hex[:8]}", "title": "Minutes"},
                            headers={"Idempotency-Key": uuid.uuid4().hex}, expect=201)
    captured = [capture(world, file, item, BODY + bytes([n]), who) for n in range(components)]
    file = world.records.get(file["id"], who=who)
    status, closed, _ = world.records.close(file, who=who)
    assert status == 200, closed
    return closed, item, captured


def capture(world: Components, file, item, data: bytes, who=ARCHIVIST) -> dict:
    status, upload, _ = world.ask(file, item, body=data, sha=hashlib.sha256(data).hexdigest(), who=who)
    assert status == 201, upload
    assert world.put(upload, data).status_code == 200
    status, component, _ = world.complete(file, item, upload, who=who)
    assert status == 201, component
    return component


def versions(world: Components, prefix: str) -> list[tuple[str, str]]:
    listed = world.s3.list_object_versions(Bucket=world.bucket, Prefix=prefix)
    return sorted((v["Key"], v["VersionId"]) for kind in ("Versions", "DeleteMarkers") for v in listed.get(kind, []))


def prefix(org_id: str, file_id: str) -> str:
    return f"components/{org_id}/{file_id}/"


# ----------------------------------------------------------------------- mark / unmark
def test_marking_freezes_a_closed_file_for_its_run_and_is_idempotent(world):
    file, item, _ = closed_file(world, components=1)
    open_file = world.records.file()
    answer = mark(ORG, "run-1", [file["id"], open_file["id"], "no-such-file"])
    assert answer == {"marked": [file["id"]], "refused": [{"file_id": open_file["id"], "reason": "not-closed"},
                                                          {"file_id": "no-such-file", "reason": "unknown-file"}]}
    assert mark(ORG, "run-1", [file["id"], open_file["id"], "no-such-file"]) == answer  # a retry: the same answer
    shown = world.records.get(file["id"])
    assert (shown["status"], shown["prior_status"], shown["destruction"]["run_id"]) == ("being_destroyed", "closed",
                                                                                        "run-1")
    changed = [e for e in world.records.events("FileStatusChanged") if e["payload"].get("run_id") == "run-1"]
    assert [(e["payload"]["status"], e["payload"]["previous"]) for e in changed] == [("being_destroyed", "closed")]
    assert mark(ORG, "run-2", [file["id"]]) == {"marked": [], "refused": [{"file_id": file["id"],
                                                                           "reason": "in-other-run"}]}


def test_a_file_being_destroyed_refuses_every_change_with_a_problem_naming_the_run(world):
    file, item, (component,) = closed_file(world, components=1)
    mark(ORG, "run-9", [file["id"]])
    file = world.records.get(file["id"])
    before = world.records.snapshot()
    match = {"If-Match": f'"{file["version"]}"', "Idempotency-Key": uuid.uuid4().hex}
    item_match = {"If-Match": f'"{item["version"]}"', "Idempotency-Key": uuid.uuid4().hex}
    file_path, item_path = {"file_id": file["id"]}, {"file_id": file["id"], "item_id": item["id"]}
    refused = [
        ("PATCH", "/records/files/{file_id}", file_path, {"title": "Renamed"}, match),
        ("POST", "/records/files/{file_id}/close", file_path, {}, match),
        ("POST", "/records/files/{file_id}/retention", file_path, {"retention": "10y", "reason": "longer"}, match),
        ("POST", "/records/files/{file_id}/access", file_path,
         {"classification": "closed", "grounds": [2], "reason": "privacy"}, match),
        ("POST", "/records/files/{file_id}/items", file_path, {"registration_number": "REG-new", "title": "New"},
         match),
        ("PATCH", ITEM_PATH, item_path, {"title": "Renamed"}, item_match),
        ("POST", f"{ITEM_PATH}/access", item_path, {"classification": "open", "reason": "opened"}, item_match),
        ("POST", f"{ITEM_PATH}/components/uploads", item_path,
         {"filename": "x.pdf", "media_type": "application/pdf", "size": 3, "sha256": "0" * 64}, match),
        ("PATCH", f"{ITEM_PATH}/components/{{component_id}}", {**item_path, "component_id": component["id"]},
         {"label": "new label"}, {"If-Match": f'"{component["version"]}"'}),
    ]
    for method, route, path, body, headers in refused:
        status, problem, _ = world.records.call(method, route, path=path, body=body, headers=headers)
        assert status == 409, (method, route, problem)
        assert problem["type"].endswith("/file-being-destroyed") and problem["run_id"] == "run-9", problem
        assert "run-9" in problem["detail"]
    assert world.records.snapshot() == before
    # reading and downloading are still fine: nothing is destroyed yet
    world.records.ok("GET", f"{ITEM_PATH}/components/{{component_id}}/download",
                     path={**item_path, "component_id": component["id"]})


def test_unmarking_returns_each_file_to_its_prior_status_once_and_only_for_its_run(world):
    first, _, _ = closed_file(world, components=0)
    second, _, _ = closed_file(world, components=0)
    mark(ORG, "run-1", [first["id"]])
    mark(ORG, "run-2", [second["id"]])
    answer = unmark(ORG, "run-1", [first["id"], second["id"], "no-such-file"])
    assert answer == {"unmarked": [first["id"]]}
    assert unmark(ORG, "run-1", [first["id"], second["id"], "no-such-file"]) == answer  # the same on a retry
    assert world.records.get(first["id"])["status"] == "closed"
    assert world.records.get(first["id"])["prior_status"] is None
    assert world.records.get(second["id"])["status"] == "being_destroyed"  # another run's file stays marked
    assert unmark(ORG, "run-3", [first["id"]]) == {"unmarked": []}  # nothing to undo: tolerated
    # the file is editable again
    file = world.records.get(first["id"])
    status, _, _ = world.records.call("PATCH", "/records/files/{file_id}", path={"file_id": file["id"]},
                                      body={"title": "Kept after all"}, headers={"If-Match": f'"{file["version"]}"'})
    assert status == 200


def test_a_page_of_more_than_25_files_fails_the_whole_step(world):
    from shared.tasks import InvalidTaskInput
    with pytest.raises(InvalidTaskInput):
        mark(ORG, "run-1", [f"f-{n}" for n in range(26)])
    with pytest.raises(InvalidTaskInput):
        destroy(ORG, "", ["f-1"])


# ----------------------------------------------------------------------- destroy
def test_destroy_deletes_every_version_and_leaves_a_residual_record(world):
    file, item, components = closed_file(world, components=2)
    key, version = world.component_key(components[0])
    world.s3.delete_object(Bucket=world.bucket, Key=key)  # a delete marker over the locked version
    stray = f"{prefix(ORG, file['id'])}{item['id']}/never-captured"
    world.s3.put_object(Bucket=world.bucket, Key=stray, Body=b"an upload nobody completed")
    assert len(versions(world, prefix(ORG, file["id"]))) == 4
    mark(ORG, "run-7", [file["id"]])
    answer = destroy(ORG, "run-7", [file["id"], "no-such-file"])

    assert versions(world, prefix(ORG, file["id"])) == []  # every version, marker and stray: gone
    assert answer["skipped"] == [{"file_id": "no-such-file", "reason": "unknown-file"}]
    (done,) = answer["destroyed"]
    assert (done["file_id"], done["title"]) == (file["id"], file["title"])
    assert {(c["component_id"], c["item_id"], c["name"], c["sha256"], c["size"]) for c in done["components"]} == {
        (c["id"], item["id"], "minutes.pdf", c["sha256"], c["size"]) for c in components}
    by_id = {c["component_id"]: c["versions_deleted"] for c in done["components"]}
    assert by_id == {components[0]["id"]: 2, components[1]["id"]: 1}  # the version and the marker; the version

    # the residual record: metadata, items, components' metadata and hashes, history
    residual = world.records.get(file["id"])
    assert residual["status"] == "destroyed" and residual["destruction"]["run_id"] == "run-7"
    assert residual["destruction"]["destroyed_at"] and residual["title"] == file["title"]
    world.records.ok("GET", ITEM_PATH, path={"file_id": file["id"], "item_id": item["id"]})
    listed = world.records.ok("GET", f"{ITEM_PATH}/components", path={"file_id": file["id"], "item_id": item["id"]})
    assert {(c["id"], c["status"], c["sha256"], c["downloadable"]) for c in listed["items"]} == {
        (c["id"], "destroyed", c["sha256"], False) for c in components}
    path = {"file_id": file["id"], "item_id": item["id"], "component_id": components[0]["id"]}
    for method, route in (("GET", f"{ITEM_PATH}/components/{{component_id}}/download"),
                          ("POST", f"{ITEM_PATH}/components/{{component_id}}/fixity-checks")):
        status, problem, _ = world.records.call(method, route, path=path, headers={"Idempotency-Key": "k"})
        assert status == 410, problem
        assert problem["type"].endswith("/content-destroyed") and problem["run_id"] == "run-7"
        assert "run-7" in problem["detail"]
    (destroyed,) = world.records.events("FileDestroyed")
    assert destroyed["payload"]["run_id"] == "run-7" and destroyed["payload"]["supervisor"] == SUPERVISOR
    assert sorted((c["component_id"], c["sha256"]) for c in destroyed["payload"]["components"]) == sorted(
        (c["id"], c["sha256"]) for c in components)
    assert len(world.records.events("ComponentDestroyed")) == 2
    moves = sorted((e["occurred_at"], e["payload"]["previous"], e["payload"]["status"])
                   for e in world.records.events("FileStatusChanged") if e["payload"].get("run_id") == "run-7")
    assert [m[1:] for m in moves] == [("closed", "being_destroyed"), ("being_destroyed", "destroyed")]
    # a destroyed component is never checked again
    assert world.fixity()["checked"] == 0


def test_destroy_is_idempotent_and_a_retry_after_a_crash_midway_returns_the_same_answer(world, monkeypatch):
    from records.data import destruction as store
    file, _, components = closed_file(world, components=3)
    clean, _, _ = closed_file(world, components=1)
    mark(ORG, "run-5", [file["id"], clean["id"]])
    real = store.delete_versions

    def crash_after_one(objects):
        real(objects[:1])  # one version is gone for good ...
        raise RuntimeError("the function died")  # ... then the invocation ends

    monkeypatch.setattr(store, "delete_versions", crash_after_one)
    with pytest.raises(RuntimeError):
        destroy(ORG, "run-5", [file["id"], clean["id"]])
    assert len(versions(world, prefix(ORG, file["id"]))) == 2  # half-way: some versions gone, some left
    assert world.records.get(file["id"])["status"] == "being_destroyed"
    monkeypatch.setattr(store, "delete_versions", real)

    retried = destroy(ORG, "run-5", [file["id"], clean["id"]])
    assert versions(world, prefix(ORG, file["id"])) == [] and versions(world, prefix(ORG, clean["id"])) == []
    hashes = {c["component_id"]: (c["sha256"], c["versions_deleted"]) for c in retried["destroyed"][0]["components"]}
    assert hashes == {c["id"]: (c["sha256"], 1) for c in components}  # the versions recorded before the crash
    assert destroy(ORG, "run-5", [file["id"], clean["id"]]) == retried  # and again: the same answer
    assert len(world.records.events("FileDestroyed")) == 2  # one per file, whatever the retries
    assert len(world.records.events("ComponentDestroyed")) == 4


def test_destroy_skips_files_its_run_did_not_mark_and_never_touches_another_organisation(world):
    world.records.scheme(org_id=OTHER_ORG)
    theirs, _, _ = closed_file(world, components=1, who=OTHER_ARCHIVIST)
    mark(OTHER_ORG, "run-1", [theirs["id"]])  # marked in their organisation by a run of the same id
    unmarked, _, _ = closed_file(world, components=1)
    other_run, _, _ = closed_file(world, components=1)
    mark(ORG, "run-2", [other_run["id"]])
    theirs_before = versions(world, prefix(OTHER_ORG, theirs["id"]))

    assert mark(ORG, "run-1", [theirs["id"]]) == {"marked": [],
                                                  "refused": [{"file_id": theirs["id"], "reason": "unknown-file"}]}
    answer = destroy(ORG, "run-1", [theirs["id"], unmarked["id"], other_run["id"]])
    assert answer == {"destroyed": [], "skipped": [{"file_id": theirs["id"], "reason": "unknown-file"},
                                                   {"file_id": unmarked["id"], "reason": "not-marked"},
                                                   {"file_id": other_run["id"], "reason": "in-other-run"}]}
    assert versions(world, prefix(OTHER_ORG, theirs["id"])) == theirs_before != []
    assert len(versions(world, prefix(ORG, unmarked["id"]))) == len(versions(world, prefix(ORG, other_run["id"]))) == 1
    assert world.records.ok("GET", "/records/files/{file_id}", path={"file_id": theirs["id"]},
                            who=OTHER_ARCHIVIST)["status"] == "being_destroyed"


def test_the_lock_refuses_the_ordinary_records_client_until_the_destruction_step_bypasses_it(world):
    from records.data import components as components_store
    file, item, (component,) = closed_file(world, components=1)
    key, version = world.component_key(component)
    records_client = components_store._s3()  # the client the API and the jobs use (never with a bypass)
    with pytest.raises(ClientError) as refused:
        records_client.delete_object(Bucket=world.bucket, Key=key, VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    components_store.delete_versions(key)  # records' own clean-up of refused uploads: the locked version stays
    assert versions(world, key) == [(key, version)]
    mark(ORG, "run-3", [file["id"]])
    destroy(ORG, "run-3", [file["id"]])
    assert versions(world, key) == []


# ----------------------------------------------------------------------- committee re-set
def committee_decided(file_id: str, decision: str = "reset_retention", retention: str | None = "10y",
                      org_id: str = ORG, event_id: str | None = None) -> dict:
    return envelope("records.disposal", "CommitteeDecided",
                    {"file_id": file_id, "list_id": "list-1", "meeting_id": "meeting-3", "decision": decision,
                     "retention": retention, "defer_until": None, "votes": []},
                    [{"kind": "record_file", "id": file_id, "org_id": org_id},
                     {"kind": "review_list", "id": "list-1", "org_id": org_id}], event_id=event_id)


def test_a_committee_reset_changes_the_due_date_once_and_says_so(world):
    file, _, _ = closed_file(world, components=0)
    assert file["retention"] == "5y"
    decided = committee_decided(file["id"], event_id="ev-reset-1")
    assert world.records.feed([decided, decided]) == {"batchItemFailures": []}  # delivered twice
    after = world.records.get(file["id"])
    assert (after["retention"], after["retention_overridden"]) == ("10y", True)
    assert after["disposal_due"] != file["disposal_due"] and after["disposal_due"][:4] == str(
        int(file["disposal_due"][:4]) + 5)
    (overridden,) = world.records.events("RetentionOverridden")
    assert overridden["payload"]["reason"] == "appraisal committee decision (meeting meeting-3)"
    assert (overridden["payload"]["retention"], overridden["payload"]["disposal_due"]) == ("10y",
                                                                                           after["disposal_due"])
    assert overridden["payload"]["previous"]["disposal_due"] == file["disposal_due"]
    assert overridden["actor"]["user_id"] == "u-someone"  # the actor of the committee's decision
    # the same event again later (a redrive) changes nothing
    assert world.records.feed([decided]) == {"batchItemFailures": []}
    assert len(world.records.events("RetentionOverridden")) == 1


def test_other_decisions_final_files_and_other_organisations_are_left_alone(world):
    file, _, _ = closed_file(world, components=0)
    gone, _, _ = closed_file(world, components=0)
    mark(ORG, "run-1", [gone["id"]])
    destroy(ORG, "run-1", [gone["id"]])
    before = world.records.snapshot()
    assert world.records.feed([committee_decided(file["id"], decision="destroy", retention=None),
                               committee_decided(file["id"], decision="defer", retention=None),
                               committee_decided(gone["id"]),
                               committee_decided(file["id"], org_id=OTHER_ORG)]) == {"batchItemFailures": []}
    assert world.records.snapshot() == before


def test_a_requester_never_sees_a_destroyed_component_as_downloadable(world):
    file, item, _ = closed_file(world, components=1)
    mark(ORG, "run-1", [file["id"]])
    destroy(ORG, "run-1", [file["id"]])
    listed = world.records.ok("GET", f"{ITEM_PATH}/components", path={"file_id": file["id"], "item_id": item["id"]},
                              who=REQUESTER)
    assert [c["downloadable"] for c in listed["items"]] == [False]

