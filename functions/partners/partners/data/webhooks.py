"""Reads and conditional writes of webhook subscriptions, deliveries and their attempts (keys: tables.py).

Subscription changes are versioned (If-Match) and each is one transaction with its event.
A delivery is written once per event and subscription (the id is derived from both, so a
second fan-out of the same event finds it there). A try is recorded in one transaction: the
delivery, conditioned on the ticket the try was made under (so a stale or duplicate queue
message cannot record over a newer state), its attempt line, and when the endpoint answered
410 the subscription's disabling and its event.
"""
from __future__ import annotations

import time

from pynamodb.exceptions import DoesNotExist, PutError

from shared.concurrency import stale
from shared.events import DomainEvent
from shared.problems import Conflict, ServiceUnavailable

from ..domain.deliveries import Attempt, Delivery
from ..domain.webhooks import Subscription
from .tables import (DELIVERY_RETENTION_SECONDS, PENDING_SHARDS, AttemptItem, DeliveryItem, SubscriptionItem,
                     attempts_key, deliveries_key, pending_key, subscription_key, webhooks_key)
from .tx import Tx, page, read


class StaleTicket(Exception):
    """The delivery moved on under another try or a redelivery: this one records nothing."""


def _expires() -> int:
    return int(time.time()) + DELIVERY_RETENTION_SECONDS


# -------------------------------------------------------------- subscriptions
def get_subscription(org_id: str, client_id: str, subscription_id: str,
                     consistent: bool = False) -> Subscription | None:
    try:
        return read(SubscriptionItem.get, webhooks_key(org_id), subscription_key(client_id, subscription_id),
                    consistent_read=consistent).entity()
    except DoesNotExist:
        return None


def organisation_subscriptions(org_id: str) -> list[Subscription]:
    """Every subscription of the organisation, every client's (fan-out: a handful per client)."""
    return read(lambda: [i.entity() for i in SubscriptionItem.query(
        webhooks_key(org_id), SubscriptionItem.sk.startswith("SUB#"))])


def client_subscriptions(org_id: str, client_id: str, limit: int, cursor: str | None):
    return page(SubscriptionItem, webhooks_key(org_id), subscription_key(client_id, ""), limit, cursor)


def count_client_subscriptions(org_id: str, client_id: str) -> int:
    return read(lambda: SubscriptionItem.count(webhooks_key(org_id),
                                               SubscriptionItem.sk.startswith(subscription_key(client_id, ""))))


def create_subscription(sub: Subscription, event: DomainEvent) -> None:
    (Tx().put(SubscriptionItem.of(sub), condition=SubscriptionItem.pk.does_not_exist(),
              on_fail=Conflict("That subscription already exists."))
     .event(event).run())


def save_subscription(after: Subscription, before: Subscription, event: DomainEvent) -> None:
    (Tx().put(SubscriptionItem.of(after), condition=SubscriptionItem.version == before.version,
              on_fail=stale("webhook subscription"))
     .event(event).run())


def delete_subscription(sub: Subscription, event: DomainEvent) -> None:
    (Tx().delete(SubscriptionItem.of(sub), condition=SubscriptionItem.version == sub.version,
                 on_fail=stale("webhook subscription"))
     .event(event).run())


# ----------------------------------------------------------------- deliveries
def add_delivery(delivery: Delivery) -> bool:
    """Write a new delivery; False when it is there already (the same event fanned out again)."""
    try:
        DeliveryItem.of(delivery, expiration=_expires()).save(condition=DeliveryItem.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise ServiceUnavailable("The partners store is unavailable; retry shortly.") from exc
    return True


def get_delivery(org_id: str, subscription_id: str, delivery_id: str, consistent: bool = False) -> Delivery | None:
    try:
        item = read(DeliveryItem.get, deliveries_key(org_id, subscription_id), delivery_id,
                    consistent_read=consistent)
    except DoesNotExist:
        return None
    return item.entity(org_id=org_id, subscription_id=subscription_id)


def list_deliveries(org_id: str, subscription_id: str, limit: int, cursor: str | None, status: str | None):
    """Newest event first, optionally only those in one status."""
    return page(DeliveryItem, deliveries_key(org_id, subscription_id), "msg_", limit, cursor,
                convert=lambda i: i.entity(org_id=org_id, subscription_id=subscription_id),
                filter_condition=(DeliveryItem.status == status) if status else None, newest_first=True)


def deliveries_between(org_id: str, subscription_id: str, low: str, high: str, status: str | None,
                       limit: int) -> list[Delivery]:
    """Deliveries whose ids lie in [low, high] (events of a time range), oldest first, at most `limit`."""
    def run() -> list[Delivery]:
        found = []
        for item in DeliveryItem.query(deliveries_key(org_id, subscription_id), DeliveryItem.sk.between(low, high),
                                       filter_condition=(DeliveryItem.status == status) if status else None):
            found.append(item.entity(org_id=org_id, subscription_id=subscription_id))
            if len(found) >= limit:
                break
        return found
    return read(run)


def stalled_deliveries(due_before: float, limit: int) -> list[Delivery]:
    """Pending deliveries whose next try was due before that instant (oldest first in each shard)."""
    def run() -> list[Delivery]:
        found: list[Delivery] = []
        for shard in range(PENDING_SHARDS):
            for item in DeliveryItem.gsi1.query(pending_key(shard), DeliveryItem.gsi1sk < f"{int(due_before):011d}",
                                                limit=limit - len(found)):
                _due, org_id, subscription_id, _id = item.gsi1sk.split("#", 3)
                found.append(item.entity(org_id=org_id, subscription_id=subscription_id))
                if len(found) >= limit:
                    return found
        return found
    return read(run)


def save_delivery(after: Delivery, before: Delivery) -> None:
    """A redelivery or an abandoned delivery, over the state it was decided on."""
    Tx().put(DeliveryItem.of(after, expiration=_expires()), condition=DeliveryItem.ticket == before.ticket,
             on_fail=StaleTicket).run()


def record_try(after: Delivery, before: Delivery, attempt: Attempt, *, disabled: Subscription | None = None,
               throttled: tuple[Subscription, float] | None = None, event: DomainEvent | None = None) -> None:
    """One try: the delivery over the ticket it was made under, its log line, and what it did to the
    subscription (disabled after a 410, with its event; or throttled until an instant)."""
    tx = (Tx().put(DeliveryItem.of(after, expiration=_expires()), condition=DeliveryItem.ticket == before.ticket,
                   on_fail=StaleTicket)
          .put(AttemptItem.of(attempt, expiration=_expires())))
    if disabled is not None:
        # a change the client made meanwhile loses to the endpoint's own "gone"
        tx.put(SubscriptionItem.of(disabled), condition=SubscriptionItem.pk.exists())
        if event is not None:
            tx.event(event)
    elif throttled is not None:
        sub, until = throttled
        tx.update(SubscriptionItem.of(sub), [SubscriptionItem.throttled_until.set(until)],
                  condition=SubscriptionItem.pk.exists())
    tx.run()


def attempts_of(org_id: str, subscription_id: str, delivery_id: str) -> list[Attempt]:
    return read(lambda: [i.entity(org_id=org_id, subscription_id=subscription_id) for i in AttemptItem.query(
        attempts_key(org_id, subscription_id), AttemptItem.sk.startswith(delivery_id + "#"))])


def list_attempts(org_id: str, subscription_id: str, limit: int, cursor: str | None):
    """The subscription's delivery log: every try, newest event first (its tries newest first)."""
    return page(AttemptItem, attempts_key(org_id, subscription_id), "msg_", limit, cursor,
                convert=lambda i: i.entity(org_id=org_id, subscription_id=subscription_id), newest_first=True)
