"""Disposal's committee decisions records carries out (consumer.py): a re-set retention becomes a retention
override of the file (RetentionOverridden, which disposal's read model takes back: its `awaiting_reset`
clears and the new due date arrives). Applied once per event (a receipt of its id in the same
transaction); a file that is final, or held by a destruction run, is left alone (logged).
"""
from __future__ import annotations

from typing import Any

from shared.observability import logger
from shared.problems import PreconditionFailed
from shared.tasks import retrying

from ..data import files as store
from ..domain import decisions as rules
from .files import retention_overridden


def apply_committee_decision(envelope: dict[str, Any]) -> bool:
    """True when the decision changed the file."""
    reset = rules.retention_reset(envelope)
    if reset is None:
        return False

    def attempt() -> bool:
        if store.applied(reset.event_id):
            return False
        file = store.get_file(reset.org_id, reset.file_id, consistent=True)
        if file is None or not rules.resettable(file.status):
            logger.warning("committee's retention re-set left alone", extra={
                "event_id": reset.event_id, "file_id": reset.file_id,
                "status": file.status if file else "unknown"})
            return False
        after, overridden = retention_overridden(file, reset.retention, None, reset.reason, reset.actor,
                                                 meeting_id=reset.meeting_id, list_id=reset.list_id,
                                                 decided_by_event=reset.event_id)
        try:
            store.save_file(after, file, [overridden], applying=(reset.event_id, "CommitteeDecided"))
        except store.AlreadyApplied:
            return False
        return True

    return retrying(attempt, attempts=5, lost=(PreconditionFailed,),
                    contended=f"File {reset.file_id} kept changing; the committee's re-set was not applied yet.")
