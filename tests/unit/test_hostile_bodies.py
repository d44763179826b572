"""Bodies JSON allows but storage cannot hold are 400 problems before anything is read or written.

Through the real handlers with no AWS behind them (tests/support/offline.py): any AWS call
fails the test, so "writes nothing and publishes nothing" holds by construction. Seen before:
1,000 nested `[` was a 500 (RecursionError), and a lone surrogate in a title was a 503 after
the outbox event of a box that was never stored had been streamed.
"""
from __future__ import annotations

import pytest

from tests.integration.stacks_world import MANAGER

BOX = '{"barcode": "B-1", "container_profile_id": "p", "producing_unit": "Finance", "record_form": "document"'


@pytest.mark.parametrize("raw", [
    pytest.param("[" * 1000 + "]" * 1000, id="1000-nested-arrays"),
    pytest.param('{"a":' * 5000 + "1" + "}" * 5000, id="5000-nested-objects"),
    pytest.param(BOX + ', "title": ' + "[" * 40 + "]" * 40 + "}", id="40-deep-inside-a-field"),
])
def test_deep_nesting_is_a_400_problem(offline, raw):
    status, body, headers = offline.call("stacks", "POST", "/boxes", raw_body=raw, who=MANAGER)

    assert status == 400, body
    assert {k.lower(): v for k, v in headers.items()}["content-type"] == "application/problem+json"


def test_a_lone_surrogate_is_a_400_naming_every_field_that_has_one(offline):
    raw = BOX + r', "title": "\ud800", "description": "ok \udfff ok"}'

    status, body, _ = offline.call("stacks", "POST", "/boxes", raw_body=raw, who=MANAGER)

    assert status == 400, body
    assert {e["field"] for e in body["errors"]} == {"title", "description"}


def test_a_paired_surrogate_escape_is_ordinary_text(offline):
    # "\ud83d\udce6" is one character (📦): valid, so the request gets past the body checks
    # and reaches the table — which this offline handler refuses to call.
    raw = BOX + r', "title": "\ud83d\udce6"}'

    status, _, _ = offline.call("stacks", "POST", "/boxes", raw_body=raw, who=MANAGER)

    assert status != 400 and offline.aws_calls  # it got as far as the table
    offline.aws_calls.clear()
