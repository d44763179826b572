"""What every stacks use case shares: its events and their subjects, location codes from input, saga pages."""
from __future__ import annotations

from typing import Any

from shared.events import EventFactory, Subject
from shared.problems import ValidationFailed
from shared.tasks import InvalidTaskInput

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


PAGE = 25  # file ids a saga step takes at once (the sagas iterate pages in a Map)


def file_page(step: str, value: Any) -> tuple[str, ...]:
    """A saga step's page of file ids: a list of at most PAGE ids (else the state machine has a bug)."""
    if not isinstance(value, list) or len(value) > PAGE or not all(isinstance(f, str) and f for f in value):
        raise InvalidTaskInput(f"{step}: file_ids must be a list of at most {PAGE} file ids.")
    return tuple(dict.fromkeys(value))


def supervisor_of(step: str, value: Any) -> dict[str, Any]:
    """The supervising official of a destruction (law art. 27③): a name, and a title when given."""
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"].strip():
        raise InvalidTaskInput(f"{step}: supervisor must name the supervising official ({{\"name\", \"title\"?}}).")
    title = value.get("title")
    return {"name": value["name"].strip(), **({"title": title} if isinstance(title, str) and title.strip() else {})}
