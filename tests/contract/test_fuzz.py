"""Fuzz every operation of the published document against the running local system.

GIVEN infrastructure/api/openapi.json and the system started by tests/e2e's session fixture
WHEN schemathesis sends valid and invalid requests to every operation (bounded, derandomized)
THEN no answer is a 5xx, every 4xx is an RFC 9457 problem document, and every answer is
one the document declares (status, media type, headers, body schema).

The fuzzer cannot change shared data: it calls as an organisation admin (not a
sysadmin, so it cannot create organisations), and only safe (GET) requests are pointed
at the caller's own organisation and user; every other request keeps its generated ids
and is answered 404 once it has been parsed, validated and authorised.
"""
from __future__ import annotations

from dataclasses import dataclass
import itertools
import json

import jwt
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from infrastructure.api.build_openapi import DOCUMENT

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 15  # per operation in the fuzzing phase: ~900 requests, ~15 s with start-up on 2 cores
CONFIG = schemathesis.Config.from_dict({
    "seed": 20250101,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "no-shrink": True, "database": "none"},
    "phases": {
        # Boundary values of every parameter and body field, and the methods a path does not declare
        # (only those API Gateway accepts at all: it never forwards TRACE or QUERY).
        "coverage": {"enabled": True, "unexpected-methods": ["get", "put", "post", "delete", "patch"]},
        "stateful": {"enabled": False},
    },
})
schema = schemathesis.openapi.from_path(DOCUMENT, config=CONFIG)
# Security scheme by path: every method of a path shares it (undeclared methods are probed too).
SECURITY = {path: next(iter(op["security"][0]))
            for path, item in json.loads(DOCUMENT.read_text(encoding="utf-8"))["paths"].items()
            for op in item.values()}
# No 5xx; and every answer is one the document declares: status, media type, headers and body schema.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
PROBLEM_TYPES = "https://records.example/problems/"
FUZZ_USER = "admin@moc"  # a demo organisation admin (infrastructure/local/demo.py), not a sysadmin
_turn = itertools.count()


@dataclass(frozen=True)
class FuzzCaller:
    base_url: str
    token: str
    api_key: str
    org_id: str | None
    user_id: str

    def headers_for(self, security: str) -> dict[str, str]:
        if security == "PartnerApiKey":
            return {"X-Api-Key": self.api_key}
        return {"Authorization": f"Bearer {self.token}"}

    def own_ids(self) -> dict[str, str]:
        return {"org_id": self.org_id, "user_id": self.user_id, "entity_id": self.org_id} if self.org_id else {}


@pytest.fixture(scope="session")
def fuzz_caller(local_system) -> FuzzCaller:
    token = local_system.token(FUZZ_USER)
    claims = jwt.decode(token, options={"verify_signature": False})
    return FuzzCaller(base_url=local_system.base_url.rstrip("/"), token=token, api_key=local_system.api_key,
                      org_id=claims.get("custom:org_id"), user_id=claims.get("cognito:username") or claims["sub"])


@schema.parametrize()
def test_no_server_error_and_every_client_error_is_a_problem(case, fuzz_caller):
    if case.method.upper() == "GET" and case.path_parameters and next(_turn) % 2 == 0:
        own = fuzz_caller.own_ids()
        case.path_parameters = {name: own.get(name, value) for name, value in case.path_parameters.items()}

    if isinstance(case.query, dict) and str(case.query.get("wait", "")).isdigit():
        case.query["wait"] = min(int(case.query["wait"]), 1)  # the feed's long poll: fuzzed, not waited for 20 s
    response = case.call(base_url=fuzz_caller.base_url, timeout=30,
                         headers=fuzz_caller.headers_for(SECURITY[case.path]))

    case.validate_response(response, checks=CHECKS)
    if 400 <= response.status_code < 500:
        media_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
        where = f"{case.method} {case.formatted_path} → {response.status_code}"
        assert media_type == "application/problem+json", f"{where} answered {media_type!r}: {response.text[:300]}"
        problem = response.json()
        assert problem.get("status") == response.status_code, f"{where}: {problem}"
        assert str(problem.get("type", "")).startswith(PROBLEM_TYPES), f"{where}: {problem}"
        assert problem.get("title") and problem.get("detail"), f"{where}: {problem}"
