"""Shared library: validation, pagination, concurrency, the caller, problems, events."""
from __future__ import annotations

import fastjsonschema
import pytest

from shared import concurrency, pagination
from shared.auth import caller_from_claims, parse_groups
from shared.events import DomainEvent, Subject, new_event
from shared.problems import (Forbidden, InvalidCursor, NotFound, PreconditionFailed, PreconditionRequired,
                             Unauthenticated, ValidationFailed)
from shared.validation import validate

SCHEMA = {"type": "object", "additionalProperties": False, "required": ["name"],
          "properties": {"name": {"type": "string", "minLength": 1}, "size": {"type": "integer"}}}


def test_validation_names_the_offending_field():
    assert validate({"name": "a"}, SCHEMA) == {"name": "a"}
    for body, field in (({}, "name"), ({"name": "a", "colour": 1}, "colour"), ({"name": "a", "size": "x"}, "size")):
        with pytest.raises(ValidationFailed) as err:
            validate(body, SCHEMA)
        assert err.value.errors[0]["field"] == field
        assert err.value.status == 400


FORM = {"type": "object", "additionalProperties": False, "required": ["barcode", "profile_id", "title"],
        "properties": {"barcode": {"type": "string"}, "profile_id": {"type": "string"}, "title": {"type": "string"},
                       "note": {"type": "string", "maxLength": 3},
                       "shelves": {"type": "array", "items": {"type": "object", "required": ["id"],
                                                              "properties": {"id": {"type": "string"}}}}}}


def test_validation_reports_every_missing_field_each_in_its_own_entry():
    with pytest.raises(ValidationFailed) as err:
        validate({}, FORM)

    assert [(e["field"], e["rule"]) for e in err.value.errors] == [
        ("barcode", "required"), ("profile_id", "required"), ("title", "required")]
    assert all(set(e) == {"field", "message", "rule"} and e["message"] for e in err.value.errors)
    assert err.value.detail.startswith("barcode: ")  # the detail still names the first failure


def test_validation_reports_unknown_wrong_and_nested_fields_together():
    body = {"barcode": 7, "profile_id": "p", "title": "t", "note": "too long", "colour": 1, "weight": 2,
            "shelves": [{"id": "s1"}, {}]}
    with pytest.raises(ValidationFailed) as err:
        validate(body, FORM)

    found = {(e["field"], e["rule"]) for e in err.value.errors}
    assert found == {("barcode", "type"), ("note", "maxLength"), ("colour", "additionalProperties"),
                     ("weight", "additionalProperties"), ("shelves.1.id", "required")}
    assert len(err.value.errors) == len(found)  # one entry per field and rule


def test_validation_keeps_the_fast_paths_first_failure_first():
    for body in ({"name": "a", "colour": 1, "size": "x"}, {"size": "x"}, {"name": "", "size": 1.5}):
        with pytest.raises(fastjsonschema.JsonSchemaValueException) as fast:
            fastjsonschema.compile(SCHEMA)(body)
        with pytest.raises(ValidationFailed) as err:
            validate(body, SCHEMA)
        assert err.value.errors[0]["rule"] == fast.value.rule
        assert len(err.value.errors) == 2


def test_a_format_failure_is_reported():
    dated = {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}
    with pytest.raises(ValidationFailed) as err:
        validate({"at": "yesterday"}, dated)

    assert [(e["field"], e["rule"]) for e in err.value.errors] == [("at", "format")]


def test_cursor_round_trip_and_tampering():
    key = {"pk": {"S": "ORG#a"}, "sk": {"S": "USER#1"}}
    cursor = pagination.encode_cursor(key)
    assert pagination.decode_cursor(cursor, expected={"pk": "ORG#a"}, keys={"pk", "sk"}) == {"pk": "ORG#a", "sk": "USER#1"}
    with pytest.raises(InvalidCursor):  # well-formed, but not this table's key schema
        pagination.decode_cursor(pagination.encode_cursor({"pk": "ORG#a"}), expected={"pk": "ORG#a"}, keys={"pk", "sk"})
    assert pagination.typed_key({"pk": "ORG#a"}) == {"pk": {"S": "ORG#a"}}
    with pytest.raises(InvalidCursor):
        pagination.decode_cursor(cursor, expected={"pk": "ORG#b"}, keys={"pk", "sk"})
    for bad in ("%%%", "bm90IGpzb24", pagination.encode_cursor({"pk": "ORG#a"})[:-3] + "!!!"):
        with pytest.raises(InvalidCursor):
            pagination.decode_cursor(bad, expected={"pk": "ORG#a"}, keys={"pk", "sk"})
    assert pagination.encode_cursor(None) is None and pagination.decode_cursor(None, expected={}, keys=set()) is None


@pytest.mark.parametrize("raw, ok", [(None, 25), ("1", 1), ("100", 100), ("0", None), ("101", None), ("-1", None), ("x", None)])
def test_limits(raw, ok):
    params = {} if raw is None else {"limit": raw}
    if ok is None:
        with pytest.raises(ValidationFailed):
            pagination.parse_limit(params)
    else:
        assert pagination.parse_limit(params) == ok


def test_if_match():
    assert concurrency.expected_version('"3"') == 3
    assert concurrency.expected_version('W/"3"') == 3
    assert concurrency.etag(4) == '"4"'
    with pytest.raises(PreconditionRequired):
        concurrency.expected_version(None)
    with pytest.raises(PreconditionFailed):
        concurrency.expected_version('"abc"')


@pytest.mark.parametrize("value", [["a", "b"], '["a","b"]', "[a, b]", "a,b", "a b", "[a b]"])
def test_group_claim_shapes(value):
    assert parse_groups(value) == frozenset({"a", "b"})


def test_caller_from_claims_and_checks():
    caller = caller_from_claims({"cognito:username": "u1", "custom:org_id": "o1", "cognito:groups": "admin"})
    assert (caller.user_id, caller.org_id, caller.roles) == ("u1", "o1", frozenset({"admin"}))
    caller.require_role("admin", "auditor")
    caller.require_member_of("o1")
    with pytest.raises(Forbidden):
        caller.require_role("auditor")
    with pytest.raises(NotFound):  # another organisation's data is not disclosed
        caller.require_member_of("o2")
    with pytest.raises(Unauthenticated):
        caller_from_claims(None)
    with pytest.raises(Unauthenticated):
        caller_from_claims({"custom:org_id": "o1"})


def test_event_envelope_round_trip():
    event = new_event("identity", "UserProvisioned", [Subject("user", "u1", "o1")], {"a": 1},
                      actor={"user_id": "x"}, correlation_id="c-1")
    data = event.to_dict()
    assert data["source"] == "records.identity" and data["schema_version"] == 1
    assert data["subjects"] == [{"kind": "user", "id": "u1", "org_id": "o1"}]
    assert DomainEvent.from_dict(data) == event
