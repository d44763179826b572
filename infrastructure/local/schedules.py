"""The template's Schedule/ScheduleV2 events: fired on their timers and on demand.

rate() expressions run on a timer (first firing one period after start, as a new
schedule does); cron() and at() are listed but not timed locally. Any schedule can
be fired now by its name, its event's logical id, that id in snake_case, or the
"job" its Input names (`make job NAME=reconcile_provisioning`).
"""
from __future__ import annotations

from datetime import datetime, timezone
import json
import logging
import re
import threading
from typing import Any
import uuid

from .template import ACCOUNT_ID, REGION, Schedule, arn
from .workers import Invocation, Workers

log = logging.getLogger("local.schedules")
_RATE = re.compile(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def period_seconds(expression: str) -> int | None:
    match = _RATE.fullmatch(expression.strip())
    if not match:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def aliases(schedule: Schedule) -> set[str]:
    names = {schedule.name, schedule.event_id, re.sub(r"(?<!^)(?=[A-Z])", "_", schedule.event_id).lower()}
    job = _input(schedule)
    if isinstance(job, dict) and isinstance(job.get("job"), str):
        names.add(job["job"])
    return names


def _input(schedule: Schedule) -> Any:
    return json.loads(schedule.input) if schedule.input is not None else None


def scheduled_event(schedule: Schedule) -> Any:
    """The template's Input, else the event EventBridge sends for a schedule."""
    if schedule.input is not None:
        return _input(schedule)
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": ACCOUNT_ID, "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION, "resources": [arn("events", f"rule/{schedule.name}")], "detail": {}}


class Scheduler:
    def __init__(self, schedules: list[Schedule], workers: Workers) -> None:
        self.schedules = schedules
        self.workers = workers

    def start(self, stop: threading.Event) -> None:
        for schedule in self.schedules:
            period = period_seconds(schedule.expression)
            if not schedule.enabled:
                log.info("schedule %s is disabled in the template; run it on demand", schedule.name)
            elif period is None:
                log.info("schedule %s (%s): timer not emulated; run it on demand", schedule.name, schedule.expression)
            else:
                threading.Thread(target=self._timer, args=(schedule, period, stop), daemon=True,
                                 name=f"schedule-{schedule.event_id}").start()

    def _timer(self, schedule: Schedule, period: int, stop: threading.Event) -> None:
        while not stop.wait(period):
            try:
                invocation = self.run(schedule)
                log.info("schedule %s fired: %s", schedule.name, "failed" if invocation.error else "ok")
            except Exception:  # noqa: BLE001 — a failed firing must not end the timer
                log.exception("schedule %s could not fire", schedule.name)

    def find(self, name: str) -> Schedule | None:
        return next((s for s in self.schedules if name in aliases(s)), None)

    def run(self, schedule: Schedule) -> Invocation:
        return self.workers.get(schedule.function).invoke(json.dumps(scheduled_event(schedule)).encode())

    def describe(self) -> list[dict[str, Any]]:
        return [{"name": s.name, "event": s.event_id, "function": s.function, "expression": s.expression,
                 "enabled": s.enabled, "timer": s.enabled and period_seconds(s.expression) is not None,
                 "aliases": sorted(aliases(s))} for s in self.schedules]
