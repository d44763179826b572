"""Stock-taking campaigns (정수점검): opening one over a repository or some of its ranges, reading
them and what the count will expect, and closing one (which restarts a whole repository's cycle)."""
from __future__ import annotations

from typing import Any

from shared import clock
from shared.auth import Caller, require_found
from shared.concurrency import require_version
from shared.events import now_iso
from shared.idempotency import derived_id
from shared.problems import Conflict, ValidationFailed

from ..data import campaigns as store
from ..domain import reports, rules
from ..domain.model import Campaign, Scope, range_of
from ..domain.rules import manager_org, reader_org
from .common import calendar_date, campaign_subject, event, require_repository


def _scope(body: dict[str, Any]) -> Scope:
    repository_id = body["repository_id"]
    ranges = tuple(sorted(set(body.get("ranges") or ())))
    wrong = [r for r in ranges if range_of(r) != r or not r.startswith(repository_id + "-")]
    if wrong:
        raise ValidationFailed(f"scope.ranges: {wrong[0]} is not a range of {repository_id} (e.g. {repository_id}-03).",
                               errors=[{"field": "scope.ranges", "message": "not a range of the repository"}])
    return Scope(repository_id, ranges)


def create_campaign(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> Campaign:
    org_id = manager_org(caller)
    calendar_date(body.get("due_by"), "due_by")
    scope = _scope(body["scope"])
    require_repository(org_id, scope.repository_id)
    stamp = now_iso()
    campaign = Campaign(org_id=org_id, id=derived_id(f"campaign|{caller.user_id}", idempotency_key),
                        name=body["name"].strip(), scope=scope, due_by=body.get("due_by"),
                        created_by=caller.user_id, created_at=stamp, updated_at=stamp)
    store.create_campaign(campaign, event("CampaignOpened", [campaign_subject(campaign)], campaign.public(),
                                          caller.as_actor()))
    return campaign


def get_campaign(caller: Caller, campaign_id: str) -> Campaign:
    return require_found(store.get_campaign(reader_org(caller), campaign_id), "campaign")


def list_campaigns(caller: Caller, limit: int, cursor: str | None):
    return store.list_campaigns(reader_org(caller), limit, cursor)


def expected(caller: Caller, location_id: str | None, limit: int, cursor: str | None):
    """What the count will expect on a shelf or in a range (the read model of stacks' events)."""
    if location_id is None:
        raise ValidationFailed("location_id is required: a range or shelf code.",
                               errors=[{"field": "location_id", "message": "required"}])
    return store.expected_at(reader_org(caller), location_id, limit, cursor)


def close_campaign(caller: Caller, campaign_id: str, expected_version: int) -> Campaign:
    org_id = manager_org(caller)
    before = require_found(store.get_campaign(org_id, campaign_id, consistent=True), "campaign")
    try:
        rules.check_close(before.status, store.all_findings(org_id, campaign_id))
    except rules.CloseRefused as exc:
        raise Conflict(str(exc)) from None
    require_version(before, expected_version, "campaign")
    stamp = now_iso()
    after = before.with_changes(status="closed", closed_at=stamp, version=before.version + 1, updated_at=stamp)
    cycle = None
    policy = store.get_cycle(org_id, before.scope.repository_id, consistent=True)
    if policy is not None and not before.scope.ranges:  # a whole-repository count restarts its cycle
        today = clock.today().isoformat()
        cycle = (policy, policy.with_changes(last_counted_on=today, open_campaign_id=None,
                                             next_due_on=rules.next_due(today, policy.cycle_years, clock.today()),
                                             version=policy.version + 1, updated_at=stamp))
    totals = reports.totals(store.counters(org_id, campaign_id, before.run))
    store.save_campaign(after, before, event("CampaignClosed", [campaign_subject(after)],
                                             {"campaign_id": campaign_id, "run": after.run, "totals": totals},
                                             caller.as_actor()),
                        cycle=cycle, require_decided=True,
                        on_stale=Conflict("The campaign changed (a finding without a decision, or another edit); "
                                          "read it again."))
    return after
