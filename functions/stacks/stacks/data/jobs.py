"""Stacks' long jobs (bulk box registration) in the stacks table: the job, its rows and its row
errors, as shared.jobs keeps them (keys ORG#<org>#JOB#<id>; gsi1 ORG#<org>#JOBS lists them)."""
from __future__ import annotations

from shared.jobs import JobStore

from .tables import TABLE
from .tx import Tx, page, read

JOBS = JobStore(TABLE, Tx, read, page, capability="stacks")
