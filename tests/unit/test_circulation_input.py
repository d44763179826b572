"""Circulation's request route refuses bodies its schema rejects before reading or writing anything.

The real handler, no AWS behind it (tests/support/offline.py). Refusals that need the
organisation's clock or policy, and one schema case, stay in
tests/integration/test_circulation_api.py, through moto.
"""
from __future__ import annotations

import pytest

from tests.integration.circulation_world import REQUESTER, request_body


@pytest.mark.parametrize("change, status, problem", [
    ({"extra": 1}, 400, "validation-failed"),
])
def test_bad_requests_are_refused_and_write_nothing(offline, change, status, problem):
    got, body, headers = offline.call("circulation", "POST", "/circulation/requests", who=REQUESTER,
                                      body={**request_body("box-1"), **change})
    assert got == status and body["type"].endswith("/" + problem), body
    assert headers["content-type"] == "application/problem+json"


def test_malformed_json_is_a_400(offline):
    status, body, _ = offline.call("circulation", "POST", "/circulation/requests", who=REQUESTER,
                                   raw_body="{not json")
    assert status == 400 and body["type"].endswith("/malformed-request")
