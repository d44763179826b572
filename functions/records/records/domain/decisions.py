"""The appraisal committee's decisions records acts on (disposal's `CommitteeDecided`, source
`records.disposal`; no AWS here): a decision to re-set retention (`decision: reset_retention`, with the
new period in `retention`) becomes a retention override of the file, with the meeting in its reason.
Other decisions (destroy, defer) are disposal's to carry out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import lifecycle
from .model import RETENTIONS

DISPOSAL = "records.disposal"
RESET = "reset_retention"


@dataclass(frozen=True)
class RetentionReset:
    event_id: str
    org_id: str
    file_id: str
    retention: str
    meeting_id: str | None
    list_id: str | None
    actor: dict[str, Any]

    @property
    def reason(self) -> str:
        return f"appraisal committee decision (meeting {self.meeting_id})"


def retention_reset(envelope: dict[str, Any]) -> RetentionReset | None:
    """The re-set a `CommitteeDecided` event asks for, or None (another decision, or not one we can use)."""
    if envelope.get("source") != DISPOSAL or envelope.get("type") != "CommitteeDecided":
        return None
    p = envelope.get("payload") or {}
    if p.get("decision") != RESET or p.get("retention") not in RETENTIONS or not envelope.get("id"):
        return None
    for subject in envelope.get("subjects") or []:
        if subject.get("kind") == "record_file" and subject.get("org_id") and subject.get("id") == p.get("file_id"):
            return RetentionReset(event_id=envelope["id"], org_id=subject["org_id"], file_id=subject["id"],
                                  retention=p["retention"], meeting_id=p.get("meeting_id"), list_id=p.get("list_id"),
                                  actor=envelope.get("actor") or {})
    return None


def resettable(status: str) -> bool:
    """A committee's re-set applies to a file still in the organisation's keeping and held by no run."""
    return status not in lifecycle.FINAL and status not in lifecycle.IN_SAGA
