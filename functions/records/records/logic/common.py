"""What every records use case shares: its events and their subjects, and dates from input."""
from __future__ import annotations

from shared.events import EventFactory, Subject
from shared.validation import calendar_date, refuse_if  # noqa: F401 (the use cases import them from here)

from ..domain.model import RecordFile

event = EventFactory("records")


def file_subject(org_id: str, file_id: str) -> Subject:
    return Subject("record_file", file_id, org_id)


def subjects_of(file: RecordFile, *more: Subject) -> list[Subject]:
    return [file_subject(file.org_id, file.id), *more]


def item_subject(org_id: str, item_id: str) -> Subject:
    return Subject("record_item", item_id, org_id)
