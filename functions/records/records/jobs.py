"""Records' jobs function: runs bulk registrations (shared.jobs), fed by its queue (the bus's
`JobSubmitted` events of records, and its own continuations).

Each row is first read as a file or item registration (domain.imports), validated with its row
schema (every bad field listed as that row's error), then staged by logic.register_row.
"""
from __future__ import annotations

from typing import Any

from shared.jobs import Job, JobKind, worker
from shared.problems import ValidationFailed
from shared.validation import validate

from . import logic, schemas
from .domain.imports import RECORDS, body_of

ROW_SCHEMAS = {"file": schemas.IMPORT_FILE_ROW, "item": schemas.IMPORT_ITEM_ROW}


def apply_row(tx: Any, job: Job, row_no: int, row: dict[str, Any]) -> None:
    body = body_of(row)
    if body.get("record") not in RECORDS:
        raise ValidationFailed("record: say `file` or `item`.", errors=[{"field": "record", "message": "file or item"}])
    logic.register_row(tx, job, row_no, validate(body, ROW_SCHEMAS[body["record"]]))


KINDS = {logic.IMPORT_KIND: JobKind(logic.IMPORT_KIND, apply_row)}

handler = worker(lambda org_id, job_id, time_left, lease_ms: logic.run_job(org_id, job_id, KINDS, time_left,
                                                                           lease_ms))
