"""Stacks' own refusals, each with a stable problem `type` (part of the API contract)."""
from __future__ import annotations

from shared.problems import Problem


class UnknownRecordFile(Problem):
    """A box names a record file stacks does not know in the caller's organisation (from records' events)."""

    slug = "unknown-record-file"
    title = "Unknown record file"
    status = 422
