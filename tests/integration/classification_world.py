"""Shared set-up of the classification integration tests: the real handler against moto.

`classification` (fixture) gives the test an empty classification table built from
template.yaml (in the process's moto world of tests/integration/conftest.py) and points
TABLE_NAME at it; the world's helpers call the handler as API Gateway does and read the
table back (items, outbox events). Import it into a test module to use it.
"""
from __future__ import annotations

import uuid

import pytest

from tests.support.worlds import CapabilityWorld, empty_table
from tests.support.events import claims

ORG = "org-alpha"
OTHER_ORG = "org-beta"
TABLE = "classification"
ARCHIVIST = claims("u-archivist", ORG, ["archivist"])
ADMIN = claims("u-admin", ORG, ["admin"])
REQUESTER = claims("u-requester", ORG, ["requester"])
MANAGER = claims("u-stacks", ORG, ["stack_manager"])
AUDITOR = claims("u-auditor", ORG, ["auditor"])
OTHER_ARCHIVIST = claims("u-beta-archivist", OTHER_ORG, ["archivist", "admin"])

HEADER = "level,code,parent_code,title,description,valid_from,valid_to,retention,action,access,grounds,notes"


def sheet(rows: list[str]) -> str:
    return "\r\n".join([HEADER, *rows]) + "\r\n"


def big_sheet(functions: int, subs: int, tasks: int) -> str:
    """functions × subs sub-functions × tasks unit tasks, every retention and access used."""
    rows, retentions = [], ["1y", "3y", "5y", "10y", "30y", "semi_permanent", "permanent"]
    for f in range(functions):
        rows.append(f"function,F{f:02d},,기능 {f},,,,,,,,")
        for s in range(subs):
            rows.append(f"sub_function,F{f:02d}-{s:02d},F{f:02d},중기능 {f}-{s},,,,,,,,")
            for t in range(tasks):
                retention = retentions[(f + s + t) % len(retentions)]
                access, grounds = [("open", ""), ("partly_open", "5"), ("closed", "1;7")][t % 3]
                action = "transfer" if retention in ("30y", "semi_permanent", "permanent") else "review"
                rows.append(f"unit_task,F{f:02d}-{s:02d}-{t:03d},F{f:02d}-{s:02d},단위과제 {f}-{s}-{t},설명,"
                            f"2020-01-01,,{retention},{action},{access},{grounds},")
    return sheet(rows)


class Classification(CapabilityWorld):
    """Calls the classification handler as API Gateway does and reads the table back."""

    table, app, caller = TABLE, "classification.app", ARCHIVIST

    # ------------------------------------------------------------------ steps
    def draft(self, who=ARCHIVIST) -> dict:
        return self.ok("POST", "/classification/versions", who=who, expect=201,
                       headers={"Idempotency-Key": f"draft-{uuid.uuid4()}"})

    def version(self, number: int, who=ARCHIVIST) -> dict:
        return self.ok("GET", "/classification/versions/{version}", path={"version": str(number)}, who=who)

    def node(self, number: int, body: dict, who=ARCHIVIST, expect: int = 201) -> dict:
        return self.ok("POST", "/classification/versions/{version}/nodes", path={"version": str(number)}, body=body,
                       who=who, expect=expect)

    def get_node(self, number: int, code: str, who=ARCHIVIST) -> dict:
        return self.ok("GET", "/classification/versions/{version}/nodes/{code}",
                       path={"version": str(number), "code": code}, who=who)

    def small_tree(self, number: int) -> None:
        """A function, a sub-function and two unit tasks (one closed on grounds 5 and 6, one permanent)."""
        self.node(number, {"level": "function", "code": "A", "title": "일반행정"})
        self.node(number, {"level": "sub_function", "code": "A01", "parent_code": "A", "title": "문서관리"})
        self.node(number, {"level": "unit_task", "code": "A01-001", "parent_code": "A01", "title": "기록물 등록",
                           "valid_from": "2020-01-01",
                           "rule": {"retention": "5y", "access": {"classification": "closed", "grounds": [6, 5]},
                                    "notes": "개인정보 포함"}})
        self.node(number, {"level": "unit_task", "code": "A01-002", "parent_code": "A01", "title": "기록관 운영",
                           "rule": {"retention": "permanent", "access": {"classification": "open"}}})

    def publish(self, number: int, who=ARCHIVIST, etag: int | None = None, key: str | None = None):
        etag = self.version(number)["version"] if etag is None else etag
        return self.call("POST", "/classification/versions/{version}/publish", path={"version": str(number)}, who=who,
                         headers={"If-Match": f'"{etag}"', "Idempotency-Key": key or f"publish-{uuid.uuid4()}"})

    def import_sheet(self, number: int, body: dict, who=ARCHIVIST, etag: int | None = None):
        etag = self.version(number)["version"] if etag is None else etag
        return self.call("POST", "/classification/versions/{version}/import", path={"version": str(number)},
                         who=who, body=body,
                         headers={"If-Match": f'"{etag}"', "Idempotency-Key": f"import-{uuid.uuid4()}"})

    def nodes(self, number: int, who=ARCHIVIST) -> list[dict]:
        found, cursor = [], None
        while True:
            query = {"limit": "100"} | ({"cursor": cursor} if cursor else {})
            page = self.ok("GET", "/classification/versions/{version}/nodes", path={"version": str(number)},
                           query=query, who=who)
            found += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return found

    # ------------------------------------------------------------------ reads


@pytest.fixture
def classification(aws, monkeypatch) -> Classification:
    """An empty classification table (as the template declares it) for the test."""
    empty_table(aws, monkeypatch, "ClassificationTable", TABLE)
    return Classification(aws)
