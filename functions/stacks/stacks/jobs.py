"""Stacks' jobs function: runs bulk jobs (box registration) from its queue (shared.jobs.worker),
a group of rows per transaction, continuing itself before its timeout."""
from __future__ import annotations

from functools import partial

from shared.jobs import worker

from . import logic, schemas

handler = worker(partial(logic.run_job, row_schemas=schemas.JOB_ROWS))
