"""The HTTP layer's one way to read query parameters and to answer: query declarations,
paging replies, report formats and stage-relative Location headers."""
from __future__ import annotations

import pytest

from shared.concurrency import expected_version
from shared.http import base_path, negotiate, page
from shared.pagination import CURSOR, LIMIT, PAGE
from shared.problems import PreconditionFailed, ValidationFailed
from shared.query import param, read

KIND = param("kind", {"type": "string", "enum": ["range", "shelf"], "default": "range"}, "Which level.")
COUNT = param("count", {"type": "integer", "minimum": 1, "maximum": 500}, "How many.")
AT = param("location_id", {"type": "string", "pattern": "^R[0-9]{2}$"}, "Where.", required=True)


def test_declared_parameters_are_validated_converted_and_defaulted():
    assert read({}, PAGE) == {"limit": 25, "cursor": None}
    assert read({"limit": "7", "cursor": "abc"}, PAGE) == {"limit": 7, "cursor": "abc"}
    assert read({"count": "500"}, [COUNT, KIND]) == {"count": 500, "kind": "range"}


@pytest.mark.parametrize("raw", ["²", "①", "٣", "𝟓", "1²", "+5", "5 ", "", "0x10", "1e2"])
def test_only_ascii_digits_make_an_integer(raw):
    """'²'.isdigit() is True in Python and int('٣') == 3: neither may pass as a page size."""
    with pytest.raises(ValidationFailed) as refused:
        read({"limit": raw}, [LIMIT])
    assert refused.value.status == 400
    assert refused.value.errors == [{"field": "limit", "message": "not an integer"}]


@pytest.mark.parametrize("etag", ['"²"', 'W/"①"', '"٣"', '"𝟓"'])
def test_an_if_match_of_other_digits_is_412_not_a_crash(etag):
    with pytest.raises(PreconditionFailed):
        expected_version(etag)


@pytest.mark.parametrize("raw", ["0", "101", "-1"])
def test_integers_out_of_range_name_the_parameter(raw):
    with pytest.raises(ValidationFailed) as refused:
        read({"limit": raw}, [LIMIT, CURSOR])
    assert [e["field"] for e in refused.value.errors] == ["limit"]


def test_unknown_missing_and_invalid_parameters_are_all_named():
    with pytest.raises(ValidationFailed) as refused:
        read({"colour": "red"}, PAGE)
    assert refused.value.detail == "Unknown query parameter: colour"
    with pytest.raises(ValidationFailed) as refused:
        read({"colour": "red", "kind": "moon", "count": "x"}, [KIND, COUNT, AT])
    assert [e["field"] for e in refused.value.errors] == ["colour", "kind", "count", "location_id"]


def test_a_page_renders_entities_and_plain_items():
    class Entity:
        def public(self):
            return {"id": "e"}

    assert page([Entity(), {"id": "d"}], "next").body == {"items": [{"id": "e"}, {"id": "d"}], "next_cursor": "next"}
    assert page([Entity()], None, render=lambda e: "x").body == {"items": ["x"], "next_cursor": None}


@pytest.mark.parametrize("requested, accept, fmt", [
    (None, None, "json"), ("csv", "image/svg+xml", "csv"), (None, "text/csv", "csv"),
    (None, "image/svg+xml;q=0.9", "svg"), (None, "application/json", "json"),
])
def test_report_format_is_the_query_then_accept_then_json(requested, accept, fmt):
    assert negotiate(requested, accept) == fmt


def _event(called: str, path: str, resource: str, params: dict[str, str] | None = None) -> dict:
    return {"resource": resource, "path": path, "pathParameters": params,
            "requestContext": {"path": called, "stage": "v1"}}


@pytest.mark.parametrize("event, base", [
    # https://{api}.execute-api.{region}.amazonaws.com/v1/boxes/b-1: path lacks the stage
    (_event("/v1/boxes/b-1", "/boxes/b-1", "/boxes/{box_id}", {"box_id": "b-1"}), "/v1"),
    # a custom domain mapped at its root: no stage in the URL
    (_event("/boxes/b-1", "/boxes/b-1", "/boxes/{box_id}", {"box_id": "b-1"}), ""),
    # a custom domain with base path `records`: path includes it
    (_event("/records/boxes", "/records/boxes", "/boxes"), "/records"),
    # the local gateway stand-in, as the real API's execute-api address
    (_event("/v1/organisations/org-1/users", "/organisations/org-1/users", "/organisations/{org_id}/users",
            {"org_id": "org-1"}), "/v1"),
    # a path the route cannot explain (encoded characters): fall back to the stage
    (_event("/v1/boxes/a%20b", "/boxes/a b", "/boxes/{box_id}", {"box_id": "a b"}), "/v1"),
    ({"resource": "/me", "path": "/me"}, ""),
])
def test_location_is_relative_to_where_the_client_called_the_api(event, base):
    assert base_path(event) == base


def test_a_route_answers_only_the_success_statuses_it_declares():
    """`also` declares another success status (201 on create, 200 on replace); any other is a bug, not an answer."""
    from shared.http import Operation, Reply, _answer

    def view(ctx, status=None):
        return Reply({"ok": True}, status=status)

    op = Operation(method="POST", path="/things", view=view, summary="s", response={}, status=201, also=(200,))
    assert op.statuses == (201, 200)
    assert _answer(op, None, {})["status"] == 201
    assert _answer(op, None, {"status": 200})["status"] == 200
    with pytest.raises(AssertionError):
        _answer(op, None, {"status": 202})
