"""Identity's organisation route refuses bodies its schema rejects before reading or writing anything.

The real handler, no AWS behind it (tests/support/offline.py); malformed JSON and a missing
field stay in tests/integration/test_identity_api.py, through moto.
"""
from __future__ import annotations

import pytest

from tests.support.events import claims

SYSADMIN = claims("u-root", "org-root", ["sysadmin", "admin"])


@pytest.mark.parametrize("raw, field", [
    ('{"name": 7, "type": "agency"}', "name"),                        # wrong type
    ('{"name": "A", "type": "agency", "colour": "red"}', "colour"),  # unknown field
    ('{"name": "A", "type": "museum"}', "type"),                      # not an allowed value
    ('[]', "body"),                                                   # not an object
    ('{"name": "A", "type": "agency", "x": NaN}', "body"),            # not JSON
])
def test_bad_bodies_get_400_problems_and_write_nothing(offline, raw, field):
    status, body, headers = offline.call("identity", "POST", "/organisations", who=SYSADMIN, raw_body=raw)
    assert status == 400, body
    assert headers["content-type"] == "application/problem+json"
    assert body["status"] == 400 and body["type"].rsplit("/", 1)[1] in ("malformed-request", "validation-failed")
    if body["type"].endswith("validation-failed"):
        assert body["errors"][0]["field"] == field
