"""Handlers called in process with no AWS behind them: a request that reaches AWS fails the test.

For the unit layer's bad-input cases. A request the schema refuses is answered before the
handler reads or writes anything, so "writes nothing" holds by construction — and any
call to DynamoDB, Cognito or Step Functions raises here instead of leaving the process.
The integration layer keeps a case or two per route through moto to show the same wiring.
"""
from __future__ import annotations

import importlib
from typing import Any

import botocore.endpoint
import pytest

from tests.support.events import call_api

# What the functions read at import (as the integration layer sets them), pointing nowhere.
ENV = {
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_METRICS_NAMESPACE": "RecordsTest",
    "INVITATION_MESSAGE_ACTION": "SUPPRESS", "USER_POOL_ID": "us-east-1_offline",
}


class AwsCalled(AssertionError):
    """The handler tried to reach AWS: the request was not refused before any read or write."""


class Offline:
    def __init__(self) -> None:
        self.aws_calls: list[str] = []

    def call(self, capability: str, method: str, resource: str, **kwargs: Any):
        """(status, body, headers) of `<capability>.app.handler` called as API Gateway calls it."""
        handler = importlib.import_module(f"{capability}.app").handler
        return call_api(handler, method, resource, **kwargs)


@pytest.fixture
def offline(monkeypatch) -> Offline:
    """Call handlers with every AWS request refused (and recorded, in case a handler swallows the error)."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    world = Offline()

    def refuse(endpoint, request, *args, **kwargs):
        world.aws_calls.append(f"{request.method} {request.url}")
        raise AwsCalled(f"AWS was called: {request.method} {request.url}")

    monkeypatch.setattr(botocore.endpoint.Endpoint, "_send", refuse)
    yield world
    assert world.aws_calls == [], world.aws_calls
