"""Records' scheduled jobs (one Lambda entry); they arrive as {"job": name}."""
from __future__ import annotations

from shared.tasks import task_handler

JOBS: dict = {}

handler = task_handler(steps={}, jobs=JOBS)
