"""Shared set-up of the destruction saga's integration tests: disposal's real handlers, the destruction state
machine built from template.yaml and its ASL really executing in moto, the certificates bucket (Object Lock).

Two ways: `destruction` answers records' and stacks' steps (contracts A1, A2) with `Peers`, fakes that follow
the contract (`mark_for_destruction`, `unmark_for_destruction`, `destroy_files`, `destroy_contents`): the
failure-injection matrix runs on them (test_disposal_destruction). `real_destruction` wires the REAL handlers
(`Real`: files made and filled through records, boxes through stacks; test_disposal_destruction_real).
The router names the functions as the template does
(`RecordsTasksFunction`, `RecordsDestructionFunction`, `StacksTasksFunction`). Every step can be made to fail
(`Faults`, as the circulation saga tests do) or have something happen just before it (`Hooks.before`).

TABLE_NAME is unset: in one process each capability uses the table named after it.
"""
from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

import pytest

from tests.integration.circulation_world import Faults
from tests.integration.conftest import _create_machine
from tests.integration.disposal_world import ARCHIVIST, ORG, Disposal
from tests.support.events import FakeLambdaContext
from tests.support.worlds import empty_table, wait_for_execution

BUCKET = "records-test-disposal-certificates"
MACHINE = "destruction"
SUPERVISOR = {"name": "Park Ji-won", "title": "기록관리과장"}


class Hooks(Faults):
    """Faults, and things to do just before a step runs (a hold placed while the saga is under way)."""

    def __init__(self) -> None:
        super().__init__()
        self.before_step: dict[str, list] = {}

    def before(self, step: str, action) -> None:
        self.before_step.setdefault(step, []).append(action)

    def wrap(self, handler):
        faulty = super().wrap(handler)

        def run(event: dict, context: Any) -> Any:
            actions = self.before_step.get(event.get("step", ""))
            if actions:
                actions.pop(0)()
            return faulty(event, context)
        return run


class Peers:
    """Records' and stacks' destruction steps as the contracts say they answer, over files the test declares.

    A file: its status (closed, being_destroyed, destroyed), the prior status a mark keeps, the run that
    marked it, its components (each with a SHA-256) and the box it sits in."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], dict[str, Any]] = {}
        self.boxes: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[dict[str, Any]] = []

    def add(self, file_id: str, org_id: str = ORG, status: str = "closed", components: int = 2,
            box: str | None = None) -> None:
        comps = [{"component_id": f"{file_id}-c{i}", "item_id": f"{file_id}-i1", "name": f"page-{i}.pdf",
                  "sha256": hashlib.sha256(f"{file_id}/{i}".encode()).hexdigest(), "size": 1000 + i,
                  "versions_deleted": 1} for i in range(components)]
        self.files[(org_id, file_id)] = {"status": status, "prior": None, "run": None, "components": comps,
                                         "content": True}
        if box:
            self.boxes.setdefault((org_id, box), {"box_id": box, "barcode": f"BX-{box}", "files": [],
                                                  "status": "shelved"})["files"].append(file_id)

    def status(self, file_id: str, org_id: str = ORG) -> str:
        return self.files[(org_id, file_id)]["status"]

    def marked(self) -> list[str]:
        return sorted(f for (_, f), v in self.files.items() if v["status"] == "being_destroyed")

    def destroyed(self) -> list[str]:
        return sorted(f for (_, f), v in self.files.items() if v["status"] == "destroyed")

    # ------------------------------------------------------------- records
    def records_tasks(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.calls.append(event)
        org, run = event["org_id"], event["run_id"]
        if event["step"] == "mark_for_destruction":
            marked, refused = [], []
            for file_id in event["file_ids"]:
                f = self.files.get((org, file_id))
                if f is None:
                    refused.append({"file_id": file_id, "reason": "unknown-file"})
                elif f["status"] == "being_destroyed" and f["run"] == run:
                    marked.append(file_id)
                elif f["status"] == "being_destroyed":
                    refused.append({"file_id": file_id, "reason": "in-other-run"})
                elif f["status"] in ("destroyed", "transferred"):
                    refused.append({"file_id": file_id, "reason": "final"})
                elif f["status"] not in ("closed", "under_review"):
                    refused.append({"file_id": file_id, "reason": "not-closed"})
                else:
                    f.update(prior=f["status"], status="being_destroyed", run=run)
                    marked.append(file_id)
            return {"marked": marked, "refused": refused}
        if event["step"] == "unmark_for_destruction":
            unmarked = []
            for file_id in event["file_ids"]:
                f = self.files.get((org, file_id))
                if f and f["status"] == "being_destroyed" and f["run"] == run:
                    f.update(status=f["prior"], prior=None, run=None)
                    unmarked.append(file_id)
            return {"unmarked": unmarked}
        raise AssertionError(f"records has no step {event['step']}")

    def records_destruction(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.calls.append(event)
        assert event["step"] == "destroy_files" and event["supervisor"]["name"] and event["executed_by"]
        org, run = event["org_id"], event["run_id"]
        destroyed, skipped = [], []
        for file_id in event["file_ids"]:
            f = self.files.get((org, file_id))
            if f is None or f["run"] != run or f["status"] not in ("being_destroyed", "destroyed"):
                skipped.append({"file_id": file_id, "reason": "not-being-destroyed-by-this-run"})
                continue
            f.update(status="destroyed", content=False)
            destroyed.append({"file_id": file_id, "title": f"File {file_id}", "components": f["components"]})
        return {"destroyed": destroyed, "skipped": skipped}

    # -------------------------------------------------------------- stacks
    def stacks_tasks(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.calls.append(event)
        assert event["step"] == "destroy_contents" and event["supervisor"]["name"]
        org = event["org_id"]
        out = []
        for (box_org, _), box in self.boxes.items():
            gone = [f for f in event["file_ids"] if f in box["files"]] if box_org == org else []
            if not gone and not box.get("gone", {}).get(event["run_id"]):
                continue
            box["files"] = [f for f in box["files"] if f not in gone]
            box.setdefault("gone", {}).setdefault(event["run_id"], []).extend(gone)
            if not box["files"]:
                box["status"] = "destroyed"
            out.append({"box_id": box["box_id"], "barcode": box["barcode"],
                        "files_destroyed": sorted(set(box["gone"][event["run_id"]]) & set(event["file_ids"])),
                        "box_destroyed": box["status"] == "destroyed"})
        return {"boxes": out}


class Destruction(Disposal):
    """Disposal's API and table, the saga's executions, the certificates bucket, the peers' state."""

    def __init__(self, aws, peers: Peers, faults: Faults, machine_arn: str, s3) -> None:
        super().__init__(aws)
        self.peers, self.faults, self.machine_arn, self.s3 = peers, faults, machine_arn, s3
        self.real: Real | None = None

    # --------------------------------------------------------------- set-up
    def decided(self, *file_ids: str, decision: str = "destroy", **file_kwargs) -> str:
        """Files known to disposal (records' events), listed, through the three steps to the committee's
        decision; the fake records knows them too. The review list's id."""
        for f in file_ids:
            if self.real is not None:
                continue  # known to disposal from records' own events (Real.closed_file)
            self.closed_file(f, **file_kwargs)
            if (ORG, f) not in self.peers.files:
                self.peers.add(f)
        members = getattr(self, "_members", None) or self.committee("Kim", "Lee", "Choi")
        self._members = members
        meeting = getattr(self, "_meeting", None) or self.meeting(members)
        self._meeting = meeting
        review_list = self.post("/disposal/review-lists", {"title": "2032 appraisal", "file_ids": list(file_ids)})
        for f in file_ids:
            self.step(review_list["id"], f, "opinion", {"opinion": "destroy", "official": "Head of Finance"})
            self.step(review_list["id"], f, "review", {"recommendation": "agree"})
            body = {"meeting_id": meeting["id"], "decision": decision,
                    "votes": [{"member_id": m, "vote": "for"} for m in members]}
            if decision == "defer":
                body["defer_until"] = "2099-01-01"
            self.step(review_list["id"], f, "decision", body)
        return review_list["id"]

    def hold(self, *file_ids: str) -> dict:
        return self.post("/disposal/holds", {"mandate": {"reason": "Evidence in a lawsuit", "authority": "Court"},
                                             "scope": {"files": list(file_ids)}})

    def grace(self, days: int) -> dict:
        current = self.ok("GET", "/disposal/settings")
        return self.ok("PUT", "/disposal/settings", body={"grace_days": days},
                       headers={"If-Match": f'"{current["version"]}"'})

    # ----------------------------------------------------------------- runs
    def start(self, expect: int = 202, key: str | None = None, **body) -> dict:
        return self.post("/disposal/runs", {"supervisor": SUPERVISOR, **body}, expect=expect, key=key)

    def run(self, run_id: str, who=ARCHIVIST) -> dict:
        return self.ok("GET", "/disposal/runs/{run_id}", path={"run_id": run_id}, who=who)

    def run_files(self, run_id: str) -> dict[str, dict]:
        found, cursor = {}, None
        while True:
            query = {"limit": "100", **({"cursor": cursor} if cursor else {})}
            page = self.ok("GET", "/disposal/runs/{run_id}/files", path={"run_id": run_id}, query=query)
            found |= {f["file_id"]: f for f in page["items"]}
            cursor = page["next_cursor"]
            if not cursor:
                return found

    def outcomes(self, run_id: str) -> dict[str, str]:
        return {f: v["outcome"] for f, v in self.run_files(run_id).items()}

    def execution(self, name: str) -> dict | None:
        arn = self.machine_arn.replace(":stateMachine:", ":execution:") + ":" + name
        try:
            return self.aws.sfn.describe_execution(executionArn=arn)
        except self.aws.sfn.exceptions.ExecutionDoesNotExist:
            return None

    def wait(self, name: str, deadline_s: float = 90.0) -> dict:
        return wait_for_execution(self.aws, MACHINE, name, deadline_s)

    def wait_for_status(self, run_id: str, status: str, deadline_s: float = 60.0) -> dict:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            run = self.run(run_id)
            if run["status"] == status:
                return run
            time.sleep(0.02)
        raise AssertionError(f"run {run_id} never reached {status} (it is {self.run(run_id)['status']})")

    def wait_for_state(self, name: str, state: str, deadline_s: float = 60.0) -> None:
        """Until the execution has entered `state` (its history says so)."""
        arn = self.machine_arn.replace(":stateMachine:", ":execution:") + ":" + name
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            history = self.aws.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
            if any((e.get("stateEnteredEventDetails") or {}).get("name") == state for e in history):
                return
            time.sleep(0.02)
        raise AssertionError(f"execution {name} never entered {state}")

    def states_entered(self, name: str) -> list[str]:
        arn = self.machine_arn.replace(":stateMachine:", ":execution:") + ":" + name
        pages = self.aws.sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
        return [e["stateEnteredEventDetails"]["name"] for p in pages for e in p["events"]
                if "stateEnteredEventDetails" in e]

    def destroy(self, *file_ids: str, **body) -> tuple[dict, dict]:
        """Start a run over the files and wait for its saga; (the run after it, the execution)."""
        started = self.start(file_ids=list(file_ids), **body)
        execution = self.wait(started["id"])
        return self.run(started["id"]), execution

    def view(self, file_id: str) -> dict:
        return self.ok("GET", "/disposal/files/{file_id}/holds", path={"file_id": file_id})["file"]

    def pass_grace(self, run_id: str) -> None:
        """Time passes: the run's grace window ends now (its stored end moved to the past)."""
        self.aws.ddb.update_item(TableName="disposal", Key={"pk": {"S": f"ORG#{ORG}"}, "sk": {"S": f"RUN#{run_id}"}},
                                 UpdateExpression="SET grace_until = :t",
                                 ExpressionAttributeValues={":t": {"S": "2000-01-01T00:00:00Z"}})

    def register_lines(self) -> list[str]:
        """The register as CSV lines, header left out."""
        status, csv, _ = self.call("GET", "/disposal/register", query={"format": "csv"})
        assert status == 200, csv
        return csv.splitlines()[1:]

    def certificate_object(self, run_id: str, ext: str) -> bytes:
        return self.s3.get_object(Bucket=BUCKET, Key=f"certificates/{ORG}/{run_id}/certificate.{ext}")["Body"].read()

    def task(self, event: dict[str, Any]) -> Any:
        from disposal.tasks import handler
        return handler(event, FakeLambdaContext())


def _machine(aws) -> str:
    """The destruction state machine, made once per test process (the world keeps it between tests)."""
    arn = aws.machine_arns.get(MACHINE)
    if arn is None:
        arn = _create_machine(aws.sfn, f"records-test-{MACHINE}", "DestructionStateMachine")
        aws.machine_arns[MACHINE] = arn  # the world's teardown waits for its executions too
    return arn


def _bucket(s3) -> None:
    if BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
        s3.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}}})


@pytest.fixture
def peers() -> Peers:
    return Peers()


@pytest.fixture
def destruction(aws, monkeypatch, peers) -> Destruction:
    """Disposal's world with the destruction saga wired: disposal's real task handler; records' and stacks'
    steps answered by `peers` (fakes following contracts A1 and A2). Every handler can be made to fail."""
    import boto3

    from disposal import tasks as disposal_tasks
    from disposal.data import certificates
    from disposal.integration import workflows
    from tests.integration.stacks_world import _serialise_moto_writes

    _serialise_moto_writes(monkeypatch)
    empty_table(aws, monkeypatch, "DisposalTable", "disposal")
    monkeypatch.delenv("TABLE_NAME", raising=False)
    s3 = boto3.client("s3")
    _bucket(s3)
    arn = _machine(aws)
    monkeypatch.setenv("DESTRUCTION_STATE_MACHINE_ARN", arn)
    monkeypatch.setenv("CERTIFICATES_BUCKET", BUCKET)
    workflows._client.cache_clear()
    certificates._s3.cache_clear()
    faults = Hooks()
    aws.router.handlers["DisposalTasksFunction"] = faults.wrap(disposal_tasks.handler)
    aws.router.handlers["RecordsTasksFunction"] = faults.wrap(peers.records_tasks)
    aws.router.handlers["RecordsDestructionFunction"] = faults.wrap(peers.records_destruction)
    aws.router.handlers["StacksTasksFunction"] = faults.wrap(peers.stacks_tasks)
    yield Destruction(aws, peers, faults, arn, s3)
    aws.wait_until_idle(deadline_s=120)
    workflows._client.cache_clear()
    certificates._s3.cache_clear()


class Real:
    """Records and stacks for real: files created, filled (components uploaded) and closed through records'
    API; their events fed to disposal's consumer and stacks' (its read model of records' files); boxes made
    and placed through stacks' API. `destruction.real` is this when the `real_destruction` fixture is used."""

    def __init__(self, destruction: Destruction, components, stacks, box_profile: str) -> None:
        self.destruction, self.components, self.stacks, self.box_profile = destruction, components, stacks, box_profile
        self.fed: set[str] = set()

    @property
    def records(self):
        return self.components.records

    def closed_file(self, components: int = 2) -> str:
        """A closed file with one item of `components` uploaded components; disposal and stacks told."""
        from tests.integration.test_records_destruction import closed_file
        file, _, _ = closed_file(self.components, components=components)
        self.publish()
        return file["id"]

    def publish(self) -> None:
        """Records' events not fed yet, to disposal's consumer and stacks' consumer (as the bus would)."""
        from tests.integration.test_stacks_record_files import feed
        fresh = [e for e in self.records.events() if e["id"] not in self.fed]
        self.fed |= {e["id"] for e in fresh}
        assert self.destruction.feed(fresh) == {"batchItemFailures": []}
        assert feed(fresh) == {"batchItemFailures": []}

    def box(self, barcode: str, file_ids: list[str], shelf: str) -> dict:
        box = self.stacks.box(barcode, self.box_profile, files=file_ids)
        status, body, _ = self.stacks.place(box, shelf)
        assert status == 200, body
        return body["box"]

    def versions(self, file_id: str) -> list:
        listed = self.components.s3.list_object_versions(Bucket=self.components.bucket,
                                                         Prefix=f"components/{ORG}/{file_id}/")
        return listed.get("Versions", []) + listed.get("DeleteMarkers", [])


@pytest.fixture
def real_destruction(world, stacks, laid_out, destruction) -> Destruction:
    """The destruction saga with records' and stacks' REAL handlers: RecordsTasksFunction (mark, unmark),
    RecordsDestructionFunction (destroy_files), StacksTasksFunction (destroy_contents), each wrapped by the
    faults. Fixture order matters: records' and stacks' worlds set TABLE_NAME, `destruction` unsets it."""
    from records import destruction as records_destruction
    from records import tasks as records_tasks
    from stacks import tasks as stacks_tasks

    handlers, faults = destruction.aws.router.handlers, destruction.faults
    handlers["RecordsTasksFunction"] = faults.wrap(records_tasks.handler)
    handlers["RecordsDestructionFunction"] = faults.wrap(records_destruction.handler)
    handlers["StacksTasksFunction"] = faults.wrap(stacks_tasks.handler)
    destruction.real = Real(destruction, world, stacks, laid_out["box_profile"]["id"])
    return destruction


def new_key() -> str:
    return str(uuid.uuid4())
