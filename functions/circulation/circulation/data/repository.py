"""Reads and conditional writes of circulation items; every change carries its event.

A request change is one transaction: the request (conditional on the version and status that
were read, so two concurrent changes never both land), the box slots it takes or frees
(holder / place in the queue), the register entries it writes, and the event (outbox).
"""
from __future__ import annotations

from typing import Any, Iterable

from pynamodb.exceptions import DoesNotExist, PutError, PynamoDBException

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.pagination import decode_cursor, encode_cursor, typed_key
from shared.problems import Conflict, InvalidCursor, Problem, ServiceUnavailable

from ..domain.model import BoxFacts, Party, RegisterEntry, Request
from ..domain.overdue import open_index_key
from ..domain.policy import Policy
from ..domain.queue import Waiting, parse_sort_key, queue_sort_key
from .tables import (OPEN, SAGA, BoxFactsItem, NoticeItem, PolicyItem, RegisterItem, RequestItem, SlotItem,
                     active_key, ready_key, box_facts_key, box_partition, notice_partition, org_key, register_partition,
                     request_key, requests_index_key)
from .tx import Tx, read


# ---------------------------------------------------------------- conversions
def _request(item: RequestItem) -> Request:
    return Request(org_id=item.org_id, id=item.id, box_id=item.box_id, purpose=item.purpose,
                   destination=dict(item.destination), period_from=item.period_from, period_until=item.period_until,
                   requester=Party.from_dict(item.requester), status=item.status, note=item.note,
                   declared_retention=item.declared_retention, approver=Party.from_dict(item.approver),
                   decision=item.decision, loan_id=item.loan_id, attempt=int(item.attempt or 0),
                   checked_out_at=item.checked_out_at, checked_out_by=item.checked_out_by,
                   return_started_at=item.return_started_at, returned_by=item.returned_by,
                   returned_at=item.returned_at, condition=item.condition, condition_note=item.condition_note,
                   queued_at=item.queued_at, ready_at=item.ready_at, last_failure=item.last_failure,
                   version=int(item.version), created_at=item.created_at, updated_at=item.updated_at)


def _request_item(r: Request) -> RequestItem:
    item = RequestItem(pk=org_key(r.org_id), sk=request_key(r.id), gsi1pk=requests_index_key(r.org_id),
                       gsi1sk=f"{r.created_at}#{r.id}", org_id=r.org_id, id=r.id, box_id=r.box_id,
                       requester_id=r.requester.user_id, purpose=r.purpose, destination=dict(r.destination),
                       period_from=r.period_from, period_until=r.period_until, note=r.note,
                       declared_retention=r.declared_retention, status=r.status, requester=r.requester.public(),
                       approver=r.approver.public() if r.approver else None, decision=r.decision,
                       loan_id=r.loan_id, attempt=r.attempt, checked_out_at=r.checked_out_at,
                       checked_out_by=r.checked_out_by, return_started_at=r.return_started_at,
                       returned_by=r.returned_by, returned_at=r.returned_at, condition=r.condition,
                       condition_note=r.condition_note, queued_at=r.queued_at, ready_at=r.ready_at,
                       last_failure=r.last_failure, version=r.version, created_at=r.created_at,
                       updated_at=r.updated_at)
    if r.status == "checked_out":
        item.gsi2pk, item.gsi2sk = OPEN, open_index_key(r.due, r.org_id, r.id)
    elif r.status in ("checking_out", "returning"):
        item.gsi2pk, item.gsi2sk = SAGA, f"{r.updated_at}#{r.org_id}#{r.id}"
    return item


def _facts(item: BoxFactsItem) -> BoxFacts:
    return BoxFacts(org_id=item.org_id, box_id=item.box_id, status=item.status, loan_id=item.loan_id,
                    barcode=item.barcode, title=item.title, home_location_id=item.home_location_id,
                    current_location=item.current_location, retention=item.retention, version=int(item.version),
                    occurred_at=item.occurred_at, event_id=item.event_id)


def _entry(data: dict[str, Any]) -> RegisterEntry:
    return RegisterEntry(**{**data, "destination": dict(data["destination"]), "people": tuple(data.get("people", ()))})


def _entry_data(entry: RegisterEntry) -> dict[str, Any]:
    return {"org_id": entry.org_id, "at": entry.at, "action": entry.action, "request_id": entry.request_id,
            "loan_id": entry.loan_id, "box_id": entry.box_id, "requester": entry.requester,
            "handled_by": entry.handled_by, "purpose": entry.purpose, "destination": dict(entry.destination),
            "period_from": entry.period_from, "period_until": entry.period_until, "box_barcode": entry.box_barcode,
            "box_title": entry.box_title, "condition": entry.condition, "condition_note": entry.condition_note,
            "reason": entry.reason, "people": list(entry.people)}


def register_sort_key(entry: RegisterEntry) -> str:
    return f"{entry.at}#{entry.loan_id}#{entry.action}"


# ---------------------------------------------------------------------- reads
def get_request(org_id: str, request_id: str, consistent: bool = False) -> Request | None:
    try:
        return _request(read(RequestItem.get, org_key(org_id), request_key(request_id), consistent_read=consistent))
    except DoesNotExist:
        return None


def list_requests(org_id: str, limit: int, cursor: str | None, *, status: str | None = None,
                  box_id: str | None = None, requester_id: str | None = None) -> tuple[list[Request], str | None]:
    """Newest first. Filters apply within each page, so a filtered page may hold fewer than `limit`."""
    index_pk = requests_index_key(org_id)
    start = decode_cursor(cursor, expected={"gsi1pk": index_pk, "pk": org_key(org_id)},
                          keys={"pk", "sk", "gsi1pk", "gsi1sk"})
    condition = None
    for attribute, value in ((RequestItem.status, status), (RequestItem.box_id, box_id),
                             (RequestItem.requester_id, requester_id)):
        if value is not None:
            condition = (attribute == value) if condition is None else condition & (attribute == value)
    result = RequestItem.gsi1.query(index_pk, scan_index_forward=False, limit=limit,
                                    last_evaluated_key=typed_key(start), filter_condition=condition)
    items = read(lambda: [_request(i) for i in result])
    return items, encode_cursor(result.last_evaluated_key)


def box_slots(org_id: str, box_id: str) -> tuple[list[str], list[Waiting]]:
    """(requests holding the box, requests waiting for it), read strongly consistently.

    A request holds the box while a saga moves it or it is out (ACTIVE#), and while it is the
    one promoted from the queue and not yet checked out (READY#)."""
    result = SlotItem.query(box_partition(org_id, box_id), consistent_read=True)
    holders, waiting = [], []
    for item in read(lambda: list(result)):
        if item.sk.startswith(("ACTIVE#", "READY#")):
            holders.append(item.request_id)
        elif item.sk.startswith("QUEUE#"):
            waiting.append(parse_sort_key(item.sk))
    return holders, sorted(waiting)


def get_box_facts(org_id: str, box_id: str) -> BoxFacts | None:
    try:
        return _facts(read(BoxFactsItem.get, org_key(org_id), box_facts_key(box_id)))
    except DoesNotExist:
        return None


def get_policy(org_id: str) -> Policy:
    try:
        item = read(PolicyItem.get, org_key(org_id), "POLICY")
    except DoesNotExist:
        return Policy()
    return Policy.from_document(item.document, version=int(item.version), updated_at=item.updated_at,
                                updated_by=item.updated_by)


def register(org_id: str, *, box_id: str | None, person: str | None, since: str | None, until: str | None,
             limit: int, cursor: str | None) -> tuple[list[RegisterEntry], str | None]:
    """Entries in time order, from one of the register's partitions (organisation, box or person)."""
    pk = register_partition(org_id, box_id=box_id, person=person)
    start = decode_cursor(cursor, expected={"pk": pk}, keys={"pk", "sk"})
    low, high = since or "0", (until + "~") if until else "~"  # '~' sorts after every timestamp character
    if start and not low <= start["sk"] <= high:
        raise InvalidCursor("The cursor belongs to another listing.")
    result = RegisterItem.query(pk, RegisterItem.sk.between(low, high), limit=limit,
                                last_evaluated_key=typed_key(start))
    items = read(lambda: [_entry(i.entry) for i in result])
    return items, encode_cursor(result.last_evaluated_key)


def open_loans_due_before(cutoff: str, page_size: int, start: dict[str, Any] | None
                          ) -> tuple[list[Request], dict[str, Any] | None]:
    """One page of checked-out requests due before `cutoff` (the sparse OPEN index, by due date)."""
    result = RequestItem.gsi2.query(OPEN, RequestItem.gsi2sk < cutoff, limit=page_size, last_evaluated_key=start)
    items = read(lambda: [_request(i) for i in result])
    return items, result.last_evaluated_key


def sagas_started_before(cutoff: str) -> list[Request]:
    """Requests a saga has been moving since before `cutoff` (checking out or returning)."""
    result = RequestItem.gsi2.query(SAGA, RequestItem.gsi2sk < cutoff, page_size=100)
    return read(lambda: [_request(i) for i in result])


# --------------------------------------------------------------------- writes
def _slot(org_id: str, box_id: str, sort_key: str, request_id: str, at: str) -> SlotItem:
    return SlotItem(pk=box_partition(org_id, box_id), sk=sort_key, request_id=request_id, at=at)


def _register_items(entry: RegisterEntry) -> list[RegisterItem]:
    data, sk = _entry_data(entry), register_sort_key(entry)
    partitions = [register_partition(entry.org_id), register_partition(entry.org_id, box_id=entry.box_id)]
    partitions += [register_partition(entry.org_id, person=p) for p in sorted(set(entry.people))]
    return [RegisterItem(pk=pk, sk=sk, entry=data) for pk in partitions]


def create_request(request: Request, event: DomainEvent) -> None:
    Tx().put(_request_item(request), condition=RequestItem.pk.does_not_exist(),
             on_fail=Conflict("A request with that id already exists.")).event(event).run()


def save_request(after: Request, before: Request, event: DomainEvent | None, *, hold: bool = False,
                 release: bool = False, enqueue: bool = False, dequeue: bool = False, ready: bool = False,
                 unready: bool = False, entries: Iterable[RegisterEntry] = (), on_stale: Problem | None = None) -> None:
    """Commit a changed request and the box slots and register entries that change with it.

    hold/release add or remove its ACTIVE# slot on the box; ready/unready its READY# slot;
    enqueue/dequeue its QUEUE# place (keyed by `after.queued_at` / `before.queued_at`).
    """
    tx = Tx().put(_request_item(after),
                  condition=(RequestItem.version == before.version) & (RequestItem.status == before.status),
                  on_fail=on_stale or stale("request"))
    org, box = after.org_id, after.box_id
    if hold:
        tx.put(_slot(org, box, active_key(after.id), after.id, after.updated_at))
    if release:
        tx.delete(_slot(org, box, active_key(after.id), after.id, after.updated_at))
    if ready:
        tx.put(_slot(org, box, ready_key(after.id), after.id, after.updated_at))
    if unready:
        tx.delete(_slot(org, box, ready_key(after.id), after.id, after.updated_at))
    if dequeue and before.queued_at:
        tx.delete(_slot(org, box, queue_sort_key(before.queued_at, before.id), before.id, before.queued_at))
    if enqueue:
        assert after.queued_at
        tx.put(_slot(org, box, queue_sort_key(after.queued_at, after.id), after.id, after.queued_at))
    for entry in entries:
        for item in _register_items(entry):
            tx.put(item, condition=RegisterItem.pk.does_not_exist(),
                   on_fail=Conflict("This register entry was already written."))
    if event is not None:
        tx.event(event)
    tx.run()


class AlreadyRecorded(Conflict):
    def __init__(self) -> None:
        super().__init__("This return is already in the register.")


def record_return(request: Request, entry: RegisterEntry, event: DomainEvent) -> None:
    """The register's return entries, while the request is still being returned for this loan."""
    tx = Tx().check(RequestItem, org_key(request.org_id), request_key(request.id),
                    condition=(RequestItem.status == "returning") & (RequestItem.loan_id == request.loan_id),
                    on_fail=Conflict("The request is no longer being returned."))
    for item in _register_items(entry):
        tx.put(item, condition=RegisterItem.pk.does_not_exist(), on_fail=AlreadyRecorded())
    tx.event(event).run()


def return_recorded(request: Request) -> bool:
    if not request.return_started_at:
        return False
    sk = f"{request.return_started_at}#{request.loan_id}#return"
    try:
        read(RegisterItem.get, register_partition(request.org_id), sk, consistent_read=True)
        return True
    except DoesNotExist:
        return False


def drop_queue_place(org_id: str, box_id: str, waiting: Waiting) -> None:
    try:
        SlotItem(pk=box_partition(org_id, box_id), sk=queue_sort_key(waiting.queued_at, waiting.request_id)).delete()
    except PynamoDBException as exc:
        raise ServiceUnavailable("The circulation store is unavailable; retry shortly.") from exc


def save_policy(policy: Policy, expected_version: int, event: DomainEvent) -> None:
    condition = PolicyItem.pk.does_not_exist() if expected_version == 0 else PolicyItem.version == expected_version
    item = PolicyItem(pk=org_key(event.subjects[0].org_id or ""), sk="POLICY", document=policy.document(),
                      version=policy.version, updated_at=policy.updated_at or "", updated_by=policy.updated_by or "")
    Tx().put(item, condition=condition, on_fail=stale("policy")).event(event).run()


def apply_box_facts(facts: BoxFacts) -> bool:
    """Keep the newest facts: write unless what is stored is as new or newer (a duplicate or a late event)."""
    item = BoxFactsItem(pk=org_key(facts.org_id), sk=box_facts_key(facts.box_id), org_id=facts.org_id,
                        box_id=facts.box_id, status=facts.status, loan_id=facts.loan_id, barcode=facts.barcode,
                        title=facts.title, home_location_id=facts.home_location_id,
                        current_location=facts.current_location, retention=facts.retention, version=facts.version,
                        occurred_at=facts.occurred_at, event_id=facts.event_id)
    newer = (BoxFactsItem.pk.does_not_exist() | (BoxFactsItem.version < facts.version)
             | ((BoxFactsItem.version == facts.version) & (BoxFactsItem.occurred_at < facts.occurred_at)))
    try:
        item.save(condition=newer)
        return True
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise ServiceUnavailable("The circulation store is unavailable; retry shortly.") from exc
    except PynamoDBException as exc:
        raise ServiceUnavailable("The circulation store is unavailable; retry shortly.") from exc


class NoticeAlreadySent(Conflict):
    def __init__(self) -> None:
        super().__init__("This loan was already reported overdue today.")


def record_notice(request: Request, notice_key: str, at: str, expiration: int, event: DomainEvent) -> bool:
    """The day's overdue notice (`notice_key`, see domain.overdue) and its event, once; False when already sent."""
    notice = NoticeItem(pk=notice_partition(request.org_id, request.id), sk=notice_key, at=at,
                        expiration=expiration)
    try:
        Tx().put(notice, condition=NoticeItem.pk.does_not_exist(), on_fail=NoticeAlreadySent()).event(event).run()
        return True
    except NoticeAlreadySent:
        return False
