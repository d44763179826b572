"""What stacks knows of the records capability's files (기록물철): a read model fed by records' events.

Boxes name the record files they hold; stacks accepts only files it has heard of (records'
`FileCreated`) in the box's organisation, and shows their titles and status without calling
records. Events may come late, twice or out of order: a status only replaces an older one
(by the time the event occurred), and a duplicate event is recognised by its id upstream.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

SOURCE = "records.records"
EVENTS = ("FileCreated", "FileStatusChanged")


@dataclass(frozen=True)
class RecordFile:
    org_id: str
    id: str
    title: str | None = None  # None until FileCreated arrived (a status change may come first)
    status: str | None = None
    status_at: str = ""  # when the status in force was set (the event's occurred_at)
    created_at: str | None = None  # FileCreated's occurred_at: the file is known from then on
    version: int = 0  # of this read-model item (guards its writes)

    @property
    def known(self) -> bool:
        return self.created_at is not None

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status}


@dataclass(frozen=True)
class FileFact:
    """One event of records, reduced to what stacks keeps."""

    event_id: str
    type: str
    org_id: str
    file_id: str
    occurred_at: str
    title: str | None = None
    status: str | None = None


def fact_from_event(envelope: dict[str, Any]) -> FileFact | None:
    """The fact an envelope of records states about a file, or None for events stacks does not keep."""
    if envelope.get("source") != SOURCE or envelope.get("type") not in EVENTS or not envelope.get("id"):
        return None
    payload = envelope.get("payload") or {}
    file_id = payload.get("file_id")
    subject = next((s for s in envelope.get("subjects") or []
                    if s.get("kind") == "record_file" and s.get("id") == file_id), None)
    if not file_id or subject is None or not subject.get("org_id"):
        return None
    title = payload.get("title") if isinstance(payload.get("title"), str) else None
    status = payload.get("status") if isinstance(payload.get("status"), str) else None
    if envelope["type"] == "FileCreated" and title is None:
        return None
    return FileFact(event_id=envelope["id"], type=envelope["type"], org_id=subject["org_id"], file_id=file_id,
                    occurred_at=envelope.get("occurred_at") or "", title=title, status=status)


def apply(current: RecordFile | None, fact: FileFact) -> RecordFile:
    """The file after `fact`: FileCreated makes it known (its title); the newest status wins."""
    file = current or RecordFile(org_id=fact.org_id, id=fact.file_id)
    if fact.type == "FileCreated":
        file = replace(file, title=fact.title, created_at=file.created_at or fact.occurred_at)
    if fact.status is not None and (file.status is None or fact.occurred_at > file.status_at):
        file = replace(file, status=fact.status, status_at=fact.occurred_at)
    return replace(file, version=file.version + 1)
