"""Shared set-up of the partners integration tests: the real partners handlers against moto.

`partners` (fixture) points TABLE_NAME at the partners table, empties the partner authorizer's
look-up cache and gives the steps every test takes: an admin registers a client and issues it a
key, the partner authorizer is asked about a key (as API Gateway asks it), and a partner route is
called with what the authorizer answered.
"""
from __future__ import annotations

from typing import Any

import pytest

from tests.support.events import FakeLambdaContext, call_api, claims

ORG, OTHER_ORG = "org-alpha", "org-beta"
ADMIN = claims("u-admin", ORG, ["admin"])
AUDITOR = claims("u-auditor", ORG, ["auditor"])
ARCHIVIST = claims("u-archivist", ORG, ["archivist"])
OTHER_ADMIN = claims("u-beta-admin", OTHER_ORG, ["admin"])
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:recordsapi/v1/GET/partners/feed"
CLIENT = {"name": "Scanner Co. cart", "contact": {"name": "Park", "email": "park@scanner.example"},
          "scopes": ["scans:write", "feed:read", "directory:read"], "event_types": ["inventory.*"],
          "quota": {"per_minute": 30, "per_day": 1000}}


class Partners:
    def __init__(self, aws) -> None:
        self.aws = aws

    def call(self, method: str, resource: str, *, who: dict[str, str] | None = ADMIN, **kwargs: Any):
        from partners.app import handler
        return call_api(handler, method, resource, who=who, **kwargs)

    def ok(self, *args, expect: int = 200, **kwargs):
        status, body, _ = self.call(*args, **kwargs)
        assert status == expect, (status, body)
        return body

    def client(self, who=ADMIN, **changes) -> dict[str, Any]:
        return self.ok("POST", "/partners/clients", body={**CLIENT, **changes}, who=who, expect=201)

    def issue(self, client: dict[str, Any], who=ADMIN, **body) -> dict[str, Any]:
        return self.ok("POST", "/partners/clients/{client_id}/keys", path={"client_id": client["id"]}, body=body,
                       who=who, expect=201)

    def revoke(self, client: dict[str, Any], key_id: str) -> dict[str, Any]:
        return self.ok("POST", "/partners/clients/{client_id}/keys/{key_id}/revoke",
                       path={"client_id": client["id"], "key_id": key_id})

    def keys(self, client: dict[str, Any]) -> list[dict[str, Any]]:
        return self.ok("GET", "/partners/clients/{client_id}/keys", path={"client_id": client["id"]})["items"]

    @staticmethod
    def authorize(secret: str | None, method_arn: str = METHOD_ARN) -> dict[str, Any] | str:
        """The partner authorizer's answer, as API Gateway receives it: its context, or "Unauthorized"."""
        from partners.authorizer import handler
        event = {"type": "REQUEST", "methodArn": method_arn, "resource": "/partners/feed", "path": "/partners/feed",
                 "httpMethod": "GET", "headers": {"X-Api-Key": secret} if secret is not None else {},
                 "queryStringParameters": None, "pathParameters": None, "requestContext": {}}
        try:
            answer = handler(event, FakeLambdaContext())
        except Exception as refused:  # noqa: BLE001 - API Gateway reads the message
            assert str(refused) == "Unauthorized"
            return "Unauthorized"
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        return answer["context"]

    def snapshot(self) -> list[dict[str, Any]]:
        """Every item of the partners table but quota counters (to show that a call wrote nothing)."""
        items = self.aws.ddb.scan(TableName="partners", ConsistentRead=True)["Items"]
        return sorted((i for i in items if not i["pk"]["S"].startswith("QUOTA#")), key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


@pytest.fixture
def partners(aws, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "partners")
    monkeypatch.setenv("PARTNER_USAGE_KEY", "partners-outer-guard-test")
    from partners.logic import access
    access.forget()
    yield Partners(aws)
    access.forget()
