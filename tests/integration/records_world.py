"""Shared set-up of the records integration tests: the real handlers against moto.

`records` (fixture) gives the integration world an empty records table built from template.yaml
and points TABLE_NAME at it. Classification's scheme events and stacks' box events are fed through
the real SQS consumer, in the envelope the outbox relay publishes (`scheme` publishes a version as
classification does: a UnitTaskPublished per unit task, then SchemeVersionPublished).
"""
from __future__ import annotations

from typing import Any, Iterable
import uuid

import pytest

from tests.integration.inventory_world import sqs_event
from tests.support.worlds import CapabilityWorld, empty_table
from tests.support.events import FakeLambdaContext, claims

ORG = "org-alpha"
OTHER_ORG = "org-beta"
ARCHIVIST = claims("u-archivist", ORG, ["archivist"])
ADMIN = claims("u-admin", ORG, ["admin"])
AUDITOR = claims("u-auditor", ORG, ["auditor"])
REQUESTER = claims("u-requester", ORG, ["requester"])
STACK_MANAGER = claims("u-stacks", ORG, ["stack_manager"])
OTHER_ARCHIVIST = claims("u-beta-archivist", OTHER_ORG, ["archivist", "admin"])


def envelope(source: str, type_: str, payload: dict[str, Any], subjects: list[dict[str, Any]],
             event_id: str | None = None) -> dict[str, Any]:
    return {"id": event_id or str(uuid.uuid4()), "type": type_, "source": source, "schema_version": 1,
            "subjects": subjects, "payload": payload, "actor": {"user_id": "u-someone"}, "correlation_id": None,
            "occurred_at": "2026-01-01T00:00:00.000Z"}


def rule(retention: str = "5y", action: str | None = None, access: str = "open",
         grounds: Iterable[int] = ()) -> dict[str, Any]:
    transfer = retention in ("30y", "semi_permanent", "permanent")
    return {"retention": retention, "trigger": "year_after_closing",
            "action": action or ("transfer" if transfer else "review"),
            "access": {"classification": access, "grounds": list(grounds)}, "notes": None}


def scheme_events(version: int, tasks: dict[str, dict[str, Any]], org_id: str = ORG) -> list[dict[str, Any]]:
    """What classification publishes for version `version`: each unit task (code → rule), then the version."""
    events = [envelope("records.classification", "UnitTaskPublished",
                       {"scheme_version": version, "code": code, "title": f"Unit task {code}",
                        "path": [{"level": "function", "code": code[:2], "title": "Finance"}],
                        "valid_from": None, "valid_to": None, "rule": task_rule},
                       [{"kind": "unit_task", "id": code, "org_id": org_id}])
              for code, task_rule in tasks.items()]
    events.append(envelope("records.classification", "SchemeVersionPublished",
                           {"scheme_version": version, "unit_task_count": len(tasks),
                            "published_at": "2026-01-01T00:00:00.000Z"},
                           [{"kind": "classification_scheme", "id": org_id, "org_id": org_id}]))
    return events


class Records(CapabilityWorld):
    table, app, caller = "records", "records.app", ARCHIVIST
    snapshot = CapabilityWorld.keys  # its tests compare which items exist

    def feed(self, envelopes: list[dict[str, Any]]) -> dict[str, Any]:
        from records.consumer import handler
        return handler(sqs_event(envelopes), FakeLambdaContext())

    def scheme(self, version: int = 1, tasks: dict[str, dict[str, Any]] | None = None, org_id: str = ORG) -> None:
        tasks = tasks if tasks is not None else {"FIN-01": rule("5y"), "FIN-02": rule("permanent", access="closed",
                                                                                         grounds=[2])}
        assert self.feed(scheme_events(version, tasks, org_id)) == {"batchItemFailures": []}

    # --------------------------------------------------------------- steps
    def file(self, class_code: str = "FIN-01", who=ARCHIVIST, key: str | None = None, **extra) -> dict:
        body = {"class_code": class_code, "title": "Budget 2026", "producing_unit": "Finance Division",
                "record_type": "general_document", "electronic": True, **extra}
        return self.ok("POST", "/records/files", body=body, who=who, expect=201,
                       headers={"Idempotency-Key": key} if key else None)

    def get(self, file_id: str, who=ARCHIVIST) -> dict:
        return self.ok("GET", "/records/files/{file_id}", path={"file_id": file_id}, who=who)

    def close(self, file: dict, who=ARCHIVIST, **body):
        return self.call("POST", "/records/files/{file_id}/close", path={"file_id": file["id"]}, body=body,
                         headers={"If-Match": f'"{file["version"]}"'}, who=who)

    # ------------------------------------------------------------------ reads


@pytest.fixture
def records(aws, monkeypatch) -> Records:
    """An empty records table in the integration world (built from template.yaml), atomic writes as DynamoDB's."""
    from tests.integration.stacks_world import _serialise_moto_writes
    _serialise_moto_writes(monkeypatch)
    empty_table(aws, monkeypatch, "RecordsTable", "records")
    return Records(aws)
