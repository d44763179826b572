"""Webhooks against DynamoDB (moto) with a real receiver on 127.0.0.1 (loopback allowed, as the local
system's flag allows it): fan-out, tries on the schedule driven by a controllable clock (the queue
is captured, so a delayed message is handed over when the clock says it is due; no sleeps), 410,
throttling, the dead-letter queue, the delivery log, redelivery and other organisations' 404s."""
from __future__ import annotations

import json
import random
import time
from typing import Any
import uuid

import pytest
from standardwebhooks import Webhook

from shared.auth import Partner
from shared.problems import NotFound, ValidationFailed
from tests.support.events import call_api, partner as partner_context
from tests.support.receiver import Receiver

ORG, OTHER_ORG = "org-alpha", "org-beta"


def PartnerAs(org_id: str, client_id: str, event_types) -> Partner:  # noqa: N802 — reads as the type it makes
    """The partner a route gets from the partner authorizer."""
    return Partner(client_id=client_id, org_id=org_id, scopes=frozenset({"webhooks:manage"}),
                   event_types=tuple(event_types))


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Queue:
    """The deliveries queue, captured: messages with the instant they become visible."""

    def __init__(self, clock: Clock) -> None:
        self.clock, self.messages, self.dead = clock, [], []

    def send(self, pairs) -> None:
        for message, delay in pairs:
            assert 0 <= delay <= 900  # SQS's limit
            self.messages.append((self.clock.now + delay, message))

    def dead_letter(self, message) -> None:
        self.dead.append(message)

    def take_visible(self) -> list[dict]:
        visible = [m for at, m in self.messages if at <= self.clock.now]
        self.messages = [(at, m) for at, m in self.messages if at > self.clock.now]
        return visible

    def next_visible_at(self) -> float | None:
        return min((at for at, _ in self.messages), default=None)


@pytest.fixture
def world(aws, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "partners")
    monkeypatch.setenv("WEBHOOK_TARGETS", "public,loopback")
    from partners.data import tables
    tables.TABLE.reset()
    clock = Clock()
    receiver = Receiver()
    yield World(clock, Queue(clock), receiver)
    receiver.close()


class World:
    def __init__(self, clock: Clock, queue: Queue, receiver: Receiver) -> None:
        self.clock, self.queue, self.receiver = clock, queue, receiver
        self.rng = random.Random(12)

    def client(self, org_id: str = ORG, event_types=("stacks.*", "inventory.*"), status="active") -> PartnerAs:
        from partners.data import clients
        from partners.domain.model import Contact, PartnerClient
        client = PartnerClient(org_id=org_id, id=str(uuid.uuid4()), name="Scanner gateway",
                               contact=Contact("Kim", "kim@example.org"), event_types=tuple(event_types),
                               status=status, created_at="2026-12-01T00:00:00.000Z")
        from partners.logic.common import event
        clients.create_client(client, event("PartnerClientRegistered", [], {}, {"user_id": "u-admin"}))
        return PartnerAs(org_id, client.id, tuple(event_types))

    def subscribe(self, partner: PartnerAs, types=("stacks.*",), url: str | None = None):
        from partners import logic
        sub, secret = logic.subscribe(partner, {"url": url or self.receiver.url, "event_types": list(types)},
                                      str(uuid.uuid4()), clock=self.clock)
        return sub, secret

    def fan_out(self, envelope: dict) -> int:
        from partners import logic
        return logic.fan_out(envelope, clock=self.clock, rng=self.rng, send=self.queue.send)

    def run_due(self) -> list[str]:
        """Hand every visible message to the delivery logic, as the function would."""
        from partners import logic
        return [logic.deliver(m, clock=self.clock, rng=self.rng, send=self.queue.send,
                              dead_letter=self.queue.dead_letter) for m in self.queue.take_visible()]

    def run_until_quiet(self, limit: int = 2000) -> list[str]:
        """Move the clock to each next visible message until the queue is empty."""
        outcomes = []
        for _ in range(limit):
            outcomes += self.run_due()
            at = self.queue.next_visible_at()
            if at is None:
                return outcomes
            self.clock.now = max(self.clock.now, at)
        raise AssertionError("the queue never emptied")


def box_event(org_id: str = ORG, type_: str = "BoxPlaced", source: str = "records.stacks") -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": type_, "source": source, "schema_version": 1,
            "subjects": [{"kind": "box", "id": "B-1", "org_id": org_id}], "payload": {"shelf_id": "R01-01-01-1"},
            "actor": {"user_id": "u-stacks", "org_id": org_id}, "correlation_id": "c-1",
            "occurred_at": "2026-12-02T07:00:00.000Z"}


def _subscription(partner, sub_id):
    from partners.data import webhooks as store
    return store.get_subscription(partner.org_id, partner.client_id, sub_id, consistent=True)


def _outbox_types() -> list[str]:
    from partners.data.tables import OutboxItem
    return [json.loads(i.envelope)["type"] for i in OutboxItem.scan(OutboxItem.pk.startswith("OUTBOX#"))]


# ---------------------------------------------------------------------------- tests
def test_an_event_reaches_the_subscriptions_that_want_it_signed_and_verifiable(world):
    partner = world.client()
    wanted, secret = world.subscribe(partner, ["stacks.BoxPlaced"])
    world.subscribe(partner, ["inventory.*"])  # another type
    off, _ = world.subscribe(partner, ["stacks.*"])
    from partners import logic
    logic.update_subscription(partner, off.id, {"enabled": False}, 1, clock=world.clock)
    narrowed = world.client(event_types=("stacks.*",))
    narrowed_sub, _ = world.subscribe(narrowed, ["stacks.*"])
    from partners.data import clients
    client = clients.get_client(ORG, narrowed.client_id)  # the admins narrow the client after it subscribed
    clients.save_client(client.with_changes(event_types=("inventory.*",), version=client.version + 1), client,
                        __import__("partners.logic.common", fromlist=["event"]).event("X", [], {}, {}))
    other_org_sub, _ = world.subscribe(world.client(OTHER_ORG))

    envelope = box_event()
    assert world.fan_out(envelope) == 1
    assert world.fan_out(envelope) == 1  # at-least-once: the untried delivery is queued again, not made twice
    assert world.run_due() == ["delivered", "stale"]  # the second message found the delivery tried
    (headers, body, _), = world.receiver.received
    assert Webhook(secret).verify(body, headers)["data"]["id"] == envelope["id"]
    assert json.loads(body)["type"] == "stacks.BoxPlaced" and headers["webhook-id"].startswith("msg_")
    page, _ = logic.list_deliveries(partner, wanted.id, 10, None, None)
    assert [d.status for d in page] == ["delivered"]
    for sub in (narrowed_sub, other_org_sub, off):
        owner = PartnerAs(sub.org_id, sub.client_id, ())
        assert logic.list_deliveries(owner, sub.id, 10, None, None)[0] == []


def test_failed_tries_follow_the_schedule_honour_retry_after_and_then_deliver(world):
    partner = world.client()
    sub, secret = world.subscribe(partner)
    world.receiver.script = [(500, {}), (503, {"Retry-After": "600"}), (500, {}), (200, {})]
    start = world.clock.now
    world.fan_out(box_event())
    outcomes = world.run_until_quiet()
    tries = [o for o in outcomes if o != "waiting"]
    assert tries == ["failed", "failed", "failed", "delivered"]
    from partners import logic
    delivery, = logic.list_deliveries(partner, sub.id, 10, None, None)[0]
    detail = logic.get_delivery(partner, sub.id, delivery.id)
    attempts = detail["attempts"]
    assert [a["status"] for a in attempts] == [500, 503, 500, 200] and detail["status"] == "delivered"
    at = [_epoch(a["at"]) for a in attempts]
    due = [_epoch(a["next_attempt_at"]) for a in attempts[:-1]]
    assert at[0] - start < 1
    assert 4.5 <= due[0] - at[0] <= 5.5  # 5 s ± 10 %
    assert due[1] - at[1] == pytest.approx(600, abs=0.01)  # Retry-After (600 s) over the schedule's 5 min
    assert 1800 * 0.9 <= due[2] - at[2] <= 1800 * 1.1  # 30 min ± 10 %
    assert all(0 <= at[i + 1] - due[i] <= 1 for i in range(3))  # each try when due (SQS delays in whole seconds)
    assert "waiting" in outcomes  # the 30 min wait took hops of at most 15 min
    assert all(len(a["response_excerpt"].encode()) <= 1024 and a["latency_ms"] >= 0 for a in attempts)
    assert attempts[-1]["next_attempt_at"] is None
    first_headers, first_body, _ = world.receiver.received[0]
    Webhook(secret).verify(first_body, first_headers)
    assert len({h["webhook-id"] for h, _, _ in world.receiver.received}) == 1  # one id on every try


def test_a_410_disables_the_subscription_and_its_other_deliveries_stop(world):
    partner = world.client()
    sub, _ = world.subscribe(partner)
    world.receiver.script = [(410, {})]
    world.fan_out(box_event())
    assert world.run_due() == ["gone"]
    after = _subscription(partner, sub.id)
    assert after.status == "disabled" and "410" in after.disabled_reason
    assert "WebhookSubscriptionDisabled" in _outbox_types()
    assert world.fan_out(box_event()) == 0  # a disabled subscription gets no more deliveries
    assert len(world.receiver.received) == 1


def test_429_throttles_the_whole_subscription(world):
    partner = world.client()
    sub, _ = world.subscribe(partner)
    world.receiver.script = [(429, {"Retry-After": "120"})]
    world.fan_out(box_event())
    assert world.run_due() == ["throttled"]
    assert _subscription(partner, sub.id).throttled_until == pytest.approx(world.clock.now + 120)
    world.fan_out(box_event())  # another event meanwhile: it waits for the throttle, no try is made
    assert world.run_due() == ["throttled"] and len(world.receiver.received) == 1
    world.clock.now += 121
    assert sorted(world.run_due()) == ["delivered", "delivered"]


def test_after_the_last_try_the_delivery_fails_into_the_dead_letter_queue(world):
    partner = world.client()
    sub, _ = world.subscribe(partner)
    world.receiver.script = [(500, {})] * 10
    start = world.clock.now
    world.fan_out(box_event())
    outcomes = world.run_until_quiet()
    assert outcomes.count("failed") == 10 and len(world.receiver.received) == 10
    assert len(world.queue.dead) == 1 and world.queue.dead[0]["last_status"] == 500
    from partners import logic
    delivery, = logic.list_deliveries(partner, sub.id, 10, None, "failed")[0]
    assert delivery.attempts == 10
    assert 3 * 24 * 3600 * 0.9 <= world.clock.now - start <= 3.5 * 24 * 3600  # about three days
    log, _ = logic.list_attempts(partner, sub.id, 100, None)
    assert len(log) == 10 and log[0].number == 10  # newest first


def test_redelivery_of_one_delivery_and_of_a_time_range(world):
    partner = world.client()
    sub, secret = world.subscribe(partner)
    world.receiver.script = [(410, {})]
    first = box_event()
    world.fan_out(first)
    world.run_due()  # gone: disabled, the delivery failed
    from partners import logic
    from shared.problems import Conflict
    delivery, = logic.list_deliveries(partner, sub.id, 10, None, None)[0]
    with pytest.raises(Conflict):
        logic.redeliver(partner, sub.id, delivery.id, clock=world.clock, send=world.queue.send)
    logic.update_subscription(partner, sub.id, {"enabled": True}, 2, clock=world.clock)
    again = logic.redeliver(partner, sub.id, delivery.id, clock=world.clock, rng=world.rng, send=world.queue.send)
    assert again.status == "pending" and again.id == delivery.id
    assert world.run_due() == ["delivered"]
    assert world.receiver.received[-1][0]["webhook-id"] == delivery.id  # the same id: receivers dedupe
    Webhook(secret).verify(world.receiver.received[-1][1], world.receiver.received[-1][0])

    world.receiver.script = [(500, {})] * 30  # three deliveries, ten tries each
    events = [box_event() for _ in range(3)]
    for i, envelope in enumerate(events):
        envelope["occurred_at"] = f"2026-12-02T08:0{i}:00.000Z"
        world.fan_out(envelope)
    world.run_until_quiet()
    failed, _ = logic.list_deliveries(partner, sub.id, 10, None, "failed")
    assert len(failed) == 3
    result = logic.redeliver_range(partner, sub.id, {"since": "2026-12-02T08:00:30Z", "until": "2026-12-02T08:02:00Z"},
                                   clock=world.clock, rng=world.rng, send=world.queue.send)
    assert result["redelivered"] == 2 and result["continue_since"] is None
    assert sorted(world.run_due()) == ["delivered", "delivered"]
    statuses = sorted(d.status for d in logic.list_deliveries(partner, sub.id, 10, None, None)[0])
    assert statuses == ["delivered", "delivered", "delivered", "failed"]


def test_another_organisations_or_clients_subscriptions_and_deliveries_answer_404(world):
    partner = world.client()
    sub, _ = world.subscribe(partner)
    world.fan_out(box_event())
    world.run_due()
    from partners import logic
    delivery, = logic.list_deliveries(partner, sub.id, 10, None, None)[0]
    for stranger in (world.client(OTHER_ORG), world.client()):  # another organisation; another client
        for call in (lambda: logic.get_subscription(stranger, sub.id),
                     lambda: logic.list_deliveries(stranger, sub.id, 10, None, None),
                     lambda: logic.get_delivery(stranger, sub.id, delivery.id),
                     lambda: logic.list_attempts(stranger, sub.id, 10, None),
                     lambda: logic.redeliver(stranger, sub.id, delivery.id, send=world.queue.send),
                     lambda: logic.update_subscription(stranger, sub.id, {"enabled": False}, 1),
                     lambda: logic.rotate_secret(stranger, sub.id, {})):
            with pytest.raises(NotFound):
                call()


def test_bad_input_writes_nothing(world):
    partner = world.client(event_types=("stacks.*",))
    from partners.data import webhooks as store
    from partners.data.tables import SubscriptionItem
    for url, types in (("https://10.0.0.5/hook", ["stacks.*"]), ("http://hooks.example.org/", ["stacks.*"]),
                       ("https://169.254.169.254/latest/meta-data/", ["stacks.*"]),
                       (world.receiver.url, ["inventory.*"]), (world.receiver.url, ["*"])):
        with pytest.raises(ValidationFailed):
            world.subscribe(partner, types, url)
    assert list(SubscriptionItem.scan(SubscriptionItem.sk.startswith("SUB#"))) == [] and store.count_client_subscriptions(ORG, partner.client_id) == 0
    assert _outbox_types() == ["PartnerClientRegistered"]


def test_rotation_signs_with_both_secrets_until_the_window_ends(world):
    partner = world.client()
    sub, old = world.subscribe(partner)
    from partners import logic
    rotated, new = logic.rotate_secret(partner, sub.id, {"keep_old_for_seconds": 3600}, clock=world.clock)
    assert new != old and rotated.version == 2
    world.fan_out(box_event())
    world.run_due()
    headers, body, _ = world.receiver.received[-1]
    assert len(headers["webhook-signature"].split()) == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)
    public = json.dumps(rotated.public(now_iso="2026-12-02T00:00:00Z"))
    assert old not in public and new not in public  # shown once, never again
    from partners.data.tables import OutboxItem
    events = [i.envelope for i in OutboxItem.scan(OutboxItem.pk.startswith("OUTBOX#"))]
    assert "WebhookSecretRotated" in _outbox_types() and not any(old in e or new in e for e in events)  # nor in events


def _epoch(at: str) -> float:
    from datetime import datetime
    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


# ------------------------------------------------------------- through the handler
def _call(partner: Partner, method: str, resource: str, **kwargs):
    from partners import app
    scopes = sorted(partner.scopes)
    return call_api(app.handler, method, resource, as_partner=partner_context(
        partner.client_id, partner.org_id, scopes, list(partner.event_types)), **kwargs)


def test_the_routes_answer_problems_write_nothing_on_bad_input_and_replay_idempotent_posts(world):
    partner = world.client()
    bad = {"url": "https://[::ffff:10.0.0.1]/hook", "event_types": ["stacks.*"]}
    status, body, headers = _call(partner, "POST", "/partners/webhooks", body=bad, headers={"Idempotency-Key": "k-1"})
    assert status == 400 and headers["content-type"] == "application/problem+json" and body["errors"][0]["field"] == "url"
    status, body, _ = _call(partner, "POST", "/partners/webhooks", body={"url": world.receiver.url, "event_types": ["x"]})
    assert status == 400
    assert _call(partner, "GET", "/partners/webhooks")[1]["items"] == []  # nothing was written

    good = {"url": world.receiver.url, "event_types": ["stacks.BoxPlaced"]}
    status, first, headers = _call(partner, "POST", "/partners/webhooks", body=good, headers={"Idempotency-Key": "k-2"})
    assert status == 201 and first["secret"].startswith("whsec_") and headers["location"].endswith(first["id"])
    status, again, headers = _call(partner, "POST", "/partners/webhooks", body=good, headers={"Idempotency-Key": "k-2"})
    assert status == 201 and again["id"] == first["id"] and headers.get("idempotent-replayed") == "true"
    assert len(_call(partner, "GET", "/partners/webhooks")[1]["items"]) == 1
    read = _call(partner, "GET", "/partners/webhooks/{subscription_id}", path={"subscription_id": first["id"]})[1]
    assert "secret" not in read and first["secret"] not in json.dumps(read)

    status, changed, _ = _call(partner, "PATCH", "/partners/webhooks/{subscription_id}",
                               path={"subscription_id": first["id"]}, body={"enabled": False},
                               headers={"If-Match": '"1"'})
    assert status == 200 and changed["status"] == "disabled"
    status, _, _ = _call(partner, "PATCH", "/partners/webhooks/{subscription_id}", path={"subscription_id": first["id"]},
                         body={"enabled": True}, headers={"If-Match": '"1"'})
    assert status == 412

    without_scope = Partner(client_id=partner.client_id, org_id=ORG, scopes=frozenset({"feed:read"}),
                            event_types=partner.event_types)
    assert _call(without_scope, "GET", "/partners/webhooks")[0] == 403


def test_another_organisation_gets_404_from_every_route(world):
    partner = world.client()
    sub, _ = world.subscribe(partner)
    world.fan_out(box_event())
    world.run_due()
    from partners import logic
    delivery, = logic.list_deliveries(partner, sub.id, 10, None, None)[0]
    stranger = world.client(OTHER_ORG)
    ids = {"subscription_id": sub.id, "delivery_id": delivery.id}
    for method, resource, body in (
            ("GET", "/partners/webhooks/{subscription_id}", None),
            ("PATCH", "/partners/webhooks/{subscription_id}", {"enabled": False}),
            ("DELETE", "/partners/webhooks/{subscription_id}", None),
            ("POST", "/partners/webhooks/{subscription_id}/secret/rotate", {}),
            ("GET", "/partners/webhooks/{subscription_id}/deliveries", None),
            ("GET", "/partners/webhooks/{subscription_id}/deliveries/{delivery_id}", None),
            ("GET", "/partners/webhooks/{subscription_id}/attempts", None),
            ("POST", "/partners/webhooks/{subscription_id}/deliveries/{delivery_id}/redeliver", None),
            ("POST", "/partners/webhooks/{subscription_id}/redeliver",
             {"since": "2026-01-01T00:00:00Z", "until": "2027-01-01T00:00:00Z"})):
        headers = {"If-Match": '"1"'} if method == "PATCH" else {}
        status, problem, _ = _call(stranger, method, resource, path=ids, body=body, headers=headers)
        assert status == 404 and problem["type"].endswith("/not-found"), (method, resource, status, problem)
    assert _call(partner, "GET", "/partners/webhooks/{subscription_id}/deliveries/{delivery_id}", path=ids)[0] == 200


def test_a_delivery_whose_queue_message_was_lost_is_resumed_by_the_schedule(world):
    partner = world.client()
    world.subscribe(partner)
    world.fan_out(box_event())
    world.queue.messages.clear()  # the message is lost (the local system restarted: queues are not kept)
    from partners import logic
    resume = lambda: logic.resume_stalled(clock=world.clock, rng=world.rng, send=world.queue.send)  # noqa: E731
    assert resume() == 0  # not late yet
    world.clock.now += logic.webhooks.STALLED_AFTER_SECONDS + 60
    assert resume() == 1
    assert world.run_due() == ["delivered"] and len(world.receiver.received) == 1
    assert resume() == 0  # delivered: nothing pending is left in the index
