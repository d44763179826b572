"""A bulk box registration runs as a job through the whole local system.

GIVEN a box profile and a CSV of four boxes, one of them with a barcode already in use
WHEN a stack manager posts it to /boxes/bulk
THEN the answer is 202 with a queued job at once; the job reaches `completed` through the bus,
stacks' jobs queue and StacksJobsFunction (as in AWS); three boxes exist, the fourth row is listed
with its problem, and the same Idempotency-Key answers the same job.
"""
from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import stack_room, wait_for

pytestmark = pytest.mark.e2e


def test_a_registration_job_completes_through_the_local_system(local_system):
    token = local_system.token("stacks@src")
    call = lambda method, path, body=None, **h: local_system.request(  # noqa: E731
        method, path, token=token, json_body=body, headers={"Idempotency-Key": uuid.uuid4().hex, **h})
    repo, _, _, box_profile = stack_room(call, "J", shelf_width_mm=1000)
    taken = call("POST", "/boxes", {"barcode": f"{repo}-TAKEN", "container_profile_id": box_profile,
                                    "producing_unit": "Finance", "record_form": "document"})
    assert taken.status == 201, taken.body
    csv = "barcode,container_profile_id,producing_unit,record_form,contents\n" + "".join(
        f"{repo}-{label},{box_profile},Finance,document,file 1|file 2\n" for label in ("A", "B", "C", "TAKEN"))
    key = {"Idempotency-Key": f"import-{repo}", "Content-Type": "text/csv"}
    submitted = local_system.request("POST", "/boxes/bulk", token=token, body=csv.encode(), headers=key)
    assert submitted.status == 202, submitted.body
    job = submitted.json()
    assert job["status"] in ("queued", "running", "completed") and job["total"] == 4
    assert submitted.headers["Location"].endswith(f"/stacks/jobs/{job['id']}")

    def finished():
        now = call("GET", f"/stacks/jobs/{job['id']}").json()
        return now if now["status"] in ("completed", "failed") else None

    done = wait_for(finished, timeout=120, what="the registration job to finish")
    assert (done["status"], done["succeeded"], done["failed"], done["percent"]) == ("completed", 3, 1, 100)
    errors = call("GET", f"/stacks/jobs/{job['id']}/errors").json()["items"]
    assert [(e["row"], e["errors"][0]["field"]) for e in errors] == [(4, "barcode")]
    found = call("GET", f"/boxes?barcode={repo}-B").json()["items"]
    assert found[0]["contents"] == ["file 1", "file 2"] and found[0]["status"] == "unplaced"
    again = local_system.request("POST", "/boxes/bulk", token=token, body=csv.encode(), headers=key)
    assert again.status == 202 and again.json()["id"] == job["id"]
