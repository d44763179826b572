"""Records' long jobs (bulk registration): the jobs, their rows and row errors, kept in the records table by
shared.jobs (keys `ORG#<org>#JOB#<id>`: the job, its row chunks, its row errors)."""
from __future__ import annotations

from shared.jobs import JobStore

from .tables import TABLE
from .tx import Tx, page, read

JOBS = JobStore(TABLE, Tx, read, page, capability="records")
