"""The count: expected boxes against the scans, page by page in the stock_take state machine.

`start_count` (the API, 202) starts the execution; the steps `begin_count`, `compare_page`,
`sweep_page`, `finish_count` and the compensation `fail_count` run in it (see tasks.py).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from shared.auth import Caller, require_found
from shared.concurrency import require_version
from shared.events import now_iso, system_actor
from shared.observability import correlation_id
from shared.problems import Conflict

from ..data import campaigns as store
from ..domain import reports, rules
from ..domain.model import RESULTS, Campaign, Holding, range_of
from ..domain.rules import manager_org
from ..integration import workflows
from .common import campaign_subject, event

PAGE_SIZE = 500  # expected boxes compared per Step Functions iteration: bounds one invocation's memory


def start_count(caller: Caller, campaign_id: str, expected_version: int) -> Campaign:
    """Close the scanning and compare expected with found, in a Step Functions execution (202)."""
    org_id = manager_org(caller)
    before = require_found(store.get_campaign(org_id, campaign_id, consistent=True), "campaign")
    if before.status not in ("open", "counting"):
        raise Conflict(f"A {before.status} campaign cannot be counted.")
    require_version(before, expected_version, "campaign")
    if before.status == "counting":  # asked again: make sure the run's execution exists (a lost start)
        workflows.start_count(before, correlation_id())
        return before
    after = before.with_changes(status="counting", run=before.run + 1, last_error=None, version=before.version + 1,
                                updated_at=now_iso())
    store.save_campaign(after, before, event("CampaignCountStarted", [campaign_subject(after)],
                                             {"campaign_id": after.id, "run": after.run}, caller.as_actor()))
    workflows.start_count(after, correlation_id())
    return after


def begin_count(org_id: str, campaign_id: str, run: int) -> dict[str, Any]:
    campaign = require_found(store.get_campaign(org_id, campaign_id, consistent=True), "campaign")
    if campaign.status != "counting" or campaign.run != run:
        raise CountSuperseded(f"Campaign {campaign_id} is {campaign.status} at run {campaign.run}, not counting run {run}.")
    repository = campaign.scope.repository_id
    parts = list(campaign.scope.ranges) or store.ranges_of(org_id, repository) or [repository]
    return {"parts": [{"part": p} for p in parts]}


class CountSuperseded(Exception):
    """The campaign is no longer counting this run (a business rejection: not retried)."""


def compare_page(org_id: str, campaign_id: str, run: int, part: str, cursor: str | None, page: int,
                 page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """One page of expected boxes against the scans: results, then the page's counters once."""
    holdings, next_key = store.holdings_page(org_id, part, store.cursor_key(cursor), page_size)
    seen = store.seen_where(org_id, campaign_id, [h.barcode for h in holdings])
    rows, counts = classify_page(holdings, seen)
    store.write_results(org_id, campaign_id, run, rows)
    store.record_page(org_id, campaign_id, run, part, page, counts)
    return {"cursor": store.cursor_text(next_key), "page": page + 1, "done": next_key is None,
            "compared": len(holdings)}


def classify_page(holdings: list[Holding], seen: dict[str, str]):
    rows: list[dict[str, Any]] = []
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {r: 0 for r in RESULTS})
    for h in holdings:
        found_at = seen.get(h.barcode)
        result = rules.classify(h, found_at)
        rows.append({"result": result, "box_id": h.box_id, "barcode": h.barcode, "expected_at": h.home_id,
                     "found_at": found_at, "box_status": h.status})
        counts[range_of(h.home_id or "")][result] += 1
    return rows, dict(counts)


def sweep_page(org_id: str, campaign_id: str, run: int, cursor: str | None, page: int,
               page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """One page of scanned barcodes: those that name no box expected in the scope are `unexpected`."""
    campaign = require_found(store.get_campaign(org_id, campaign_id), "campaign")
    seen, next_key = store.seen_page(org_id, campaign_id, store.cursor_key(cursor), page_size)
    boxes = store.boxes_by_barcode(org_id, [b for b, _ in seen])
    rows: list[dict[str, Any]] = []
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {r: 0 for r in RESULTS})
    for barcode, shelf in seen:
        box = boxes.get(barcode)
        if box is not None and campaign.scope.covers(box.home_id):
            continue  # an expected box: compared on its home's page
        rows.append({"result": "unexpected", "box_id": box.box_id if box else None, "barcode": barcode,
                     "expected_at": None, "found_at": shelf, "box_status": box.status if box else None})
        counts[range_of(shelf)]["unexpected"] += 1
    store.write_results(org_id, campaign_id, run, rows)
    store.record_page(org_id, campaign_id, run, "~unexpected", page, dict(counts))
    return {"cursor": store.cursor_text(next_key), "page": page + 1, "done": next_key is None, "swept": len(seen)}


def finish_count(org_id: str, campaign_id: str, run: int, execution_id: str | None) -> dict[str, Any]:
    before = require_found(store.get_campaign(org_id, campaign_id, consistent=True), "campaign")
    if before.status == "counted" and before.run == run:
        return {"status": "counted", "already": True}
    if before.status != "counting" or before.run != run:
        raise CountSuperseded(f"Campaign {campaign_id} is {before.status} at run {before.run}.")
    totals = reports.totals(store.counters(org_id, campaign_id, run))
    after = before.with_changes(status="counted", counted_at=now_iso(), version=before.version + 1,
                                updated_at=now_iso())
    actor = {"user_id": f"saga:{execution_id or campaign_id}", "org_id": org_id}
    store.save_campaign(after, before, event("CampaignCounted", [campaign_subject(after)],
                                             {"campaign_id": campaign_id, "run": run, "totals": totals}, actor))
    return {"status": "counted", "totals": totals, "already": False}


def fail_count(org_id: str, campaign_id: str, run: int, error: dict[str, Any] | None) -> dict[str, Any]:
    """Compensation: the campaign opens again for scanning (results of the failed run are ignored)."""
    before = store.get_campaign(org_id, campaign_id, consistent=True)
    if before is None or before.status != "counting" or before.run != run:
        return {"status": before.status if before else None, "changed": False}
    reason = f"{(error or {}).get('Error', 'Error')}: {(error or {}).get('Cause', '')}"[:500]
    after = before.with_changes(status="open", last_error=reason, version=before.version + 1, updated_at=now_iso())
    store.save_campaign(after, before, event("CampaignCountFailed", [campaign_subject(after)],
                                             {"campaign_id": campaign_id, "run": run, "error": reason}, system_actor()))
    return {"status": "open", "changed": True}
