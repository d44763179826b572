"""What every disposal use case shares: its events and their subjects, dates from input, refusals."""
from __future__ import annotations

from datetime import date
from typing import Any

from shared.events import EventFactory, Subject
from shared.problems import Problem, ValidationFailed

event = EventFactory("disposal")


def file_subject(org_id: str, file_id: str) -> Subject:
    """Events about a file name it as records does, so its history shows its appraisal."""
    return Subject("record_file", file_id, org_id)


def hold_subject(org_id: str, hold_id: str) -> Subject:
    return Subject("disposal_hold", hold_id, org_id)


def list_subject(org_id: str, list_id: str) -> Subject:
    return Subject("disposal_review_list", list_id, org_id)


def committee_subject(org_id: str, kind: str, id_: str) -> Subject:
    return Subject(kind, id_, org_id)


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
    if errors:
        raise (problem or ValidationFailed)(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors)
