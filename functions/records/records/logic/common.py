"""What every records use case shares: its events and their subjects, and dates from input."""
from __future__ import annotations

from datetime import date
from typing import Any

from shared.events import EventFactory, Subject
from shared.problems import Problem, ValidationFailed

from ..domain.model import RecordFile

event = EventFactory("records")


def file_subject(org_id: str, file_id: str) -> Subject:
    return Subject("record_file", file_id, org_id)


def subjects_of(file: RecordFile, *more: Subject) -> list[Subject]:
    return [file_subject(file.org_id, file.id), *more]


def item_subject(org_id: str, item_id: str) -> Subject:
    return Subject("record_item", item_id, org_id)


def calendar_date(value: str | None, field: str, errors: list[dict[str, Any]]) -> date | None:
    """A yyyy-mm-dd date from input; a bad one is added to `errors` (every bad field is listed)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append({"field": field, "message": "not a calendar date"})
        return None


def refuse_if(errors: list[dict[str, Any]], problem: type[Problem] | None = None) -> None:
    """Raise one problem listing every bad field (ValidationFailed unless `problem` names another 4xx)."""
    if not errors:
        return
    first = errors[0]
    raise (problem or ValidationFailed)(f"{first['field']}: {first['message']}", errors=errors)
