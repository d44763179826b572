"""Scheduled jobs: overdue notices, and sagas that a lost start or a failed compensation left stuck."""
from __future__ import annotations

from datetime import date, datetime, timedelta
import time

from shared import clock
from shared.events import now_iso, system_actor
from shared.observability import correlation_id

from ..data import loans as store
from ..domain import overdue
from ..integration import workflows
from .common import request_event

OVERDUE_PAGE = 100
NOTICE_TTL_SECONDS = 90 * 24 * 3600


def detect_overdue(on: date | None = None, page_size: int = OVERDUE_PAGE) -> dict[str, int]:
    """Scheduled: one LoanOverdue event per loan out past its period, at most once a day each."""
    day = on or clock.today()
    counts = {"pages": 0, "overdue": 0, "notified": 0, "already": 0}
    start = None
    while True:
        page, start = store.open_loans_due_before(day, page_size, start)
        counts["pages"] += 1
        for request in page:
            if request.status != "checked_out" or not overdue.is_overdue(request.due, day):
                continue
            counts["overdue"] += 1
            event = request_event("LoanOverdue", request, {"loan_id": request.loan_id, "due": request.due,
                                                           "days_overdue": overdue.days_overdue(request.due, day),
                                                           "day": day.isoformat()},
                                  system_actor(request.org_id))
            sent = store.record_notice(request, day, now_iso(), int(time.time()) + NOTICE_TTL_SECONDS, event)
            counts["notified" if sent else "already"] += 1
        if not start:
            return counts


def reconcile_sagas(now: datetime | None = None, settle: timedelta = timedelta(minutes=10)) -> dict[str, int]:
    """Scheduled: a request a saga should be moving, with no execution running, gets its saga again.

    Covers a saga that never started (Step Functions unavailable when the API wrote the request)
    and one whose compensation gave up. Steps are idempotent per loan id, so a restart finishes
    or undoes what the first run left."""
    cutoff = clock.iso_instant((now or clock.utc_now()) - settle)
    counts = {"stuck": 0, "restarted": 0}
    for request in store.sagas_started_before(cutoff):
        counts["stuck"] += 1
        kind, name = (("checkout", workflows.check_out_name(request)) if request.status == "checking_out"
                      else ("return", workflows.return_name(request)))
        if workflows.running(kind, name):
            continue
        start = workflows.start_check_out if kind == "checkout" else workflows.start_return
        if start(request, correlation_id()) or start(request, correlation_id(), name=f"{name}-{int(time.time())}"):
            counts["restarted"] += 1
    return counts
