"""Webhooks without AWS: Standard Webhooks signing proved against the `standardwebhooks` package's
verifier, the retry schedule on a controllable clock, and the SSRF classifier (IPv4, IPv6 and
IPv6 forms that carry IPv4)."""
from __future__ import annotations

from dataclasses import replace
from email.utils import format_datetime
from datetime import datetime, timezone
import json
import random
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from partners.domain import deliveries, destinations, webhooks
from partners.domain.deliveries import Delivery, Response

ENVELOPE = {"id": "e-1", "type": "BoxPlaced", "source": "records.stacks", "occurred_at": "2026-12-02T07:00:00.000Z",
            "subjects": [{"kind": "box", "id": "B-1", "org_id": "org-a"}], "payload": {"shelf_id": "R01-01-01-1"},
            "actor": {"user_id": "u-1"}, "correlation_id": "c-1", "schema_version": 1}


# ------------------------------------------------------------------ signing
def test_a_secret_is_whsec_and_at_least_24_random_bytes():
    secret = webhooks.new_secret()
    assert secret.startswith("whsec_") and len(webhooks.secret_bytes(secret)) >= 24
    assert secret != webhooks.new_secret()


def test_the_standardwebhooks_verifier_accepts_every_delivery_and_rejects_a_tampered_one():
    secret = webhooks.new_secret()
    body = webhooks.payload(ENVELOPE)
    msg_id = deliveries.delivery_id("e-1", "sub-1", 1_700_000_000_000)
    headers = webhooks.signed_headers([secret], msg_id, int(time.time()), body)
    receiver = Webhook(secret)
    assert receiver.verify(body, headers) == json.loads(body)
    assert json.loads(body)["type"] == "stacks.BoxPlaced" and "actor" not in json.loads(body)["data"]
    for tampered_body, tampered_headers in (
            (body.replace(b"R01", b"R02"), headers),
            (body, {**headers, "webhook-id": msg_id + "X"}),
            (body, {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) + 1)})):
        with pytest.raises(WebhookVerificationError):
            receiver.verify(tampered_body, tampered_headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(body, headers)  # another subscription's secret


def test_during_rotation_both_secrets_sign_and_either_verifies():
    old, new = webhooks.new_secret(), webhooks.new_secret()
    sub = webhooks.Subscription("org-a", "c-1", "sub-1", "https://example.org/hook", ("stacks.*",),
                                secrets=(webhooks.SigningSecret(old, "2026-12-01T00:00:00.000Z"),))
    rotated = sub.rotated(new, "2026-12-02T00:00:00.000Z", "2026-12-03T00:00:00.000Z")
    signing = rotated.signing_secrets("2026-12-02T12:00:00.000Z")
    assert signing == [new, old]
    body = webhooks.payload(ENVELOPE)
    headers = webhooks.signed_headers(signing, "msg_1", int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, headers)
    assert rotated.signing_secrets("2026-12-03T00:00:00.001Z") == [new]  # the window ended
    assert "secret" not in json.dumps(rotated.public(now_iso="2026-12-02T12:00:00.000Z")).replace('"secrets"', "")


def test_event_types_match_exactly_by_capability_or_all():
    assert webhooks.type_allowed("stacks.BoxPlaced", ["stacks.BoxPlaced"])
    assert webhooks.type_allowed("stacks.BoxPlaced", ["stacks.*"])
    assert webhooks.type_allowed("stacks.BoxPlaced", ["*"])
    assert not webhooks.type_allowed("stacks.BoxPlaced", ["stacks.BoxMoved", "inventory.*"])


def test_delivery_ids_sort_by_event_time_and_are_the_same_for_the_same_event_and_subscription():
    a = deliveries.delivery_id("e-1", "sub-1", 1_700_000_000_000)
    assert a == deliveries.delivery_id("e-1", "sub-1", 1_700_000_000_000)
    assert a != deliveries.delivery_id("e-1", "sub-2", 1_700_000_000_000)
    later = deliveries.delivery_id("e-0", "sub-1", 1_700_000_000_001)
    assert a < later and "." not in a and a.startswith("msg_")
    assert deliveries.id_bound(1_700_000_000, upper=False) <= a <= deliveries.id_bound(1_700_000_000, upper=True)


# ------------------------------------------------------------------ schedule
class Clock:
    """A controllable clock: epoch seconds that move only when the test says so."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _delivery() -> Delivery:
    return Delivery("org-a", "sub-1", "msg_1", "c-1", "e-1", "stacks.BoxPlaced", "{}", next_attempt_at=0.0)


def test_failed_tries_follow_the_schedule_with_jitter_then_dead_letter():
    clock, rng = Clock(), random.Random(7)
    delivery, waits = _delivery(), []
    for _ in range(deliveries.TRIES):
        decision = deliveries.after_try(delivery, Response(500, 12, "boom"), now=clock.now, rng=rng)
        delivery = decision.delivery
        if delivery.status == "pending":
            waits.append(delivery.next_attempt_at - clock.now)
            clock.advance(delivery.next_attempt_at - clock.now)
    assert delivery.status == "failed" and decision.dead_letter and delivery.attempts == 10
    assert len(waits) == 9
    for wait, base in zip(waits, deliveries.SCHEDULE_SECONDS[1:]):
        assert base * 0.9 <= wait <= base * 1.1
    assert len(set(round(w / b, 6) for w, b in zip(waits, deliveries.SCHEDULE_SECONDS[1:]))) > 1  # jittered
    total_hours = sum(waits) / 3600
    assert 3 * 24 * 0.9 <= total_hours <= 3.5 * 24  # about three days


def test_retry_after_is_honoured_and_throttling_statuses_slow_the_subscription():
    clock, rng = Clock(), random.Random(1)
    decision = deliveries.after_try(_delivery(), Response(429, 5, retry_after="120"), now=clock.now, rng=rng)
    assert decision.delivery.next_attempt_at == pytest.approx(clock.now + 120)
    assert decision.throttle_until == pytest.approx(clock.now + 120) and decision.attempt.outcome == "throttled"
    date = format_datetime(datetime.fromtimestamp(clock.now + 600, timezone.utc), usegmt=True)
    decision = deliveries.after_try(_delivery(), Response(503, 5, retry_after=date), now=clock.now, rng=rng)
    assert decision.delivery.next_attempt_at == pytest.approx(clock.now + 600) and decision.throttle_until is None
    for status in (502, 504):
        decision = deliveries.after_try(_delivery(), Response(status, 5), now=clock.now, rng=rng)
        assert decision.throttle_until == clock.now + deliveries.THROTTLE_SECONDS
    huge = deliveries.after_try(_delivery(), Response(429, 5, retry_after="99999999"), now=clock.now, rng=rng)
    assert huge.delivery.next_attempt_at == clock.now + deliveries.MAX_RETRY_AFTER_SECONDS


def test_410_fails_the_delivery_and_disables_the_subscription_and_2xx_delivers():
    clock, rng = Clock(), random.Random(1)
    gone = deliveries.after_try(_delivery(), Response(410, 5), now=clock.now, rng=rng)
    assert gone.delivery.status == "failed" and gone.disable and not gone.dead_letter
    ok = deliveries.after_try(_delivery(), Response(204, 5), now=clock.now, rng=rng)
    assert ok.delivery.status == "delivered" and ok.delivery.next_attempt_at is None
    moved = deliveries.after_try(_delivery(), Response(301, 5), now=clock.now, rng=rng)
    assert moved.delivery.status == "pending" and moved.attempt.outcome == "failed"  # redirects are failures


def test_a_redelivery_starts_a_new_round_with_the_same_id():
    clock, rng = Clock(), random.Random(1)
    delivery = _delivery()
    for _ in range(deliveries.TRIES):
        delivery = deliveries.after_try(delivery, Response(None, 15000, error="timeout: x"), now=clock.now,
                                        rng=rng).delivery
    again = deliveries.redelivered(delivery, now=clock.now, rng=rng)
    assert (again.status, again.id, again.round_tries, again.next_attempt_at) == ("pending", "msg_1", 0, clock.now)
    assert again.ticket and again.ticket != delivery.ticket
    after = deliveries.after_try(again, Response(500, 1), now=clock.now, rng=rng)
    assert after.attempt.number == 11 and after.delivery.next_attempt_at - clock.now <= 5.5


def test_the_response_excerpt_is_at_most_one_kilobyte():
    decision = deliveries.after_try(_delivery(), Response(500, 1, "한" * 2000), now=1.0, rng=random.Random(1))
    assert len(decision.attempt.response_excerpt.encode("utf-8")) <= 1024


# ---------------------------------------------------------------------- SSRF
@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"), ("192.168.1.1", "private"),
    ("100.64.0.1", "private"), ("fc00::1", "private"), ("fd12:3456::1", "private"), ("fec0::1", "private"),
    ("169.254.169.254", "link_local"), ("fe80::1", "link_local"), ("fe80::1%1", "link_local"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"), ("192.0.2.1", "reserved"),
    ("198.18.0.1", "reserved"), ("2001:db8::1", "reserved"), ("100::1", "reserved"), ("4000::1", "reserved"),
    # IPv6 forms carrying IPv4: mapped is judged by what it carries, the rest refused outright
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "link_local"),
    ("::ffff:8.8.8.8", "public"), ("64:ff9b::a00:1", "transition"), ("2002:a00:1::1", "transition"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "transition"), ("::127.0.0.1", "transition"),
    ("8.8.8.8", "public"), ("1.1.1.1", "public"), ("2606:4700:4700::1111", "public"), ("2a00:1450::1", "public"),
])
def test_addresses_are_classified(address, reason):
    assert destinations.classify(address) == reason
    assert destinations.judge(address).allowed is (reason == "public")


def test_loopback_passes_only_when_allowed_and_every_address_must_pass():
    assert not destinations.judge("127.0.0.1") and destinations.judge("127.0.0.1", loopback_allowed=True)
    assert not destinations.judge("10.0.0.1", loopback_allowed=True)
    assert not destinations.judge_all(["8.8.8.8", "10.0.0.1"])  # one private answer is enough to refuse
    assert destinations.judge_all([]).reason == "unresolvable"
    assert destinations.judge_all(["8.8.8.8", "2606:4700:4700::1111"])


@pytest.mark.parametrize("url, allowed", [
    ("https://hooks.example.org/records?x=1", True),
    ("https://8.8.8.8:8443/hook", True),
    ("http://hooks.example.org/hook", False),  # https only
    ("https://user:pw@hooks.example.org/", False),
    ("https://hooks.example.org/#frag", False),
    ("https://127.0.0.1/hook", False), ("https://[::1]/hook", False), ("https://10.0.0.5/", False),
    ("https://169.254.169.254/latest/meta-data/", False), ("https://[::ffff:169.254.169.254]/", False),
    ("https://localhost/", False), ("https://metadata.google.internal/", False),
    ("ftp://hooks.example.org/", False), ("https:///nohost", False), ("https://exa mple.org/", False),
    ("https://hooks.example.org:0/", False), ("https://hooks.example.org:99999/", False),
])
def test_urls_are_checked_before_any_resolution(url, allowed):
    if allowed:
        assert destinations.parse(url).host
    else:
        with pytest.raises(destinations.BadUrl):
            destinations.parse(url)


def test_the_loopback_flag_admits_http_to_loopback_and_nothing_else():
    assert destinations.parse("http://127.0.0.1:8080/hook", loopback_allowed=True).port == 8080
    assert destinations.parse("http://[::1]:8080/hook", loopback_allowed=True).host == "::1"
    for url in ("http://10.0.0.1/", "http://hooks.example.org/", "https://169.254.169.254/"):
        with pytest.raises(destinations.BadUrl):
            destinations.parse(url, loopback_allowed=True)


def test_a_name_resolving_to_a_private_address_is_refused_without_connecting(monkeypatch):
    from partners.integration import http_delivery

    def rebinding(host, port):  # a public answer and a private one
        return ["93.184.216.34", "10.0.0.7"]

    response = http_delivery.post("https://hooks.example.org/", {}, b"{}", resolver=rebinding)
    assert response.status is None and response.outcome == "refused" and "private" in response.error
    nowhere = http_delivery.post("https://hooks.example.org/", {}, b"{}", resolver=lambda h, p: [])
    assert nowhere.outcome == "unreachable"
    assert replace(nowhere, status=200).outcome == "delivered"


def test_the_delivery_function_reports_only_the_messages_that_failed(monkeypatch):
    from infrastructure.aws_events import FakeLambdaContext
    from partners import deliveries, logic

    seen = []

    def deliver(message):
        seen.append(message["delivery_id"])
        if message["delivery_id"] == "bad":
            raise RuntimeError("the store is down")
        return "delivered"

    monkeypatch.setattr(logic, "deliver", deliver)
    records = [{"messageId": f"m-{i}", "body": json.dumps({"delivery_id": d})} for i, d in enumerate(["a", "bad", "c"])]
    assert deliveries.handler({"Records": records}, FakeLambdaContext()) == {
        "batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert sorted(seen) == ["a", "bad", "c"]  # one failure holds up none of the others
    monkeypatch.setattr(logic, "resume_stalled", lambda: 3)
    assert deliveries.handler({"job": "resume_stalled_deliveries"}, FakeLambdaContext()) == {"resumed": 3}
