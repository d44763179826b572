"""What every stacks use case shares: its events and their subjects, and location codes from input."""
from __future__ import annotations

from shared.events import EventFactory, Subject
from shared.problems import ValidationFailed

from ..domain.codes import InvalidCode, LocationCode, parse

event = EventFactory("stacks")


def box_subject(org_id: str, box_id: str) -> Subject:
    return Subject("box", box_id, org_id)


def location_subject(org_id: str, location_id: str) -> Subject:
    return Subject(parse(location_id).kind, location_id, org_id)


def code_field(text: str, field: str, kind: str | None = None) -> LocationCode:
    """A location code from a body or query field; a malformed one is a 400 naming the field."""
    try:
        code = parse(text)
    except InvalidCode as exc:
        raise ValidationFailed(f"{field}: {exc}", errors=[{"field": field, "message": str(exc)}]) from None
    if kind is not None and code.kind != kind:
        raise ValidationFailed(f"{field}: {text} is a {code.kind}, not a {kind}.",
                               errors=[{"field": field, "message": f"not a {kind}"}])
    return code


def code_path(text: str, what: str = "location") -> LocationCode | None:
    """A location code from the path; a malformed one simply names nothing (404 upstream)."""
    try:
        return parse(text)
    except InvalidCode:
        return None
