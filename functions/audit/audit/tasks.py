"""Audit's scheduled jobs and saga step (one Lambda entry, see shared.tasks): {"job": "checkpoint"},
{"job": "verify_chains"}, and the transfer's {"step": "export_history", ...} (logic/exports.py)."""
from __future__ import annotations

from shared.tasks import task_handler

from . import logic

JOBS = {
    "checkpoint": lambda e: logic.take_checkpoint(),
    "verify_chains": lambda e: logic.verify_all(),
}

STEPS = {"export_history": logic.export_history}

handler = task_handler(steps=STEPS, jobs=JOBS)
