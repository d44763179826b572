"""Shared set-up of the disposal integration tests: the real handlers against moto.

`disposal` (fixture) gives the integration world an empty disposal table built from template.yaml and points
TABLE_NAME at it. Records' file events are fed through the real SQS consumer in the envelope the outbox relay
publishes (`closed_file` sends what records publishes when a file is filed and closed); `run_job` fires the
scheduled job as its schedule does.
"""
from __future__ import annotations

from typing import Any
import uuid

import pytest

from tests.integration.inventory_world import sqs_event
from tests.integration.records_world import envelope
from tests.support.worlds import CapabilityWorld, empty_table
from tests.support.events import FakeLambdaContext, claims

ORG = "org-alpha"
OTHER_ORG = "org-beta"
ARCHIVIST = claims("u-archivist", ORG, ["archivist"])
ADMIN = claims("u-admin", ORG, ["admin"])
AUDITOR = claims("u-auditor", ORG, ["auditor"])
REQUESTER = claims("u-requester", ORG, ["requester"])
OTHER_ARCHIVIST = claims("u-beta-archivist", OTHER_ORG, ["archivist", "admin"])


def file_events(file_id: str, *, org_id: str = ORG, unit: str = "Finance Division", class_code: str = "FIN-01",
                retention: str = "5y", action: str = "review", closed_on: str = "2026-03-10",
                disposal_due: str | None = "2032-01-01") -> list[dict[str, Any]]:
    """What records publishes for a file filed and then closed (contracts: records → others)."""
    subjects = [{"kind": "record_file", "id": file_id, "org_id": org_id}]
    return [
        {**envelope("records.records", "FileCreated",
                    {"file_id": file_id, "title": f"File {file_id}", "producing_unit": unit, "class_code": class_code,
                     "scheme_version": 1, "status": "open", "electronic": True, "record_type": "general_document"},
                    subjects), "occurred_at": f"{closed_on}T00:00:00.000Z"},
        {**envelope("records.records", "FileClosed",
                    {"file_id": file_id, "closed_on": closed_on, "production_year": int(closed_on[:4]),
                     "retention": retention, "disposal_due": disposal_due, "action": action}, subjects),
         "occurred_at": f"{closed_on}T01:00:00.000Z"},
    ]


class Disposal(CapabilityWorld):
    table, app, caller = "disposal", "disposal.app", ARCHIVIST
    snapshot = CapabilityWorld.keys  # its tests compare which items exist

    def post(self, resource: str, body: dict, *, who=ARCHIVIST, expect: int = 201, key: str | None = None,
             version: int | None = None, **kwargs):
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        return self.ok("POST", resource, body=body, who=who, expect=expect, headers=headers, **kwargs)

    def feed(self, envelopes: list[dict[str, Any]]) -> dict[str, Any]:
        from disposal.consumer import handler
        return handler(sqs_event(envelopes), FakeLambdaContext())

    def closed_file(self, file_id: str, **kwargs) -> None:
        assert self.feed(file_events(file_id, **kwargs)) == {"batchItemFailures": []}

    def run_job(self, today: str) -> dict[str, Any]:
        from disposal.tasks import handler
        return handler({"job": "build_review_lists", "today": today}, FakeLambdaContext())

    # ----------------------------------------------------------- committee
    def committee(self, *names: str) -> list[str]:
        return [self.post("/disposal/committee/members", {"name": n, "kind": "external", "affiliation": "University"}
                          )["id"] for n in names]

    def meeting(self, present: list[str], held_on: str = "2032-02-01") -> dict:
        return self.post("/disposal/committee/meetings", {"held_on": held_on, "present": present})

    def entry(self, list_id: str, file_id: str) -> dict:
        return self.ok("GET", "/disposal/review-lists/{list_id}/files/{file_id}",
                       path={"list_id": list_id, "file_id": file_id})

    def step(self, list_id: str, file_id: str, step: str, body: dict, *, who=ARCHIVIST, expect: int = 200):
        version = self.entry(list_id, file_id)["version"]
        return self.post(f"/disposal/review-lists/{{list_id}}/files/{{file_id}}/{step}", body, who=who, expect=expect,
                         version=version, path={"list_id": list_id, "file_id": file_id})

    # --------------------------------------------------------------- reads


@pytest.fixture
def disposal(aws, monkeypatch) -> Disposal:
    """An empty disposal table in the integration world (built from template.yaml), atomic writes as DynamoDB's."""
    from tests.integration.stacks_world import _serialise_moto_writes
    _serialise_moto_writes(monkeypatch)
    empty_table(aws, monkeypatch, "DisposalTable", "disposal")
    return Disposal(aws)
