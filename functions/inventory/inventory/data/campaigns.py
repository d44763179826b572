"""Reads and conditional writes of the inventory table (keys: see tables.py).

Every change of a campaign, session, finding or cycle is one transaction with its event
(outbox) and conditions: versions stop lost updates, the campaign's status stops scans
after counting began, its `undecided_findings` counter stops a close while a finding lacks
a decision. The count's page writes are idempotent: results are keyed by box, and a page's
counters are added in the same transaction as the page's receipt, so a retried page never
counts twice.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from pynamodb.exceptions import DeleteError, DoesNotExist

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.pagination import decode_cursor, encode_cursor, typed_key
from shared.problems import Conflict, InvalidCursor, ServiceUnavailable

from ..domain.model import RESULTS, Campaign, CyclePolicy, Finding, Holding, Session, range_of
from .tables import (CYCLE_DUE, BarcodeItem, CampaignItem, CounterItem, CycleItem, FindingItem, HoldingItem,
                     RangeItem, ReceiptItem, RepositoryItem, ResultItem, ScanBatchItem, SeenItem, SessionBindingItem, SessionItem,
                     barcode_key, campaign_key, campaign_sort_key, cycle_key, finding_key, holding_key, holdings_index_key,
                     org_key, ranges_key, receipts_key, results_key, scans_key, seen_key, session_key)
from .tx import Tx, page, read

BATCH_GET = 100  # DynamoDB's limit per BatchGetItem


def _get(model, hash_key: str, range_key: str, consistent: bool = False):
    try:
        return read(model.get, hash_key, range_key, consistent_read=consistent)
    except DoesNotExist:
        return None


def _in_campaign(model, org_id: str, campaign_id: str, sort_key: str):
    """A session or finding (their items leave the organisation and campaign to the key)."""
    item = _get(model, campaign_key(org_id, campaign_id), sort_key)
    return item.entity(org_id=org_id, campaign_id=campaign_id) if item else None


def _campaign_page(model, org_id: str, campaign_id: str, prefix: str, limit: int, cursor: str | None):
    return page(model, campaign_key(org_id, campaign_id), prefix, limit, cursor,
                convert=lambda i: i.entity(org_id=org_id, campaign_id=campaign_id))


# ------------------------------------------------------------------ campaigns
def get_campaign(org_id: str, campaign_id: str, consistent: bool = False) -> Campaign | None:
    item = _get(CampaignItem, org_key(org_id), campaign_sort_key(campaign_id), consistent)
    return item.entity() if item else None


def list_campaigns(org_id: str, limit: int, cursor: str | None) -> tuple[list[Campaign], str | None]:
    return page(CampaignItem, org_key(org_id), campaign_sort_key(""), limit, cursor)


def create_campaign(campaign: Campaign, event: DomainEvent, cycle: tuple[CyclePolicy, CyclePolicy] | None = None) -> None:
    """A new campaign; with `cycle` = (before, after), the cycle it was opened for leaves the due index."""
    tx = Tx().put(CampaignItem.of(campaign), condition=CampaignItem.pk.does_not_exist(),
                  on_fail=Conflict("That campaign already exists."))
    if cycle is not None:
        before, after = cycle
        tx.put(CycleItem.of(after), condition=CycleItem.version == before.version, on_fail=stale("cycle policy"))
    tx.event(event).run()


def save_campaign(after: Campaign, before: Campaign, event: DomainEvent | None,
                  cycle: tuple[CyclePolicy, CyclePolicy] | None = None, *, require_decided: bool = False,
                  on_stale: Exception | None = None) -> None:
    condition = (CampaignItem.version == before.version) & (CampaignItem.status == before.status)
    if require_decided:
        condition = condition & (CampaignItem.undecided_findings == 0)
    # The finding counters move without a version bump (findings have their own): keep them as stored.
    item = CampaignItem.of(after)
    tx = Tx().update(item, [CampaignItem.name.set(after.name), CampaignItem.status.set(after.status),
                            CampaignItem.run.set(after.run), CampaignItem.last_error.set(after.last_error)
                            if after.last_error else CampaignItem.last_error.remove(),
                            *([CampaignItem.counted_at.set(after.counted_at)] if after.counted_at else []),
                            *([CampaignItem.closed_at.set(after.closed_at)] if after.closed_at else []),
                            *([CampaignItem.due_by.set(after.due_by)] if after.due_by else []),
                            CampaignItem.version.set(after.version), CampaignItem.updated_at.set(after.updated_at)],
                     condition=condition, on_fail=on_stale or stale("campaign"))
    if cycle is not None:
        c_before, c_after = cycle
        tx.put(CycleItem.of(c_after), condition=CycleItem.version == c_before.version, on_fail=stale("cycle policy"))
    if event is not None:
        tx.event(event)
    tx.run()


# ------------------------------------------------------------------- sessions
def create_session(session: Session, campaign: Campaign, event: DomainEvent) -> None:
    tx = (Tx().check(CampaignItem, org_key(campaign.org_id), campaign_sort_key(campaign.id),
                     CampaignItem.status == "open", on_fail=Conflict("The campaign is no longer open for scanning."))
          .put(SessionItem.of(session), condition=SessionItem.pk.does_not_exist(),
               on_fail=Conflict("That session already exists.")))
    if session.partner_client_id:
        tx.put(SessionBindingItem(pk=session_key(session.id), sk="PARTNER", org_id=session.org_id,
                                  campaign_id=session.campaign_id, partner_client_id=session.partner_client_id),
               condition=SessionBindingItem.pk.does_not_exist(), on_fail=Conflict("That session already exists."))
    tx.event(event).run()


def session_binding(session_id: str) -> SessionBindingItem | None:
    return _get(SessionBindingItem, session_key(session_id), "PARTNER")


def get_session(org_id: str, campaign_id: str, session_id: str) -> Session | None:
    return _in_campaign(SessionItem, org_id, campaign_id, session_key(session_id))


def list_sessions(org_id: str, campaign_id: str, limit: int, cursor: str | None):
    return _campaign_page(SessionItem, org_id, campaign_id, session_key(""), limit, cursor)


# ---------------------------------------------------------------------- scans
def scan_batch(org_id: str, campaign_id: str, location_id: str, batch: int) -> list[str]:
    item = _get(ScanBatchItem, scans_key(org_id, campaign_id), f"{location_id}#{batch:04d}", consistent=True)
    return list(item.barcodes) if item else []


def save_scan(org_id: str, campaign_id: str, session_id: str, location_id: str, batch: int, barcodes: list[str],
              dropped: Iterable[str], at: str, by: str) -> None:
    """The shelf's batch (replacing an earlier post of it), then where each barcode was seen. The batch
    write is conditional on the campaign still being open; the seen marks are idempotent puts, so a
    retry after a failure in between completes them."""
    item = ScanBatchItem(pk=scans_key(org_id, campaign_id), sk=f"{location_id}#{batch:04d}", session_id=session_id,
                         location_id=location_id, batch=batch, barcodes=barcodes, at=at, by=by)
    (Tx().check(CampaignItem, org_key(org_id), campaign_sort_key(campaign_id), CampaignItem.status == "open",
                on_fail=Conflict("The campaign is no longer open for scanning: its count has started."))
     .put(item).run())
    pk = seen_key(org_id, campaign_id)
    with SeenItem.batch_write() as writer:
        for barcode in barcodes:
            writer.save(SeenItem(pk=pk, sk=barcode, location_id=location_id, session_id=session_id))
    for barcode in dropped:  # no longer on this shelf's post: forget it, unless a later post saw it elsewhere
        try:
            SeenItem(pk=pk, sk=barcode).delete(condition=SeenItem.location_id == location_id)
        except DeleteError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise ServiceUnavailable("The inventory store is busy; post the shelf again.") from exc
            # seen on another shelf since: that later reading stands


# -------------------------------------------------------------------- findings
def create_finding(finding: Finding, event: DomainEvent) -> None:
    (Tx().put(FindingItem.of(finding), condition=FindingItem.pk.does_not_exist(),
              on_fail=Conflict("That finding already exists."))
     .update(CampaignItem(pk=org_key(finding.org_id), sk=campaign_sort_key(finding.campaign_id)),
             [CampaignItem.findings.add(1), CampaignItem.undecided_findings.add(0 if finding.decision else 1)],
             condition=CampaignItem.status != "closed",
             on_fail=Conflict("The campaign is closed; it takes no more findings."))
     .event(event).run())


def save_finding(after: Finding, before: Finding, event: DomainEvent) -> None:
    tx = Tx().put(FindingItem.of(after), condition=FindingItem.version == before.version, on_fail=stale("finding"))
    if after.decision and not before.decision:
        tx.update(CampaignItem(pk=org_key(after.org_id), sk=campaign_sort_key(after.campaign_id)),
                  [CampaignItem.undecided_findings.add(-1)], condition=CampaignItem.pk.exists())
    tx.event(event).run()


def get_finding(org_id: str, campaign_id: str, finding_id: str) -> Finding | None:
    return _in_campaign(FindingItem, org_id, campaign_id, finding_key(finding_id))


def list_findings(org_id: str, campaign_id: str, limit: int, cursor: str | None):
    return _campaign_page(FindingItem, org_id, campaign_id, finding_key(""), limit, cursor)


def all_findings(org_id: str, campaign_id: str) -> list[Finding]:
    result = FindingItem.query(campaign_key(org_id, campaign_id), FindingItem.sk.startswith(finding_key("")),
                               consistent_read=True)
    return read(lambda: [i.entity(org_id=org_id, campaign_id=campaign_id) for i in result])


# ---------------------------------------------------------------------- cycles
def get_cycle(org_id: str, repository_id: str, consistent: bool = False) -> CyclePolicy | None:
    item = _get(CycleItem, org_key(org_id), cycle_key(repository_id), consistent)
    return item.entity() if item else None


def save_cycle(after: CyclePolicy, before: CyclePolicy | None, event: DomainEvent) -> None:
    condition = CycleItem.pk.does_not_exist() if before is None else CycleItem.version == before.version
    Tx().put(CycleItem.of(after), condition=condition, on_fail=stale("cycle policy")).event(event).run()


def list_cycles(org_id: str, limit: int, cursor: str | None):
    return page(CycleItem, org_key(org_id), cycle_key(""), limit, cursor)


def due_cycles(today: str, limit: int, start: dict | None = None) -> tuple[list[CyclePolicy], dict | None]:
    """Cycle policies of every organisation due on or before `today` with no open campaign."""
    result = CycleItem.gsi1.query(CYCLE_DUE, CycleItem.gsi1sk <= f"{today}#~", limit=limit, last_evaluated_key=start)
    items = read(lambda: [i.entity() for i in result])
    return items, result.last_evaluated_key


# -------------------------------------------------------------------- holdings
class _Older(Exception):
    """The stored holding is as new or newer than the event's."""


def get_holding(org_id: str, box_id: str) -> Holding | None:
    item = _get(HoldingItem, holding_key(org_id, box_id), "HOLDING", consistent=True)
    return item.entity() if item else None


def apply_holding(h: Holding) -> bool:
    """Keep the newest version of a box (events may come twice or out of order); True if it changed."""
    current = get_holding(h.org_id, h.box_id)
    if current is not None and current.version >= h.version:
        return False
    old_label = None
    if current is not None and current.barcode != h.barcode:
        old_label = _get(BarcodeItem, barcode_key(h.org_id, current.barcode), "BOX", consistent=True)
    tx = Tx()
    _stage_holding(tx, h, current, old_label, set())
    try:
        tx.run()
    except _Older:
        return False
    return True


HOLDINGS_PER_TX = 25  # at most 4 operations each (holding, label, old label, range): within DynamoDB's 100


def apply_holdings(holdings: list[Holding]) -> dict[tuple[str, str], bool | Exception]:
    """`apply_holding` for many boxes (one holding each) at once: the stored holdings (and the labels a
    relabelled box leaves) read with one consistent BatchGetItem per 100, the newer ones written
    HOLDINGS_PER_TX boxes to a transaction. A transaction the table refuses (a newer version written
    meanwhile, a busy table) is redone box by box, so each box gets its own outcome: True if it
    changed, False if the model already had that version or a newer one, or the Exception that
    stopped it."""
    keyed = {(h.org_id, h.box_id): h for h in holdings}
    stored = {(c.org_id, c.box_id): c
              for c in _consistent_batch(HoldingItem, [(holding_key(*k), "HOLDING") for k in keyed], HoldingItem.entity)}
    outcomes: dict[tuple[str, str], bool | Exception] = {}
    fresh = []
    for key, h in keyed.items():
        current = stored.get(key)
        if current is not None and current.version >= h.version:
            outcomes[key] = False
        else:
            fresh.append((h, current))
    relabelled = [(barcode_key(h.org_id, c.barcode), "BOX") for h, c in fresh if c is not None and c.barcode != h.barcode]
    old_labels = {(i.pk, i.sk): i for i in _consistent_batch(BarcodeItem, relabelled, lambda i: i)}

    group: list[Holding] = []
    tx, staged = Tx(), set()

    def commit() -> None:
        nonlocal tx, staged
        if group:
            try:
                tx.run()
                outcomes.update({(h.org_id, h.box_id): True for h in group})
            except Exception:  # noqa: BLE001 — redone one by one below, each with its own outcome
                for h in group:
                    try:
                        outcomes[(h.org_id, h.box_id)] = apply_holding(h)
                    except Exception as exc:  # noqa: BLE001 — this box's events come again
                        outcomes[(h.org_id, h.box_id)] = exc
        group.clear()
        tx, staged = Tx(), set()

    for h, current in fresh:
        old_label = old_labels.get((barcode_key(h.org_id, current.barcode), "BOX")) if current is not None else None
        if len(group) == HOLDINGS_PER_TX or _own_keys(h, current) & staged:  # one operation per item per transaction
            commit()
        _stage_holding(tx, h, current, old_label, staged)
        group.append(h)
    commit()
    return outcomes


def _own_keys(h: Holding, current: Holding | None) -> set[str]:
    """The items a box's holding writes that no other box's may share in one transaction."""
    keys = {holding_key(h.org_id, h.box_id), barcode_key(h.org_id, h.barcode)}
    if current is not None:
        keys.add(barcode_key(h.org_id, current.barcode))
    return keys


def _stage_holding(tx: Tx, h: Holding, current: Holding | None, old_label: BarcodeItem | None,
                   staged: set[str]) -> None:
    """Add a box's newer holding to `tx`: the holding (only over an older version), its label, the
    release of the label it had (if still its own) and its range; `staged` collects the keys (a
    range already staged is not put twice)."""
    tx.put(HoldingItem.of(h), condition=HoldingItem.pk.does_not_exist() | (HoldingItem.version < h.version),
           on_fail=_Older())
    tx.put(BarcodeItem(pk=barcode_key(h.org_id, h.barcode), sk="BOX", box_id=h.box_id, home_id=h.home_id,
                       status=h.status, version=h.version))
    staged |= _own_keys(h, current)
    if current is not None and current.barcode != h.barcode and old_label is not None and old_label.box_id == h.box_id:
        tx.delete(BarcodeItem(pk=barcode_key(h.org_id, current.barcode), sk="BOX"),
                  condition=BarcodeItem.box_id == h.box_id, on_fail=_Older())
    if h.home_id:
        rng = range_of(h.home_id)
        range_item = RangeItem(pk=ranges_key(h.org_id, h.home_id.split("-")[0]), sk=f"RANGE#{rng}", range_id=rng)
        if f"{range_item.pk}|{range_item.sk}" not in staged:
            staged.add(f"{range_item.pk}|{range_item.sk}")
            tx.put(range_item)


def _consistent_batch(model, keys: list[tuple[str, str]], convert) -> list[Any]:
    found = []
    for start in range(0, len(keys), BATCH_GET):
        chunk = keys[start:start + BATCH_GET]
        found += read(lambda: [convert(i) for i in model.batch_get(chunk, consistent_read=True)])
    return found


def record_repository(org_id: str, repository_id: str) -> bool:
    """Remember that the repository exists (an idempotent put); True if it was new."""
    if repository_known(org_id, repository_id):
        return False
    Tx().put(RepositoryItem(pk=ranges_key(org_id, repository_id), sk="REPOSITORY", repository_id=repository_id)).run()
    return True


def repository_known(org_id: str, repository_id: str) -> bool:
    """Whether stacks told us of this repository: its item, or a range with boxes shelved in it (holdings
    kept before repositories were), in its partition."""
    result = RepositoryItem.query(ranges_key(org_id, repository_id), limit=1, consistent_read=True)
    return read(lambda: next(iter(result), None)) is not None


def ranges_of(org_id: str, repository_id: str) -> list[str]:
    result = RangeItem.query(ranges_key(org_id, repository_id), RangeItem.sk.startswith("RANGE#"))
    return read(lambda: sorted(i.range_id for i in result))


def holdings_page(org_id: str, part: str, start: dict | None, limit: int):
    """One page of the boxes whose home is in range `part`, in shelf order (a part that is not a
    range, e.g. a repository with no shelved box yet, holds nothing)."""
    if part.count("-") != 1:
        return [], None
    result = HoldingItem.gsi1.query(holdings_index_key(org_id, part), limit=limit, last_evaluated_key=start)
    items = read(lambda: [i.entity() for i in result])
    return items, result.last_evaluated_key


def expected_at(org_id: str, location_id: str, limit: int, cursor: str | None):
    """The boxes whose home is a shelf (`R01-03-05-2`) or in a range (`R01-03`), for the API."""
    index_pk = holdings_index_key(org_id, range_of(location_id))
    start = decode_cursor(cursor, expected={"gsi1pk": index_pk}, keys={"pk", "sk", "gsi1pk", "gsi1sk"})
    shelf = location_id.count("-") == 3
    if start and shelf and not start["gsi1sk"].startswith(location_id + "#"):
        raise InvalidCursor("The cursor belongs to another listing.")
    result = HoldingItem.gsi1.query(index_pk, HoldingItem.gsi1sk.startswith(location_id + "#") if shelf else None,
                                    limit=limit, last_evaluated_key=typed_key(start))
    items = read(lambda: [{"box_id": i.box_id, "barcode": i.barcode, "status": i.status, "home_location_id": i.home_id,
                           "version": int(i.version)} for i in result])
    return items, encode_cursor(result.last_evaluated_key)


def seen_where(org_id: str, campaign_id: str, barcodes: list[str]) -> dict[str, str]:
    """barcode → the shelf it was scanned on, for those scanned."""
    pk = seen_key(org_id, campaign_id)
    found: dict[str, str] = {}
    for start in range(0, len(barcodes), BATCH_GET):
        keys = [(pk, b) for b in barcodes[start:start + BATCH_GET]]
        for item in read(lambda: list(SeenItem.batch_get(keys))):
            found[item.sk] = item.location_id
    return found


def seen_page(org_id: str, campaign_id: str, start: dict | None, limit: int):
    result = SeenItem.query(seen_key(org_id, campaign_id), limit=limit, last_evaluated_key=start)
    items = read(lambda: [(i.sk, i.location_id) for i in result])
    return items, result.last_evaluated_key


def boxes_by_barcode(org_id: str, barcodes: list[str]) -> dict[str, BarcodeItem]:
    found: dict[str, BarcodeItem] = {}
    for start in range(0, len(barcodes), BATCH_GET):
        keys = [(barcode_key(org_id, b), "BOX") for b in barcodes[start:start + BATCH_GET]]
        for item in read(lambda: list(BarcodeItem.batch_get(keys))):
            found[item.pk.rsplit("#", 1)[1]] = item
    return found


# ---------------------------------------------------------------------- results
def write_results(org_id: str, campaign_id: str, run: int, rows: list[dict[str, Any]]) -> None:
    pk = results_key(org_id, campaign_id, run)
    with ResultItem.batch_write() as writer:
        for row in rows:
            where = row.get("expected_at") or row.get("found_at") or "-"
            writer.save(ResultItem(pk=pk, sk=f"{row['result']}#{where}#{row.get('box_id') or row['barcode']}", **row))


def record_page(org_id: str, campaign_id: str, run: int, part: str, page: int,
                counts: dict[str, dict[str, int]]) -> bool:
    """Add one page's counts per range, once (the receipt is in the same transaction); False if done before."""
    tx = Tx().put(ReceiptItem(pk=receipts_key(org_id, campaign_id, run), sk=f"{part}#{page:06d}", counts=counts),
                  condition=ReceiptItem.pk.does_not_exist(), on_fail=_Older())
    for range_id, by_result in counts.items():
        actions = [CounterItem.range_id.set(range_id)]
        actions += [getattr(CounterItem, r).add(n) for r, n in by_result.items() if n]
        tx.update(CounterItem(pk=campaign_key(org_id, campaign_id), sk=f"COUNT#{run:04d}#{range_id}"), actions)
    try:
        tx.run()
    except _Older:
        return False
    return True


def counters(org_id: str, campaign_id: str, run: int) -> dict[str, dict[str, int]]:
    result = CounterItem.query(campaign_key(org_id, campaign_id), CounterItem.sk.startswith(f"COUNT#{run:04d}#"),
                               consistent_read=True)
    return read(lambda: {i.range_id: {r: int(getattr(i, r) or 0) for r in RESULTS} for i in result})


def results_page(org_id: str, campaign_id: str, run: int, result: str | None, limit: int, cursor: str | None):
    return page(ResultItem, results_key(org_id, campaign_id, run), f"{result}#" if result else "", limit, cursor,
                convert=lambda i: {"result": i.result, "box_id": i.box_id, "barcode": i.barcode,
                                   "expected_at": i.expected_at, "found_at": i.found_at, "box_status": i.box_status})


def cursor_text(key: dict | None) -> str | None:
    """A step's position, as plain JSON text Step Functions carries between pages."""
    return json.dumps(key, separators=(",", ":")) if key else None


def cursor_key(text: str | None) -> dict | None:
    return json.loads(text) if text else None
