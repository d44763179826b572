"""Hostile inputs against every operation of the published document: never a 5xx.

Generators schemathesis does not make: bodies nested 1,000 deep, strings holding a lone
surrogate, `limit` written with digits that are not ASCII (², ①, ٣, 𝟓: Python's int()
and isdigit() take some of them), and methods API Gateway does not serve. Each must be a
4xx RFC 9457 problem (400 for the body and the parameter, 405 with Allow for the method),
against the running local system, as a caller of the route's own kind.
"""
from __future__ import annotations

import json
import re

import pytest

from infrastructure.api.build_openapi import DOCUMENT

pytestmark = pytest.mark.e2e
SPEC = json.loads(DOCUMENT.read_text(encoding="utf-8"))
PATHS = SPEC["paths"]


def _parameter(entry: dict) -> dict:
    if "$ref" in entry:  # "#/components/parameters/Limit"
        return SPEC["components"]["parameters"][entry["$ref"].rsplit("/", 1)[1]]
    return entry


OPERATIONS = [(path, method, op) for path, item in PATHS.items() for method, op in item.items()]
JSON_BODIES = [(p, m) for p, m, op in OPERATIONS if "application/json" in (op.get("requestBody") or {}).get("content", {})]
PAGINATED = [(p, m) for p, m, op in OPERATIONS if any(_parameter(q).get("name") == "limit" for q in op.get("parameters", []))]
assert JSON_BODIES and PAGINATED, "the document lists no JSON bodies or no paginated operations"
DEEP = b"[" * 1000 + b"]" * 1000
SURROGATE = b'{"name": "\\ud800", "title": "\\udfff", "reason": "\\ud800"}'
ODD_DIGITS = ["%C2%B2", "%E2%91%A0", "%D9%A3", "%F0%9D%9F%93"]  # ², ①, ٣, 𝟓


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _headers(system, path: str, method: str, tokens: dict) -> dict[str, str]:
    security = next(iter(PATHS[path][method]["security"][0]))
    if security == "PartnerApiKey":
        return {"X-Api-Key": system.api_key}
    return {"Authorization": f"Bearer {tokens['staff']}"}


@pytest.fixture(scope="module")
def tokens(local_system):
    return {"staff": local_system.token("admin@src")}


def _assert_problem(response, where: str, expected: int | None = None) -> None:
    assert response.status < 500, f"{where} → {response.status}: {response.body[:300]!r}"
    assert 400 <= response.status, f"{where} → {response.status}"
    if expected is not None:
        assert response.status == expected, f"{where} → {response.status}: {response.body[:300]!r}"
    assert response.content_type == "application/problem+json", where


@pytest.mark.parametrize("path, method", JSON_BODIES, ids=[f"{m.upper()} {p}" for p, m in JSON_BODIES])
def test_deeply_nested_and_surrogate_bodies_are_problems(local_system, tokens, path, method):
    headers = {**_headers(local_system, path, method, tokens), "Content-Type": "application/json",
               "If-Match": '"1"'}
    for body in (DEEP, SURROGATE):
        response = local_system.request(method.upper(), _url(path), body=body, headers=headers)
        _assert_problem(response, f"{method.upper()} {path} with {body[:12]!r}")


@pytest.mark.parametrize("path, method", PAGINATED, ids=[f"{m.upper()} {p}" for p, m in PAGINATED])
def test_limit_in_digits_that_are_not_ascii_is_400(local_system, tokens, path, method):
    for digits in ODD_DIGITS:
        response = local_system.request(method.upper(), f"{_url(path)}?limit={digits}",
                                        headers=_headers(local_system, path, method, tokens))
        _assert_problem(response, f"{method.upper()} {path}?limit={digits}", expected=400)


@pytest.mark.parametrize("path", list(PATHS))
def test_methods_the_api_does_not_serve_are_405_with_allow(local_system, tokens, path):
    for method in ("TRACE", "PROPFIND"):
        response = local_system.request(method, _url(path), headers={"Authorization": f"Bearer {tokens['staff']}"})
        _assert_problem(response, f"{method} {path}", expected=405)
        assert response.headers["Allow"]
