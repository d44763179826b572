"""Reads and conditional writes of circulation items; every change carries its event.

A request change is one transaction: the request (conditional on the version and status that
were read, so two concurrent changes never both land), the box slots it takes or frees
(holder / place in the queue), the register entries it writes, and the event (outbox).
"""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from pynamodb.exceptions import DoesNotExist, PutError, PynamoDBException

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.pagination import decode_cursor, encode_cursor, typed_key
from shared.problems import Conflict, InvalidCursor, Problem, ServiceUnavailable
from shared.readmodel import write_in_groups

from shared.mapping import decode, encode

from ..domain.model import BoxFacts, RegisterEntry, Request
from ..domain.policy import Policy
from ..domain.queue import Waiting
from .tables import (OPEN, SAGA, BoxFactsItem, NoticeItem, PolicyItem, RegisterItem, RequestItem, SlotItem,
                     active_key, box_facts_key, box_partition, due_cutoff, notice_key, notice_partition, org_key,
                     parse_queue_key, queue_key, ready_key, register_partition, request_key, requests_index_key)
from .tx import Tx, read


def register_sort_key(entry: RegisterEntry) -> str:
    return f"{entry.at}#{entry.loan_id}#{entry.action}"


# ---------------------------------------------------------------------- reads
def get_request(org_id: str, request_id: str, consistent: bool = False) -> Request | None:
    try:
        return read(RequestItem.get, org_key(org_id), request_key(request_id), consistent_read=consistent).entity()
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
    items = read(lambda: [i.entity() for i in result])
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
            waiting.append(parse_queue_key(item.sk))
    return holders, sorted(waiting)


def get_box_facts(org_id: str, box_id: str) -> BoxFacts | None:
    try:
        return read(BoxFactsItem.get, org_key(org_id), box_facts_key(box_id)).entity()
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
    items = read(lambda: [decode(RegisterEntry, i.entry) for i in result])
    return items, encode_cursor(result.last_evaluated_key)


def open_loans_due_before(today: date, page_size: int, start: dict[str, Any] | None
                          ) -> tuple[list[Request], dict[str, Any] | None]:
    """One page of checked-out requests due before `today` (the sparse OPEN index, by due date)."""
    result = RequestItem.gsi2.query(OPEN, RequestItem.gsi2sk < due_cutoff(today), limit=page_size,
                                    last_evaluated_key=start)
    items = read(lambda: [i.entity() for i in result])
    return items, result.last_evaluated_key


def sagas_started_before(cutoff: str) -> list[Request]:
    """Requests a saga has been moving since before `cutoff` (checking out or returning)."""
    result = RequestItem.gsi2.query(SAGA, RequestItem.gsi2sk < cutoff, page_size=100)
    return read(lambda: [i.entity() for i in result])


# --------------------------------------------------------------------- writes
def _slot(org_id: str, box_id: str, sort_key: str, request_id: str, at: str) -> SlotItem:
    return SlotItem(pk=box_partition(org_id, box_id), sk=sort_key, request_id=request_id, at=at)


def _register_items(entry: RegisterEntry) -> list[RegisterItem]:
    data, sk = encode(entry), register_sort_key(entry)
    partitions = [register_partition(entry.org_id), register_partition(entry.org_id, box_id=entry.box_id)]
    partitions += [register_partition(entry.org_id, person=p) for p in sorted(set(entry.people))]
    return [RegisterItem(pk=pk, sk=sk, entry=data) for pk in partitions]


def create_request(request: Request, event: DomainEvent) -> None:
    Tx().put(RequestItem.of(request), condition=RequestItem.pk.does_not_exist(),
             on_fail=Conflict("A request with that id already exists.")).event(event).run()


def save_request(after: Request, before: Request, event: DomainEvent | None, *, hold: bool = False,
                 release: bool = False, enqueue: bool = False, dequeue: bool = False, ready: bool = False,
                 unready: bool = False, entries: Iterable[RegisterEntry] = (), on_stale: Problem | None = None) -> None:
    """Commit a changed request and the box slots and register entries that change with it.

    hold/release add or remove its ACTIVE# slot on the box; ready/unready its READY# slot;
    enqueue/dequeue its QUEUE# place (keyed by `after.queued_at` / `before.queued_at`).
    """
    tx = Tx().put(RequestItem.of(after),
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
        tx.delete(_slot(org, box, queue_key(before.queued_at, before.id), before.id, before.queued_at))
    if enqueue:
        assert after.queued_at
        tx.put(_slot(org, box, queue_key(after.queued_at, after.id), after.id, after.queued_at))
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
        SlotItem(pk=box_partition(org_id, box_id), sk=queue_key(waiting.queued_at, waiting.request_id)).delete()
    except PynamoDBException as exc:
        raise ServiceUnavailable("The circulation store is unavailable; retry shortly.") from exc


def save_policy(policy: Policy, expected_version: int, event: DomainEvent) -> None:
    condition = PolicyItem.pk.does_not_exist() if expected_version == 0 else PolicyItem.version == expected_version
    item = PolicyItem(pk=org_key(event.subjects[0].org_id or ""), sk="POLICY", document=policy.document(),
                      version=policy.version, updated_at=policy.updated_at or "", updated_by=policy.updated_by or "")
    Tx().put(item, condition=condition, on_fail=stale("policy")).event(event).run()


def _newer_than_stored(facts: BoxFacts):
    return (BoxFactsItem.pk.does_not_exist() | (BoxFactsItem.version < facts.version)
            | ((BoxFactsItem.version == facts.version) & (BoxFactsItem.occurred_at < facts.occurred_at)))


def _newer(facts: BoxFacts, stored: BoxFacts | None) -> bool:
    return stored is None or (facts.version, facts.occurred_at) > (stored.version, stored.occurred_at)


def apply_box_facts(facts: BoxFacts) -> bool:
    """Keep the newest facts: write unless what is stored is as new or newer (a duplicate or a late event)."""
    item = BoxFactsItem.of(facts)
    try:
        item.save(condition=_newer_than_stored(facts))
        return True
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise ServiceUnavailable("The circulation store is unavailable; retry shortly.") from exc
    except PynamoDBException as exc:
        raise ServiceUnavailable("The circulation store is unavailable; retry shortly.") from exc


def apply_many_box_facts(many: list[BoxFacts]) -> dict[tuple[str, str], bool | Exception]:
    """`apply_box_facts` for many boxes (one facts each) at once: what is stored read with one consistent
    BatchGetItem per 100 boxes, the newer facts written a hundred boxes to a transaction (each put
    conditional as the single path's; a refused group is redone box by box). Per (org, box): True if
    written, False if the model already had these facts or newer, or the exception that stopped it."""
    keyed = {(f.org_id, f.box_id): f for f in many}
    keys = [(org_key(org_id), box_facts_key(box_id)) for org_id, box_id in keyed]
    stored = {(f.org_id, f.box_id): f
              for f in read(lambda: [i.entity() for i in BoxFactsItem.batch_get(keys, consistent_read=True)])}
    outcomes: dict[tuple[str, str], bool | Exception] = {
        key: False for key, facts in keyed.items() if not _newer(facts, stored.get(key))}
    fresh = [(key, (lambda tx, f=facts: tx.put(BoxFactsItem.of(f), condition=_newer_than_stored(f))))
             for key, facts in keyed.items() if key not in outcomes]
    outcomes.update(write_in_groups(fresh, Tx, lambda key: apply_box_facts(keyed[key])))
    return outcomes


class NoticeAlreadySent(Conflict):
    def __init__(self) -> None:
        super().__init__("This loan was already reported overdue today.")


def record_notice(request: Request, today: date, at: str, expiration: int, event: DomainEvent) -> bool:
    """Today's overdue notice of a loan and its event, once; False when already sent."""
    notice = NoticeItem(pk=notice_partition(request.org_id, request.id), sk=notice_key(today), at=at,
                        expiration=expiration)
    try:
        Tx().put(notice, condition=NoticeItem.pk.does_not_exist(), on_fail=NoticeAlreadySent()).event(event).run()
        return True
    except NoticeAlreadySent:
        return False
