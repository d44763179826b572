"""Inventory's use cases, as the HTTP layer (app.py), the task handler (tasks.py) and the event
consumer (consumer.py) call them. Functions take the caller and plain data, return domain
objects or plain dicts, and know nothing of HTTP or Step Functions.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timezone
from typing import Any

from shared.auth import Caller
from shared.concurrency import stale
from shared.events import DomainEvent, Subject, new_event, now_iso
from shared.idempotency import derived_id
from shared.observability import correlation_id
from shared.problems import Conflict, Forbidden, NotFound, ValidationFailed

from .data import repository as store
from .domain import reports, rules
from .domain.model import RESULTS, Campaign, CyclePolicy, Finding, Holding, Scope, Session, range_of
from .domain.rules import manager_org, reader_org, require_found, scanner_org
from .integration import workflows

CAPABILITY = "inventory"
SYSTEM_ACTOR = {"user_id": "system", "org_id": None}
PAGE_SIZE = 500  # expected boxes compared per Step Functions iteration: bounds one invocation's memory


def event(type_: str, subjects: list[Subject], payload: dict[str, Any], actor: dict[str, Any]) -> DomainEvent:
    return new_event(CAPABILITY, type_, subjects, payload, actor=actor, correlation_id=correlation_id())


def _subject(campaign: Campaign) -> Subject:
    return Subject("campaign", campaign.id, campaign.org_id)


def _today() -> date:
    return datetime.now(timezone.utc).date()


# ------------------------------------------------------------------ campaigns
def _scope(body: dict[str, Any]) -> Scope:
    repository_id = body["repository_id"]
    ranges = tuple(sorted(set(body.get("ranges") or ())))
    wrong = [r for r in ranges if range_of(r) != r or not r.startswith(repository_id + "-")]
    if wrong:
        raise ValidationFailed(f"scope.ranges: {wrong[0]} is not a range of {repository_id} (e.g. {repository_id}-03).",
                               errors=[{"field": "scope.ranges", "message": "not a range of the repository"}])
    return Scope(repository_id, ranges)


def _date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{field}: {value} is not a calendar date.",
                               errors=[{"field": field, "message": "not a calendar date"}]) from None


def create_campaign(caller: Caller, body: dict[str, Any], idempotency_key: str | None) -> Campaign:
    org_id = manager_org(caller)
    _date(body.get("due_by"), "due_by")
    stamp = now_iso()
    campaign = Campaign(org_id=org_id, id=derived_id(f"campaign|{caller.user_id}", idempotency_key),
                        name=body["name"].strip(), scope=_scope(body["scope"]), due_by=body.get("due_by"),
                        created_by=caller.user_id, created_at=stamp, updated_at=stamp)
    store.create_campaign(campaign, event("CampaignOpened", [_subject(campaign)], campaign.public(),
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


# ------------------------------------------------------------------- sessions
def _open_campaign(org_id: str, campaign_id: str) -> Campaign:
    campaign = require_found(store.get_campaign(org_id, campaign_id), "campaign")
    if campaign.status != "open":
        raise Conflict(f"The campaign is {campaign.status}; scanning is over.")
    return campaign


def open_session(caller: Caller, campaign_id: str, body: dict[str, Any], idempotency_key: str | None) -> Session:
    org_id = scanner_org(caller)
    campaign = _open_campaign(org_id, campaign_id)
    session = Session(org_id=org_id, campaign_id=campaign.id,
                      id=derived_id(f"session|{campaign.id}|{caller.user_id}", idempotency_key),
                      name=(body.get("name") or "").strip() or None, device=body.get("device"),
                      opened_by=caller.user_id, created_at=now_iso(), api_key_id=body.get("api_key_id"))
    store.create_session(session, campaign, event("ScanSessionOpened", [_subject(campaign)], session.public(),
                                                  caller.as_actor()))
    return session


def list_sessions(caller: Caller, campaign_id: str, limit: int, cursor: str | None):
    org_id = reader_org(caller)
    require_found(store.get_campaign(org_id, campaign_id), "campaign")
    return store.list_sessions(org_id, campaign_id, limit, cursor)


def post_scans(caller: Caller, campaign_id: str, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """What was found on one shelf. A post replaces the earlier post of the same shelf and batch
    (a rescan of a shelf is its recount); a shelf too big for one call is sent in batches 1, 2, ..."""
    org_id = scanner_org(caller)
    campaign = require_found(store.get_campaign(org_id, campaign_id), "campaign")
    require_found(store.get_session(org_id, campaign_id, session_id), "session")
    return _post_scans(campaign, session_id, body, caller.user_id)


def partner_scans(api_key_id: str | None, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A partner scanner posts a shelf to the session a stack manager bound to its API key."""
    if not api_key_id:
        raise Forbidden("Scanners post through a partner API key; none reached this route.")
    binding = store.session_binding(session_id)
    if binding is None:
        raise NotFound("No scanning session with that id is bound to a partner scanner.")
    if binding.api_key_id != api_key_id:
        raise Forbidden("This session is bound to another partner API key.")
    campaign = require_found(store.get_campaign(binding.org_id, binding.campaign_id), "campaign")
    return _post_scans(campaign, session_id, body, f"partner:{api_key_id}")


def _post_scans(campaign: Campaign, session_id: str, body: dict[str, Any], by: str) -> dict[str, Any]:
    org_id, campaign_id = campaign.org_id, campaign.id
    shelf = body["location_id"]
    if len(shelf.split("-")) != 4:
        raise ValidationFailed(f"location_id: {shelf} is not a shelf (repository-range-section-shelf).",
                               errors=[{"field": "location_id", "message": "not a shelf"}])
    if not campaign.scope.covers(shelf):
        raise ValidationFailed(f"location_id: shelf {shelf} is outside the campaign's scope.",
                               errors=[{"field": "location_id", "message": "outside the campaign's scope"}])
    if campaign.status != "open":
        raise Conflict(f"The campaign is {campaign.status}; scanning is over.")
    barcodes = list(dict.fromkeys(body["barcodes"]))  # a scanner reading a label twice counts once
    batch = body.get("batch", 1)
    before = store.scan_batch(org_id, campaign_id, shelf, batch)
    dropped = sorted(set(before) - set(barcodes))
    store.save_scan(org_id, campaign_id, session_id, shelf, batch, barcodes, dropped, now_iso(), by)
    return {"campaign_id": campaign_id, "session_id": session_id, "location_id": shelf, "batch": batch,
            "received": len(body["barcodes"]), "distinct": len(barcodes), "replaced": bool(before),
            "dropped": len(dropped)}


# --------------------------------------------------------------------- counting
def start_count(caller: Caller, campaign_id: str, expected_version: int) -> Campaign:
    """Close the scanning and compare expected with found, in a Step Functions execution (202)."""
    org_id = manager_org(caller)
    before = require_found(store.get_campaign(org_id, campaign_id, consistent=True), "campaign")
    if before.status not in ("open", "counting"):
        raise Conflict(f"A {before.status} campaign cannot be counted.")
    if before.version != expected_version:
        raise stale("campaign")
    if before.status == "counting":  # asked again: make sure the run's execution exists (a lost start)
        workflows.start_count(before, correlation_id())
        return before
    after = before.with_changes(status="counting", run=before.run + 1, last_error=None, version=before.version + 1,
                                updated_at=now_iso())
    store.save_campaign(after, before, event("CampaignCountStarted", [_subject(after)],
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
    store.save_campaign(after, before, event("CampaignCounted", [_subject(after)],
                                             {"campaign_id": campaign_id, "run": run, "totals": totals}, actor))
    return {"status": "counted", "totals": totals, "already": False}


def fail_count(org_id: str, campaign_id: str, run: int, error: dict[str, Any] | None) -> dict[str, Any]:
    """Compensation: the campaign opens again for scanning (results of the failed run are ignored)."""
    before = store.get_campaign(org_id, campaign_id, consistent=True)
    if before is None or before.status != "counting" or before.run != run:
        return {"status": before.status if before else None, "changed": False}
    reason = f"{(error or {}).get('Error', 'Error')}: {(error or {}).get('Cause', '')}"[:500]
    after = before.with_changes(status="open", last_error=reason, version=before.version + 1, updated_at=now_iso())
    store.save_campaign(after, before, event("CampaignCountFailed", [_subject(after)],
                                             {"campaign_id": campaign_id, "run": run, "error": reason}, SYSTEM_ACTOR))
    return {"status": "open", "changed": True}


# ---------------------------------------------------------------------- reading
def results(caller: Caller, campaign_id: str, result: str | None, limit: int, cursor: str | None):
    campaign = get_campaign(caller, campaign_id)
    if campaign.run == 0:
        return [], None
    return store.results_page(campaign.org_id, campaign.id, campaign.run, result, limit, cursor)


def report(caller: Caller, campaign_id: str) -> dict[str, Any]:
    campaign = get_campaign(caller, campaign_id)
    per_range = store.counters(campaign.org_id, campaign.id, campaign.run) if campaign.run else {}
    if campaign.status == "counting":
        per_range = {}  # partial figures of a running count would mislead
    total = reports.totals(per_range)
    return {"campaign_id": campaign.id, "name": campaign.name, "status": campaign.status, "run": campaign.run,
            "scope": campaign.scope.public(), "counted_at": campaign.counted_at, "totals": total,
            "expected": sum(v for k, v in total.items() if k != "unexpected"),
            "ranges": [{"range": r, **{k: per_range[r].get(k, 0) for k in RESULTS}} for r in sorted(per_range)],
            "findings": campaign.findings, "undecided_findings": campaign.undecided_findings}


def report_csv(report_: dict[str, Any]) -> str:
    return reports.report_csv({row["range"]: row for row in report_["ranges"]})


def report_svg(report_: dict[str, Any]) -> str:
    return reports.report_svg(f"Stock-take {report_['name']} — results per range",
                              {row["range"]: row for row in report_["ranges"]})


# --------------------------------------------------------------------- findings
def record_finding(caller: Caller, campaign_id: str, body: dict[str, Any], idempotency_key: str | None) -> Finding:
    org_id = scanner_org(caller)
    campaign = require_found(store.get_campaign(org_id, campaign_id), "campaign")
    if campaign.status == "closed":
        raise Conflict("The campaign is closed; it takes no more findings.")
    location = body.get("location_id")
    if location is not None and not campaign.scope.covers(location):
        raise ValidationFailed(f"location_id: shelf {location} is outside the campaign's scope.",
                               errors=[{"field": "location_id", "message": "outside the campaign's scope"}])
    box_id, barcode = body.get("box_id"), body.get("barcode")
    if box_id is None:  # name the box the label belongs to, when the read model knows it
        known = store.boxes_by_barcode(org_id, [barcode]).get(barcode)
        box_id = known.box_id if known else None
    stamp = now_iso()
    finding = Finding(org_id=org_id, campaign_id=campaign_id,
                      id=derived_id(f"finding|{campaign_id}|{caller.user_id}", idempotency_key),
                      box_id=box_id, barcode=barcode, location_id=location,
                      conditions=tuple(dict.fromkeys(body["conditions"])), note=body.get("note"),
                      owner=body.get("owner"), recorded_by=caller.user_id, created_at=stamp, updated_at=stamp)
    store.create_finding(finding, event("ConditionFindingRecorded", [_subject(campaign)] + _box_subjects(finding),
                                        finding.public(), caller.as_actor()))
    return finding


def _box_subjects(finding: Finding) -> list[Subject]:
    return [Subject("box", finding.box_id, finding.org_id)] if finding.box_id else []


def list_findings(caller: Caller, campaign_id: str, limit: int, cursor: str | None):
    org_id = reader_org(caller)
    require_found(store.get_campaign(org_id, campaign_id), "campaign")
    return store.list_findings(org_id, campaign_id, limit, cursor)


def get_finding(caller: Caller, campaign_id: str, finding_id: str) -> Finding:
    return require_found(store.get_finding(reader_org(caller), campaign_id, finding_id), "finding")


def update_finding(caller: Caller, campaign_id: str, finding_id: str, changes: dict[str, Any],
                   expected_version: int) -> Finding:
    """The follow-up task: owner, status, and the decision (only stack managers and admins decide)."""
    org_id = scanner_org(caller)
    before = require_found(store.get_finding(org_id, campaign_id, finding_id), "finding")
    if "decision" in changes:
        manager_org(caller)  # a decision may be revised, never withdrawn (the schema refuses null)
    if before.version != expected_version:
        raise stale("finding")
    target = changes.get("status", before.task_status)
    try:
        rules.check_task_move(before.task_status, target)
    except rules.CloseRefused as exc:
        raise Conflict(str(exc)) from None
    fields = {"task_status": target}
    for name in ("owner", "decision", "decision_note", "note"):
        if name in changes:
            fields[name] = changes[name]
    after = before.with_changes(**fields, version=before.version + 1, updated_at=now_iso())
    store.save_finding(after, before, event("ConditionFindingUpdated",
                                            [Subject("campaign", campaign_id, org_id)] + _box_subjects(after),
                                            {"changes": changes, "finding": after.public()}, caller.as_actor()))
    return after


# ---------------------------------------------------------------------- closing
def close_campaign(caller: Caller, campaign_id: str, expected_version: int) -> Campaign:
    org_id = manager_org(caller)
    before = require_found(store.get_campaign(org_id, campaign_id, consistent=True), "campaign")
    try:
        rules.check_close(before.status, store.all_findings(org_id, campaign_id))
    except rules.CloseRefused as exc:
        raise Conflict(str(exc)) from None
    if before.version != expected_version:
        raise stale("campaign")
    stamp = now_iso()
    after = before.with_changes(status="closed", closed_at=stamp, version=before.version + 1, updated_at=stamp)
    cycle = None
    policy = store.get_cycle(org_id, before.scope.repository_id, consistent=True)
    if policy is not None and not before.scope.ranges:  # a whole-repository count restarts its cycle
        today = _today().isoformat()
        cycle = (policy, policy.with_changes(last_counted_on=today, open_campaign_id=None,
                                             next_due_on=rules.next_due(today, policy.cycle_years, _today()),
                                             version=policy.version + 1, updated_at=stamp))
    totals = reports.totals(store.counters(org_id, campaign_id, before.run))
    store.save_campaign(after, before, event("CampaignClosed", [_subject(after)],
                                             {"campaign_id": campaign_id, "run": after.run, "totals": totals},
                                             caller.as_actor()),
                        cycle=cycle, require_decided=True,
                        on_stale=Conflict("The campaign changed (a finding without a decision, or another edit); "
                                          "read it again."))
    return after


# ---------------------------------------------------------------------- cycles
def set_cycle(caller: Caller, body: dict[str, Any]) -> CyclePolicy:
    """The counting cycle of a repository (every holding counted at least every `cycle_years`)."""
    org_id = manager_org(caller)
    repository_id = body["repository_id"]
    before = store.get_cycle(org_id, repository_id, consistent=True)
    years = body.get("cycle_years", rules.DEFAULT_CYCLE_YEARS)
    last = body.get("last_counted_on", before.last_counted_on if before else None)
    if last is not None and _date(last, "last_counted_on") > _today():
        raise ValidationFailed("last_counted_on: a count cannot be in the future.",
                               errors=[{"field": "last_counted_on", "message": "in the future"}])
    after = CyclePolicy(org_id=org_id, repository_id=repository_id, cycle_years=years, last_counted_on=last,
                        next_due_on=rules.next_due(last, years, _today()),
                        open_campaign_id=before.open_campaign_id if before else None,
                        version=(before.version + 1) if before else 1, updated_at=now_iso())
    store.save_cycle(after, before, event("CountingCycleSet", [Subject("repository", repository_id, org_id)],
                                          after.public(), caller.as_actor()))
    return after


def list_cycles(caller: Caller, limit: int, cursor: str | None):
    return store.list_cycles(reader_org(caller), limit, cursor)


def open_due_campaigns(today: str | None = None, limit: int = 100) -> dict[str, Any]:
    """Scheduled job: a campaign for every repository whose cycle is due (one per cycle and due date,
    so a repeated run opens nothing twice)."""
    day = date.fromisoformat(today) if today else _today()
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
                store.create_campaign(campaign, event("CampaignOpened", [_subject(campaign)], campaign.public(),
                                                      SYSTEM_ACTOR), cycle=(policy, after))
                opened.append(campaign_id)
            except Conflict:
                continue  # another run of the job got there first
        if not start:
            break
    return {"due": seen, "opened": opened}


# ---------------------------------------------------------------------- events
def record_stacks_event(envelope: dict[str, Any]) -> bool:
    """Keep the holdings read model: True if the event changed what we know of a box."""
    holding = rules.holding_from_event(envelope)
    if holding is None:
        return False
    return store.apply_holding(holding)
