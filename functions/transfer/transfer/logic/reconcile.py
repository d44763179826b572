"""The reconcile job: transfers a saga should be moving (`packaging`, `accepting`) whose execution is gone
(never started, failed, timed out, aborted) or wedged are driven to a consistent end (rules: domain.reconcile)."""
from __future__ import annotations

from datetime import datetime, timedelta

from shared import clock
from shared.events import now_iso
from shared.observability import logger
from shared.problems import PreconditionFailed

from ..data import transfers as store
from ..domain import reconcile as rules
from ..integration import workflows
from .transfers import saga_input


def reconcile_transfers(now: datetime | None = None, settle: timedelta = rules.SETTLE) -> dict[str, int]:
    """Scheduled: each transfer in a saga's status, unchanged since `settle` ago, gets what domain.reconcile
    decides for its current execution. A repeat finds each attempt's execution by its name, so running the job
    twice starts nothing twice."""
    now = now or clock.utc_now()
    counts = {"stuck": 0, "running": 0, "started": 0, "restarted": 0, "stopped": 0}
    for listed in store.sagas_unchanged_since(clock.iso_instant(now - settle)):
        transfer = store.get_transfer(listed.org_id, listed.id, consistent=True)  # the index may lag
        saga = rules.saga_of(transfer) if transfer is not None else None
        if saga is None:
            continue
        counts["stuck"] += 1
        found = workflows.execution(saga[0], workflows.execution_name(saga[0], transfer.id, saga[1]))
        decision = rules.decide(transfer, *(found or (None, None)), now=now)
        if decision is None or decision.action == rules.LEAVE:
            counts["running"] += 1
            continue
        name = workflows.execution_name(decision.saga, transfer.id, decision.attempt)
        logger.info("transfer saga reconciled", extra={"transfer_id": transfer.id, "action": decision.action,
                                                       "execution": name, "reason": decision.reason})
        if decision.action == rules.STOP:
            counts["stopped"] += workflows.stop(decision.saga, name, decision.reason)
        elif decision.action == rules.START:
            counts["started"] += workflows.start(decision.saga, saga_input(transfer), decision.attempt)
        else:
            counts["restarted"] += _restart(transfer, decision)
    return counts


def _restart(transfer, decision: rules.Decision) -> bool:
    """The next attempt, counted on the transfer first (conditional on the version read: a change meanwhile, the
    saga's own end included, wins and nothing starts), then its execution; a start lost here is the next run's
    `start` of the same name."""
    counter = "package_attempts" if decision.saga == "package" else "accept_attempts"
    try:
        after = store.save(transfer.with_changes(**{counter: decision.attempt}, updated_at=now_iso()), transfer)
    except PreconditionFailed:
        return False
    return workflows.start(decision.saga, saga_input(after), decision.attempt)
