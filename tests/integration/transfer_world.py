"""Shared set-up of the transfer integration tests: transfer's real handlers against moto, its two state
machines really executing (built from template.yaml and their ASL files).

Their lambda:invoke calls reach TransferTasksFunction (the real handler) and, for records', audit's and
stacks' steps, the contract fakes of transfer_fakes.py (what contracts B1 and B2 promise), each behind
`faults` so a test can fail any step. When the records, audit and stacks steps land, `use_real(...)` puts
their real task handlers in the router instead (e.g. `transfer.use_real("RecordsTasksFunction",
records.tasks.handler)`); the tests' assertions on the fakes' state then read those capabilities' tables.

Records' file events, disposal's holds and identity's organisations reach transfer's consumer in the envelope
the outbox relay publishes (`closed_file`, `hold`, `archive`).
"""
from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

from tests.integration.circulation_world import Faults
from tests.integration.inventory_world import sqs_event
from tests.integration.records_world import envelope
from tests.integration.transfer_fakes import FakeAudit, FakeRecords, FakeStacks
from tests.support.events import FakeLambdaContext, claims
from tests.support.worlds import CapabilityWorld, empty_table, wait_for_execution

ORG = "org-centre"  # a records centre
ARCHIVE = "org-archive"  # a permanent archive
THIRD = "org-third"
ARCHIVIST = claims("u-centre-archivist", ORG, ["archivist"])
AUDITOR = claims("u-centre-auditor", ORG, ["auditor"])
ARCHIVE_ARCHIVIST = claims("u-archive-archivist", ARCHIVE, ["archivist"])
THIRD_ADMIN = claims("u-third", THIRD, ["archivist", "admin"])
BUCKET = "transfer-packages-test"
RECENT = "2026-06-01"  # an access review within the last 5 years (the tests' clock is today's)


class TransferWorld(CapabilityWorld):
    table, app, caller = "transfer", "transfer.app", ARCHIVIST

    def __init__(self, aws, faults: Faults, records: FakeRecords, audit: FakeAudit, stacks: FakeStacks) -> None:
        super().__init__(aws)
        self.faults, self.records, self.audit, self.stacks = faults, records, audit, stacks

    def use_real(self, function: str, handler) -> None:
        """A capability's real task handler instead of its fake (once its steps exist)."""
        self.aws.router.handlers[function] = self.faults.wrap(handler)

    # ------------------------------------------------------------------ feeds
    def feed(self, envelopes: list[dict[str, Any]]) -> None:
        from transfer.consumer import handler
        assert handler(sqs_event(envelopes), FakeLambdaContext()) == {"batchItemFailures": []}

    def closed_file(self, file_id: str, *, org_id: str = ORG, retention: str = "permanent",
                    closed_on: str = "2014-05-10", reviewed_on: str | None = RECENT, unit: str = "Finance Division",
                    class_code: str = "FIN-01", components: int = 2, custody: str | None = "records_centre") -> None:
        """What records publishes for a file filed, closed, (reclassified) and moved to the records centre;
        the fake records knows it too, with its components."""
        subjects = [{"kind": "record_file", "id": file_id, "org_id": org_id}]
        events = [
            {**envelope("records.records", "FileCreated",
                        {"file_id": file_id, "title": f"File {file_id}", "producing_unit": unit,
                         "class_code": class_code, "status": "open"}, subjects),
             "occurred_at": f"{closed_on[:4]}-01-02T00:00:00.000Z"},
            {**envelope("records.records", "FileClosed",
                        {"file_id": file_id, "closed_on": closed_on, "production_year": int(closed_on[:4]),
                         "retention": retention, "action": "transfer", "disposal_due": None}, subjects),
             "occurred_at": f"{closed_on}T01:00:00.000Z"},
        ]
        if reviewed_on:
            events.append({**envelope("records.records", "AccessChanged",
                                      {"file_id": file_id, "access": {"classification": "closed", "grounds": [1]},
                                       "reason": "reclassified before transfer"}, subjects),
                           "occurred_at": f"{reviewed_on}T00:00:00.000Z"})
        if custody:
            events.append(envelope("records.records", "FileCustodyChanged",  # records' payload: the custody's holder
                                   {"file_id": file_id, "custody": {"holder": custody, "transfer_id": "T-earlier"},
                                    "previous": {"holder": "producing_unit"}}, subjects))
        self.feed(events)
        self.records.add(org_id, file_id, components)

    def hold(self, file_ids: list[str], org_id: str = ORG, hold_id: str | None = None) -> str:
        hold_id = hold_id or str(uuid.uuid4())
        self.feed([envelope("records.disposal", "HoldPlaced",
                            {"id": hold_id, "status": "active",
                             "scope": {"files": file_ids, "class_codes": [], "producing_units": []}},
                            [{"kind": "disposal_hold", "id": hold_id, "org_id": org_id}])])
        return hold_id

    def organisation(self, org_id: str, type_: str) -> None:
        self.feed([envelope("records.identity", "OrganisationCreated",
                            {"id": org_id, "name": org_id.title(), "type": type_, "status": "active"},
                            [{"kind": "organisation", "id": org_id, "org_id": org_id}])])

    # ------------------------------------------------------------------ calls
    def post(self, resource: str, body: dict | None = None, *, who=ARCHIVIST, expect: int = 201,
             key: str | None = None, version: int | None = None, **kwargs):
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        return self.ok("POST", resource, body=body, who=who, expect=expect, headers=headers, **kwargs)

    def draft(self, file_ids: list[str], kind: str = "to_archive", receiver: str | None = ARCHIVE, **kw) -> dict:
        body = {"kind": kind, "file_ids": file_ids} | ({"receiver_org": receiver} if receiver else {})
        return self.post("/transfers", body, **kw)

    def get(self, transfer_id: str, who=ARCHIVIST, expect: int = 200) -> dict:
        return self.ok("GET", "/transfers/{transfer_id}", path={"transfer_id": transfer_id}, who=who, expect=expect)

    def files(self, transfer_id: str, who=ARCHIVIST) -> list[dict]:
        return self.ok("GET", "/transfers/{transfer_id}/files", path={"transfer_id": transfer_id}, who=who,
                       query={"limit": "100"})["items"]

    def send(self, transfer: dict) -> tuple[dict, dict]:
        """POST send (202), wait for the package saga; (the transfer after it, the execution)."""
        self.post("/transfers/{transfer_id}/send", who=ARCHIVIST, expect=202, version=transfer["version"],
                  path={"transfer_id": transfer["id"]})
        run = self.wait("transfer-package", f"package-{transfer['id']}")
        return self.get(transfer["id"]), run

    def inspect(self, transfer_id: str, file_id: str, outcome: str, reason: str | None = None,
                who=ARCHIVE_ARCHIVIST, expect: int = 200) -> dict:
        version = next(f for f in self.files(transfer_id, who=who) if f["file_id"] == file_id)["version"]
        body = {"outcome": outcome} | ({"reason": reason} if reason else {})
        return self.post("/transfers/{transfer_id}/files/{file_id}/inspection", body, who=who, expect=expect,
                         version=version, path={"transfer_id": transfer_id, "file_id": file_id})

    def accept(self, transfer_id: str, who=ARCHIVE_ARCHIVIST) -> tuple[dict, dict]:
        current = self.get(transfer_id, who=who)
        started = self.post("/transfers/{transfer_id}/accept", who=who, expect=202, version=current["version"],
                            path={"transfer_id": transfer_id})
        run = self.wait("transfer-accept", f"accept-{transfer_id}-{self._attempts(started)}")
        return self.get(transfer_id, who=who), run

    def _attempts(self, started: dict) -> int:
        from transfer.data import transfers
        return transfers.get_transfer(started["sender_org"], started["id"]).accept_attempts

    # ------------------------------------------------------------------ sagas
    def wait(self, machine: str, name: str, deadline_s: float = 120.0) -> dict[str, Any]:
        """Poll one execution to its end (synchronisation with a deadline, not a sleep)."""
        return wait_for_execution(self.aws, machine, name, deadline_s)

    def states_entered(self, run: dict) -> list[str]:
        return [e["stateEnteredEventDetails"]["name"] for e in self.aws.history(run["executionArn"])
                if "stateEnteredEventDetails" in e]

    def download(self, prefix: str, into) -> None:
        s3 = boto3.client("s3")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix + "/"):
            for obj in page.get("Contents") or []:
                target = into / obj["Key"][len(prefix) + 1:]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read())


@pytest.fixture
def transfer(aws, monkeypatch) -> TransferWorld:
    """An empty transfer table and packages bucket in the integration world; the sagas' other steps answered by
    the contract fakes."""
    from tests.integration.stacks_world import _serialise_moto_writes
    from transfer import tasks
    from transfer.data import packages
    from transfer.integration import workflows
    _serialise_moto_writes(monkeypatch)
    empty_table(aws, monkeypatch, "TransferTable", "transfer")
    s3 = boto3.client("s3")
    if BUCKET in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=BUCKET):
            for v in (page.get("Versions") or []) + (page.get("DeleteMarkers") or []):
                s3.delete_object(Bucket=BUCKET, Key=v["Key"], VersionId=v["VersionId"])
    else:
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv("TRANSFER_BUCKET", BUCKET)
    monkeypatch.setenv("TRANSFER_PACKAGE_STATE_MACHINE_ARN", aws.machine_arns["transfer-package"])
    monkeypatch.setenv("TRANSFER_ACCEPT_STATE_MACHINE_ARN", aws.machine_arns["transfer-accept"])
    workflows._client.cache_clear()
    packages._client.cache_clear()
    faults, records, audit, stacks = Faults(), FakeRecords(), FakeAudit(), FakeStacks()
    aws.router.handlers["TransferTasksFunction"] = faults.wrap(tasks.handler)
    aws.router.handlers["RecordsTasksFunction"] = faults.wrap(records.handler)
    aws.router.handlers["RecordsTransferFunction"] = faults.wrap(records.handler)
    aws.router.handlers["AuditTasksFunction"] = faults.wrap(lambda e, c: audit.handler(e, c))
    aws.router.handlers["StacksTasksFunction"] = faults.wrap(stacks.handler)
    world = TransferWorld(aws, faults, records, audit, stacks)
    world.organisation(ARCHIVE, "permanent_archive")
    world.organisation(ORG, "records_centre")
    yield world
    aws.wait_until_idle(deadline_s=120)
    workflows._client.cache_clear()
    packages._client.cache_clear()


def three_files(transfer: "TransferWorld") -> "TransferWorld":
    """F-1, F-2 and F-3 closed at the sender; B-12 holds F-1 and F-2, B-3 holds F-3."""
    for fid in ("F-1", "F-2", "F-3"):
        transfer.closed_file(fid)
    transfer.stacks.add(ORG, "B-12", ["F-1", "F-2"])
    transfer.stacks.add(ORG, "B-3", ["F-3"])
    return transfer
