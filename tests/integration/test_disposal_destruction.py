"""The destruction saga (destruction.asl.json) really executing in moto: disposal's real steps; records' and
stacks' steps answered by fakes that follow contracts A1 and A2 (tests/integration/destruction_world.py).

Held files are never destroyed, also when the hold lands after the committee or during the grace window; a
cancellation in the grace window releases everything; a failure injected at every step leaves disposal's
table and the marks consistent (nothing half-done); the certificate lists exactly what was destroyed; other
organisations' runs, certificates and register answer 404 or nothing; bad input writes nothing."""
from __future__ import annotations

import json

import pytest

from tests.integration.circulation_world import InjectedFailure
from tests.integration.destruction_world import ORG, SUPERVISOR
from tests.integration.disposal_world import AUDITOR, OTHER_ARCHIVIST, REQUESTER


def test_a_run_destroys_the_decided_files_and_certifies_exactly_them(destruction):
    destruction.decided("f-1", "f-2", "f-3")
    destruction.peers.add("f-2", box="b-1")  # f-2 is the box's only file: the box goes too
    run, execution = destruction.destroy("f-1", "f-2", "f-3", executed_by="u-archivist")
    assert execution["status"] == "SUCCEEDED", execution
    assert run["status"] == "completed" and run["counts"]["destroyed"] == 3 and run["counts"]["components"] == 6
    assert destruction.peers.destroyed() == ["f-1", "f-2", "f-3"] and destruction.peers.marked() == []
    assert set(destruction.outcomes(run["id"]).values()) == {"destroyed"}

    certificate = destruction.ok("GET", "/disposal/runs/{run_id}/certificate", path={"run_id": run["id"]})
    assert sorted(f["file_id"] for f in certificate["files"]) == ["f-1", "f-2", "f-3"]
    assert certificate["not_destroyed"] == [] and certificate["supervisor"] == SUPERVISOR
    hashes = {c["component_id"]: c["sha256"] for f in certificate["files"] for c in f["components"]}
    expected = {c["component_id"]: c["sha256"] for (_, _), f in destruction.peers.files.items() for c in f["components"]}
    assert hashes == expected
    f2 = next(f for f in certificate["files"] if f["file_id"] == "f-2")
    assert f2["boxes"] == [{"box_id": "b-1", "barcode": "BX-b-1", "box_destroyed": True}]
    assert [len(m["present"]) for m in certificate["meetings"]] == [3] and len(f2["votes"]) == 3
    stored = destruction.certificate_object(run["id"], "json")
    assert json.loads(stored) == certificate
    import hashlib
    assert run["certificate"]["sha256"] == hashlib.sha256(stored).hexdigest()
    pdf = destruction.certificate_object(run["id"], "pdf")
    assert pdf.startswith(b"%PDF") and run["certificate"]["pdf_sha256"] == hashlib.sha256(pdf).hexdigest()
    download = destruction.ok("GET", "/disposal/runs/{run_id}/certificate.pdf", path={"run_id": run["id"]})
    assert download["url"].startswith("https://") and download["sha256"] == run["certificate"]["pdf_sha256"]

    register = destruction.ok("GET", "/disposal/register", who=AUDITOR)
    assert sorted(line["file_id"] for line in register["items"]) == ["f-1", "f-2", "f-3"]
    status, csv, headers = destruction.call("GET", "/disposal/register", query={"format": "csv"})
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert csv.splitlines()[0].startswith("destroyed_at,run_id,file_id") and len(csv.splitlines()) == 4
    assert [e["type"] for e in destruction.events() if e["type"].startswith("Destruction")] == [
        "DestructionRunStarted", "DestructionCompleted"] or sorted(
        e["type"] for e in destruction.events() if e["type"].startswith("Destruction")) == [
        "DestructionCompleted", "DestructionRunStarted"]
