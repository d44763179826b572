"""Webhooks: a partner client's subscriptions, the fan-out of events into deliveries, each try, the
delivery log and redelivery.

Subscriptions are managed by the partner client itself, with its key (scope `webhooks:manage`),
as Stripe's and Svix's endpoint APIs are: the secret goes straight to the system that verifies
it, nobody copies it by hand, and a partner automates its endpoints. The organisation's admins
keep control through the client: its `event_types` bound what a subscription may ask for (at
subscription time and again at every fan-out), and a disabled client receives nothing.

Time comes from the caller (`clock`, epoch seconds) and randomness from `rng`, so tests run the
schedule on a controllable clock; the HTTP try and the queue are passed in the same way.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
import random
import time
from typing import Any, Callable, Sequence

from shared.auth import Partner, require_found
from shared.concurrency import require_version
from shared.events import Subject, system_actor
from shared.idempotency import derived_id
from shared.observability import logger
from shared.problems import Conflict, ValidationFailed

from ..data import clients as clients_store
from ..data import webhooks as store
from ..domain import deliveries as rules
from ..domain import destinations, webhooks
from ..domain.deliveries import Delivery, iso
from ..domain.webhooks import Subscription, SubscriptionChange
from ..integration import delivery_queue, http_delivery
from .common import event

REDELIVER_AT_MOST = 500  # deliveries per range request; the answer says where to continue
# A pending delivery this late has lost its queue message (a local restart does not keep queues;
# SQS itself keeps them): a try is made within seconds of being due, so 15 minutes is far past it.
STALLED_AFTER_SECONDS = 15 * 60
RESUME_AT_MOST = 1000
_rng = random.SystemRandom()


SCOPE = "webhooks:manage"


def _now_iso(clock: Callable[[], float]) -> str:
    return iso(clock()) or ""


def _subject(sub: Subscription) -> list[Subject]:
    return [Subject("webhook_subscription", sub.id, sub.org_id), Subject("partner_client", sub.client_id, sub.org_id)]


def _actor(partner: Partner) -> dict[str, Any]:
    return partner.as_actor()


def _check_url(url: str) -> str:
    try:
        destinations.parse(url, loopback_allowed=http_delivery.loopback_allowed())
    except destinations.BadUrl as exc:
        raise ValidationFailed(f"url: {exc}.", errors=[{"field": "url", "message": str(exc)}]) from None
    return url


def _check_types(types: Sequence[str], partner: Partner) -> tuple[str, ...]:
    beyond = [t for t in types if not webhooks.pattern_within(t, partner.event_types)]
    if beyond:
        raise ValidationFailed(
            f"event_types: {', '.join(beyond)} beyond what this client may receive ({', '.join(partner.event_types) or 'nothing'}).",
            errors=[{"field": "event_types", "message": f"{t} is not among the client's event types"} for t in beyond])
    return tuple(types)


def _own(partner: Partner, subscription_id: str, consistent: bool = False) -> Subscription:
    """The client's own subscription; another client's or organisation's answers 404."""
    org_id = partner.require_scope(SCOPE)
    return require_found(store.get_subscription(org_id, partner.client_id, subscription_id, consistent),
                         "webhook subscription")


# -------------------------------------------------------------- subscriptions
def subscribe(partner: Partner, body: dict[str, Any], idempotency_key: str | None, *,
              clock: Callable[[], float] = time.time) -> tuple[Subscription, str]:
    """A new subscription and its secret (shown once)."""
    partner.require_scope(SCOPE)
    url = _check_url(body["url"])
    types = _check_types(body["event_types"], partner)
    if store.count_client_subscriptions(partner.org_id, partner.client_id) >= webhooks.MAX_SUBSCRIPTIONS_PER_CLIENT:
        raise Conflict(f"A client may have at most {webhooks.MAX_SUBSCRIPTIONS_PER_CLIENT} subscriptions; "
                       "delete one first.")
    at, secret = _now_iso(clock), webhooks.new_secret()
    sub = Subscription(org_id=partner.org_id, client_id=partner.client_id,
                       id=derived_id(f"webhook|{partner.org_id}|{partner.client_id}", idempotency_key),
                       url=url, event_types=types, secrets=(webhooks.SigningSecret(secret, at),),
                       status="enabled" if body.get("enabled", True) else "disabled",
                       disabled_reason=None if body.get("enabled", True) else "disabled by the client",
                       description=body.get("description"), created_at=at, updated_at=at)
    store.create_subscription(sub, event("WebhookSubscribed", _subject(sub), _summary(sub), _actor(partner)))
    return sub, secret


def _summary(sub: Subscription) -> dict[str, Any]:
    """What an event says of a subscription: never a secret."""
    return {"subscription_id": sub.id, "client_id": sub.client_id, "url": sub.url,
            "event_types": list(sub.event_types), "status": sub.status, "disabled_reason": sub.disabled_reason}


def list_subscriptions(partner: Partner, limit: int, cursor: str | None):
    return store.client_subscriptions(partner.require_scope(SCOPE), partner.client_id, limit, cursor)


def get_subscription(partner: Partner, subscription_id: str) -> Subscription:
    return _own(partner, subscription_id)


def update_subscription(partner: Partner, subscription_id: str, changes: dict[str, Any],
                        expected_version: int, *, clock: Callable[[], float] = time.time) -> Subscription:
    change = SubscriptionChange(
        url=_check_url(changes["url"]) if "url" in changes else None,
        event_types=_check_types(changes["event_types"], partner) if "event_types" in changes else None,
        enabled=changes.get("enabled"), description=changes.get("description"), fields=frozenset(changes))
    before = _own(partner, subscription_id, consistent=True)
    require_version(before, expected_version, "webhook subscription")
    after = replace(change.apply(before), version=before.version + 1, updated_at=_now_iso(clock))
    store.save_subscription(after, before, event("WebhookSubscriptionChanged", _subject(after),
                                                 {**_summary(after), "changed": sorted(changes)}, _actor(partner)))
    return after


def delete_subscription(partner: Partner, subscription_id: str) -> Subscription:
    sub = _own(partner, subscription_id, consistent=True)
    store.delete_subscription(sub, event("WebhookUnsubscribed", _subject(sub), _summary(sub), _actor(partner)))
    return sub


def rotate_secret(partner: Partner, subscription_id: str, body: dict[str, Any], *,
                  clock: Callable[[], float] = time.time) -> tuple[Subscription, str]:
    """A new secret (shown once); the current one keeps signing for `keep_old_for_seconds`."""
    before = _own(partner, subscription_id, consistent=True)
    now, secret = clock(), webhooks.new_secret()
    window = body.get("keep_old_for_seconds", webhooks.DEFAULT_ROTATION_WINDOW_SECONDS)
    after = replace(before.rotated(secret, iso(now) or "", iso(now + window) or ""), version=before.version + 1,
                    updated_at=iso(now) or "")
    store.save_subscription(after, before, event("WebhookSecretRotated", _subject(after),
                                                 {"subscription_id": after.id, "old_valid_until": iso(now + window)},
                                                 _actor(partner)))
    return after, secret


# ------------------------------------------------------------------- fan-out
def _org_of(envelope: dict[str, Any]) -> str | None:
    for subject in envelope.get("subjects") or []:
        if subject.get("org_id"):
            return subject["org_id"]
    return (envelope.get("actor") or {}).get("org_id")


def matching(envelope: dict[str, Any], cache: dict[Any, Any] | None = None) -> list[Subscription]:
    """The enabled subscriptions that want this event, of clients that are active and may read its type.
    With `cache` (one per batch of events), each organisation's subscriptions and each client are read once."""
    org_id = _org_of(envelope)
    if not org_id:
        return []
    cache = {} if cache is None else cache
    event_type = webhooks.webhook_type(envelope)
    if ("subscriptions", org_id) not in cache:
        cache[("subscriptions", org_id)] = store.organisation_subscriptions(org_id)
    wanted = [s for s in cache[("subscriptions", org_id)] if s.wants(event_type)]
    clients = {}
    for cid in {s.client_id for s in wanted}:
        if ("client", org_id, cid) not in cache:
            cache[("client", org_id, cid)] = clients_store.get_client(org_id, cid)
        clients[cid] = cache[("client", org_id, cid)]
    return [s for s in wanted if clients[s.client_id] is not None and clients[s.client_id].status == "active"
            and webhooks.type_allowed(event_type, clients[s.client_id].event_types)]


def fan_out(envelope: dict[str, Any], *, clock: Callable[[], float] = time.time, rng: random.Random = _rng,
            send: Callable = delivery_queue.send, cache: dict[Any, Any] | None = None) -> int:
    """Make a delivery of the event for each subscription that wants it and queue its first try
    (at-least-once: run again for the same event, it queues the tries not made yet and makes nothing twice).
    `cache`: see `matching` (a batch's events share their organisations' subscriptions)."""
    subs = matching(envelope, cache)
    if not subs:
        return 0
    body = webhooks.payload(envelope).decode("utf-8")
    occurred_ms = _epoch_ms(envelope.get("occurred_at"), clock)
    now, messages = clock(), []
    for sub in subs:
        delivery = Delivery(org_id=sub.org_id, subscription_id=sub.id, client_id=sub.client_id,
                            id=rules.delivery_id(envelope["id"], sub.id, occurred_ms), event_id=envelope["id"],
                            event_type=webhooks.webhook_type(envelope), body=body, ticket=rules.new_ticket(rng),
                            next_attempt_at=now, created_at=iso(now) or "", updated_at=iso(now) or "")
        if not store.add_delivery(delivery):
            delivery = store.get_delivery(sub.org_id, sub.id, delivery.id, consistent=True)
            if delivery is None or delivery.status != "pending" or delivery.attempts:
                continue  # already tried: its own messages carry it on
        messages.append((_message(delivery, now), 0))
    send(messages)
    return len(messages)


def _epoch_ms(occurred_at: str | None, clock: Callable[[], float]) -> int:
    try:
        return int(datetime.fromisoformat(str(occurred_at).replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return int(clock() * 1000)


def _message(delivery: Delivery, due: float) -> dict[str, Any]:
    return {"org_id": delivery.org_id, "client_id": delivery.client_id, "subscription_id": delivery.subscription_id,
            "delivery_id": delivery.id, "ticket": delivery.ticket, "due": due}


# ---------------------------------------------------------------------- a try
def deliver(message: dict[str, Any], *, clock: Callable[[], float] = time.time, rng: random.Random = _rng,
            post: Callable = http_delivery.post, send: Callable = delivery_queue.send,
            dead_letter: Callable = delivery_queue.dead_letter) -> str:
    """Handle one queue message: wait on (re-queue) if not due, drop if stale, else make the try and
    queue the next. Returns what happened (for the log and tests)."""
    now = clock()
    if message["due"] > now + 1:  # SQS delays at most 15 minutes: hop again
        send([(message, delivery_queue.delay_for(message["due"], now))])
        return "waiting"
    delivery = store.get_delivery(message["org_id"], message["subscription_id"], message["delivery_id"],
                                  consistent=True)
    if delivery is None or delivery.status != "pending" or delivery.ticket != message["ticket"]:
        return "stale"
    sub = store.get_subscription(delivery.org_id, delivery.client_id, delivery.subscription_id, consistent=True)
    if sub is None or not sub.enabled:
        try:
            store.save_delivery(rules.abandoned(delivery, now=now, outcome="disabled"), delivery)
        except store.StaleTicket:
            return "stale"
        return "abandoned"
    if sub.throttled_until > now + 1:  # the endpoint asked us to slow down: this try waits too
        send([(dict(message, due=sub.throttled_until), delivery_queue.delay_for(sub.throttled_until, now))])
        return "throttled"
    body = delivery.body.encode("utf-8")
    headers = webhooks.signed_headers(sub.signing_secrets(iso(now) or ""), delivery.id, int(now), body)
    response = post(sub.url, headers, body)
    now = clock()
    decision = rules.after_try(delivery, response, now=now, rng=rng)
    after = decision.delivery
    if after.status == "pending":  # queued before the record: a crash in between leaves a stale message, not none
        send([(_message(after, after.next_attempt_at), delivery_queue.delay_for(after.next_attempt_at, now))])
    disabled = event_ = throttled = None
    if decision.disable:
        disabled = replace(sub.disabled(decision.disable), version=sub.version + 1, updated_at=iso(now) or "")
        event_ = event("WebhookSubscriptionDisabled", _subject(disabled), _summary(disabled),
                       system_actor(sub.org_id, delivery_id=delivery.id))
    elif decision.throttle_until is not None:
        throttled = (sub, decision.throttle_until)
    try:
        store.record_try(after, delivery, decision.attempt, disabled=disabled, throttled=throttled, event=event_)
    except store.StaleTicket:
        return "stale"
    if decision.dead_letter:
        dead_letter({**_message(after, now), "reason": f"{rules.TRIES} tries failed",
                     "last_status": after.last_status, "last_outcome": after.last_outcome})
    logger.info("webhook try", extra={"delivery_id": delivery.id, "subscription_id": sub.id,
                                      "outcome": decision.attempt.outcome, "status": response.status,
                                      "latency_ms": response.latency_ms, "next_attempt_at": decision.attempt.next_attempt_at})
    return decision.attempt.outcome


def resume_stalled(*, clock: Callable[[], float] = time.time, rng: random.Random = _rng,
                   send: Callable = delivery_queue.send) -> int:
    """The scheduled safety net: a pending delivery long past its due time gets a new ticket and a new
    message (its old message, should it ever come, is then stale). Returns how many were resumed."""
    now, messages = clock(), []
    for delivery in store.stalled_deliveries(now - STALLED_AFTER_SECONDS, RESUME_AT_MOST):
        again = replace(delivery, ticket=rules.new_ticket(rng))
        try:
            store.save_delivery(again, delivery)
        except store.StaleTicket:
            continue  # it moved on meanwhile: not stalled
        messages.append((_message(again, now), 0))
    send(messages)
    if messages:
        logger.warning("stalled webhook deliveries resumed", extra={"count": len(messages)})
    return len(messages)


# ------------------------------------------------------ the log and redelivery
def list_deliveries(partner: Partner, subscription_id: str, limit: int, cursor: str | None,
                    status: str | None):
    sub = _own(partner, subscription_id)
    return store.list_deliveries(sub.org_id, sub.id, limit, cursor, status)


def get_delivery(partner: Partner, subscription_id: str, delivery_id: str) -> dict[str, Any]:
    sub = _own(partner, subscription_id)
    delivery = require_found(store.get_delivery(sub.org_id, sub.id, delivery_id), "delivery")
    return {**delivery.public(), "payload": delivery.body,
            "attempts": [a.public() for a in store.attempts_of(sub.org_id, sub.id, delivery.id)]}


def list_attempts(partner: Partner, subscription_id: str, limit: int, cursor: str | None):
    sub = _own(partner, subscription_id)
    return store.list_attempts(sub.org_id, sub.id, limit, cursor)


def _redeliver(sub: Subscription, delivery: Delivery, now: float, rng: random.Random) -> Delivery | None:
    again = rules.redelivered(delivery, now=now, rng=rng)
    try:
        store.save_delivery(again, delivery)
    except store.StaleTicket:
        return None
    return again


def redeliver(partner: Partner, subscription_id: str, delivery_id: str, *,
              clock: Callable[[], float] = time.time, rng: random.Random = _rng,
              send: Callable = delivery_queue.send) -> Delivery:
    """Send one delivery again now, whatever its state, as a new round of the schedule (same webhook-id)."""
    sub = _own(partner, subscription_id)
    if not sub.enabled:
        raise Conflict("The subscription is disabled; enable it before redelivering.")
    delivery = require_found(store.get_delivery(sub.org_id, sub.id, delivery_id, consistent=True), "delivery")
    now = clock()
    again = _redeliver(sub, delivery, now, rng)
    if again is None:
        raise Conflict("The delivery changed meanwhile (a try was recorded); read it and retry.")
    send([(_message(again, now), 0)])
    return again


def redeliver_range(partner: Partner, subscription_id: str, body: dict[str, Any], *,
                    clock: Callable[[], float] = time.time, rng: random.Random = _rng,
                    send: Callable = delivery_queue.send) -> dict[str, Any]:
    """Send again the deliveries of events in [since, until] (by default only the failed ones), oldest first,
    at most REDELIVER_AT_MOST per call; `continue_since` says where the next call starts when there are more."""
    sub = _own(partner, subscription_id)
    if not sub.enabled:
        raise Conflict("The subscription is disabled; enable it before redelivering.")
    since, until = (datetime.fromisoformat(body[k].replace("Z", "+00:00")).timestamp() for k in ("since", "until"))
    if until < since:
        raise ValidationFailed("until: before since.", errors=[{"field": "until", "message": "before since"}])
    status = body.get("status", "failed")
    found = store.deliveries_between(sub.org_id, sub.id, rules.id_bound(since, upper=False),
                                     rules.id_bound(until, upper=True), None if status == "all" else status,
                                     REDELIVER_AT_MOST + 1)
    now, done = clock(), []
    for delivery in found[:REDELIVER_AT_MOST]:
        again = _redeliver(sub, delivery, now, rng)
        if again is not None:
            done.append(again)
    send([(_message(d, now), 0) for d in done])
    more = len(found) > REDELIVER_AT_MOST
    return {"redelivered": len(done), "delivery_ids": [d.id for d in done],
            "continue_since": iso(rules.id_time(found[REDELIVER_AT_MOST].id)) if more else None}
