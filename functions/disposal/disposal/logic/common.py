"""What every disposal use case shares: its events and their subjects, dates from input, refusals."""
from __future__ import annotations

from shared.events import EventFactory, Subject
from shared.validation import calendar_date, refuse_if  # noqa: F401 (the use cases import them from here)

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


def run_subject(org_id: str, run_id: str) -> Subject:
    return Subject("destruction_run", run_id, org_id)
