"""The destruction saga end to end with every step REAL: disposal's steps, records' mark/unmark
(RecordsTasksFunction) and destroy_files (RecordsDestructionFunction), stacks' destroy_contents
(StacksTasksFunction), the ASL from template.yaml executing in moto. Files are made and filled through records'
API (components uploaded: Object Lock governance versions in a versioned bucket), their events fed to disposal
and stacks; boxes made and shelved through stacks' API. The failure-injection matrix over every step stays on
the fakes (test_disposal_destruction.py); here: the happy path, a hold after the committee, and a failure in
the middle of records' destroy_files page.
"""
from __future__ import annotations

from tests.integration.destruction_world import SUPERVISOR
from tests.integration.test_records_components import world  # noqa: F401 (fixture)

SHELF = "R01-01-01-1"


def _certificate(destruction, run_id: str) -> dict:
    return destruction.ok("GET", "/disposal/runs/{run_id}/certificate", path={"run_id": run_id})


def _components(destruction, file_id: str) -> list[dict]:
    """Records' own view of the file's components (residual metadata)."""
    records = destruction.real.records
    found = []
    for item in records.ok("GET", "/records/files/{file_id}/items", path={"file_id": file_id})["items"]:
        found += records.ok("GET", "/records/files/{file_id}/items/{item_id}/components",
                            path={"file_id": file_id, "item_id": item["id"]})["items"]
    return found


def test_a_real_run_deletes_every_version_keeps_the_residual_record_destroys_the_box_and_certifies_the_hashes(
        real_destruction):
    d, real = real_destruction, real_destruction.real
    f1, f2 = real.closed_file(components=2), real.closed_file(components=1)
    box = real.box("BX-D1", [f1, f2], SHELF)
    assert real.stacks.shelf(SHELF)["occupancy"]["boxes"] == 1
    assert len(real.versions(f1)) == 2 and len(real.versions(f2)) == 1
    hashes = {c["id"]: c["sha256"] for f in (f1, f2) for c in _components(d, f)}
    d.decided(f1, f2)

    run, execution = d.destroy(f1, f2, executed_by="u-archivist")

    assert execution["status"] == "SUCCEEDED", execution
    assert run["status"] == "completed" and run["counts"]["destroyed"] == 2 and run["counts"]["components"] == 3
    # records: every version gone from the bucket; the residual record (metadata, hashes) still readable
    assert real.versions(f1) == [] and real.versions(f2) == []
    for f in (f1, f2):
        residual = real.records.get(f)
        assert residual["status"] == "destroyed", residual
    residual_components = [c for f in (f1, f2) for c in _components(d, f)]
    assert {c["id"]: c["sha256"] for c in residual_components} == hashes
    assert {c["status"] for c in residual_components} == {"destroyed"}
    assert sorted(e["payload"]["file_id"] for e in real.records.events("FileDestroyed")) == sorted([f1, f2])
    # stacks: the box emptied, destroyed, its shelf freed
    gone = real.stacks.get_box(box["id"])
    assert gone["status"] == "destroyed" and gone["files"] == [] and gone["home_location_id"] is None
    assert gone["disposition"]["run_id"] == run["id"] and gone["disposition"]["supervisor"] == SUPERVISOR
    assert real.stacks.shelf(SHELF)["occupancy"]["boxes"] == 0
    # the certificate: exactly those files and those components' hashes, and the box
    certificate = _certificate(d, run["id"])
    assert sorted(f["file_id"] for f in certificate["files"]) == sorted([f1, f2])
    assert {c["component_id"]: c["sha256"] for f in certificate["files"] for c in f["components"]} == hashes
    assert all(f["boxes"] == [{"box_id": box["id"], "barcode": "BX-D1", "box_destroyed": True}]
               for f in certificate["files"])
    assert certificate["not_destroyed"] == []


def test_a_hold_placed_after_the_committee_leaves_that_file_untouched_in_records(real_destruction):
    d, real = real_destruction, real_destruction.real
    f1, f2 = real.closed_file(components=1), real.closed_file(components=1)
    d.decided(f1, f2)
    before = real.records.get(f2)
    d.faults.before("prepare", lambda: d.hold(f2))  # after the route's own check, before the saga's

    run, execution = d.destroy(f1, f2)

    assert execution["status"] == "SUCCEEDED" and run["status"] == "completed"
    assert d.outcomes(run["id"]) == {f1: "destroyed", f2: "held"}
    kept = real.records.get(f2)
    assert kept["status"] == "closed" and kept["version"] == before["version"]  # never marked, never touched
    assert len(real.versions(f2)) == 1 and real.versions(f1) == []
    assert [f["file_id"] for f in _certificate(d, run["id"])["files"]] == [f1]


def test_a_failure_in_the_middle_of_destroy_files_is_retried_and_the_run_completes_whole(real_destruction,
                                                                                         monkeypatch):
    """The page's first file is destroyed, the second's versions deleted, then saving its components fails
    (transient): Step Functions retries the page; the retry finishes the second file, answers the first
    as before, and the certificate holds both, each component once."""
    from records.data import destruction as store
    from shared.tasks import TransientError

    d, real = real_destruction, real_destruction.real
    f1, f2 = real.closed_file(components=1), real.closed_file(components=2)
    d.decided(f1, f2)
    hashes = {c["id"]: c["sha256"] for f in (f1, f2) for c in _components(d, f)}
    real_save, calls = store.save_destroyed, []

    def flaky(finished, events):
        calls.append([after.file_id for after, _ in finished])
        if len(calls) == 2:
            raise TransientError("DynamoDB throttled while recording destroyed components")
        return real_save(finished, events)
    monkeypatch.setattr(store, "save_destroyed", flaky)

    run, execution = d.destroy(f1, f2)

    assert execution["status"] == "SUCCEEDED", execution
    # the first file saved; the second's save failed after its versions were deleted; the retry found the
    # first done (nothing left to save) and finished the second
    first, second = calls[0], calls[1]
    assert sorted({*first, *second}) == sorted([f1, f2]) and calls[2:] == [[], second]
    assert run["status"] == "completed" and run["counts"]["destroyed"] == 2 and run["counts"]["components"] == 3
    assert real.versions(f1) == [] and real.versions(f2) == []
    assert all(real.records.get(f)["status"] == "destroyed" for f in (f1, f2))
    assert all(c["status"] == "destroyed" for f in (f1, f2) for c in _components(d, f))
    certificate = _certificate(d, run["id"])
    listed = [(c["component_id"], c["sha256"]) for f in certificate["files"] for c in f["components"]]
    assert sorted(listed) == sorted(hashes.items())  # each component once, with its hash
    assert len(real.records.events("FileDestroyed")) == 2
    assert len(real.records.events("ComponentDestroyed")) == 3
