"""Audit's scheduled jobs (one Lambda entry, see shared.tasks): {"job": "checkpoint"} and {"job": "verify_chains"}."""
from __future__ import annotations

from shared.tasks import task_handler

from . import logic

JOBS = {
    "checkpoint": lambda e: logic.take_checkpoint(),
    "verify_chains": lambda e: logic.verify_all(),
}

handler = task_handler(steps={}, jobs=JOBS)
