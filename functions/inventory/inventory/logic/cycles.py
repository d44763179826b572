"""Counting cycles: every repository counted at least every `cycle_years`; the job opens due campaigns."""
from __future__ import annotations

from datetime import date
from typing import Any

from shared import clock
from shared.auth import Caller, require_found
from shared.events import Subject, now_iso, system_actor
from shared.idempotency import derived_id
from shared.problems import Conflict, ValidationFailed

from ..data import campaigns as store
from ..domain import rules
from ..domain.model import Campaign, CyclePolicy, Scope
from ..domain.rules import manager_org, reader_org
from .common import calendar_date, campaign_subject, event, require_repository


def set_cycle(caller: Caller, body: dict[str, Any]) -> CyclePolicy:
    """The counting cycle of a repository (every holding counted at least every `cycle_years`)."""
    org_id = manager_org(caller)
    repository_id = body["repository_id"]
    require_repository(org_id, repository_id)
    before = store.get_cycle(org_id, repository_id, consistent=True)
    years = body.get("cycle_years", rules.DEFAULT_CYCLE_YEARS)
    last = body.get("last_counted_on", before.last_counted_on if before else None)
    if last is not None and calendar_date(last, "last_counted_on") > clock.today():
        raise ValidationFailed("last_counted_on: a count cannot be in the future.",
                               errors=[{"field": "last_counted_on", "message": "in the future"}])
    after = CyclePolicy(org_id=org_id, repository_id=repository_id, cycle_years=years, last_counted_on=last,
                        next_due_on=rules.next_due(last, years, clock.today()),
                        open_campaign_id=before.open_campaign_id if before else None,
                        version=(before.version + 1) if before else 1, updated_at=now_iso())
    store.save_cycle(after, before, event("CountingCycleSet", [Subject("repository", repository_id, org_id)],
                                          after.public(), caller.as_actor()))
    return after


def get_cycle(caller: Caller, repository_id: str) -> CyclePolicy:
    return require_found(store.get_cycle(reader_org(caller), repository_id), "counting cycle")


def list_cycles(caller: Caller, limit: int, cursor: str | None):
    return store.list_cycles(reader_org(caller), limit, cursor)


def open_due_campaigns(today: str | None = None, limit: int = 100) -> dict[str, Any]:
    """Scheduled job: a campaign for every repository whose cycle is due (one per cycle and due date,
    so a repeated run opens nothing twice)."""
    day = date.fromisoformat(today) if today else clock.today()
    opened, start, seen = [], None, 0
    while True:
        due, start = store.due_cycles(day.isoformat(), limit, start)
        for policy in due:
            seen += 1
            campaign_id = derived_id(f"cycle|{policy.org_id}|{policy.repository_id}", policy.next_due_on)
            stamp = now_iso()
            campaign = Campaign(org_id=policy.org_id, id=campaign_id,
                                name=f"Cycle count {policy.repository_id} (due {policy.next_due_on})",
                                scope=Scope(policy.repository_id), due_by=policy.next_due_on,
                                cycle_id=policy.repository_id, created_by="system", created_at=stamp,
                                updated_at=stamp)
            after = policy.with_changes(open_campaign_id=campaign_id, version=policy.version + 1, updated_at=stamp)
            try:
                store.create_campaign(campaign, event("CampaignOpened", [campaign_subject(campaign)], campaign.public(),
                                                      system_actor()), cycle=(policy, after))
                opened.append(campaign_id)
            except Conflict:
                continue  # another run of the job got there first
        if not start:
            break
    return {"due": seen, "opened": opened}
