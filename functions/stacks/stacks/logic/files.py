"""Record files in boxes: the read model of records' file events, and the check of a box's `files`."""
from __future__ import annotations

from typing import Any, Iterable

from shared.events import now_iso
from shared.problems import PreconditionFailed
from shared.tasks import retrying

from ..data import files as store
from ..domain import records
from ..domain.problems import UnknownRecordFile

ATTEMPTS = 5


def apply_records_event(envelope: dict[str, Any]) -> str:
    """Fold one of records' file events into the read model: applied, duplicate or ignored."""
    fact = records.fact_from_event(envelope)
    if fact is None:
        return "ignored"
    if store.applied(fact.event_id):
        return "duplicate"

    def attempt() -> str:
        before = store.get_file(fact.org_id, fact.file_id)
        try:
            store.save_file(records.apply(before, fact), before, fact.event_id, now_iso())
        except store.AlreadyApplied:
            return "duplicate"
        return "applied"

    # another delivery changed the same file between our read and write: read it again
    return retrying(attempt, attempts=ATTEMPTS, lost=(PreconditionFailed,),
                    contended=f"Record file {fact.file_id} kept changing.")


def check_files(org_id: str, file_ids: Iterable[str], field: str = "files") -> tuple[str, ...]:
    """The ids, if stacks knows each as a record file of the organisation; else 422 naming every unknown one."""
    ids = tuple(file_ids)
    known = store.files(org_id, ids)
    unknown = [i for i, file_id in enumerate(ids) if not (file_id in known and known[file_id].known)]
    if unknown:
        names = ", ".join(ids[i] for i in unknown[:10])
        raise UnknownRecordFile(
            f"{len(unknown)} record file(s) unknown in your organisation: {names} (new files appear within seconds "
            "of their creation in records).",
            errors=[{"field": f"{field}[{i}]", "message": f"unknown record file {ids[i]}"} for i in unknown])
    return ids


def file_summaries(org_id: str, file_ids: Iterable[str]) -> list[dict[str, Any]]:
    """id, title and status of each file, in the box's order (as far as stacks knows them)."""
    ids = tuple(file_ids)
    known = store.files(org_id, ids) if ids else {}
    return [known[f].public() if f in known else {"id": f, "title": None, "status": None} for f in ids]
