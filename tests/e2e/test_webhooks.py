"""Webhooks end to end: a domain event reaches a partner's receiver (a tiny HTTP server in this test,
on 127.0.0.1: the local system runs with --webhooks-to-loopback), signed per Standard Webhooks and
verifiable with the `standardwebhooks` package; the delivery log shows the try; bad URLs are refused."""
from __future__ import annotations

import json
import uuid

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from tests.e2e.conftest import wait_for
from tests.support.receiver import Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _partner_key(system, admin: str, event_types: list[str]) -> str:
    run = uuid.uuid4().hex[:8]
    created = system.request("POST", "/partners/clients", token=admin, headers={"Idempotency-Key": f"wh-{run}"},
                             json_body={"name": f"Receiver {run}", "contact": {"name": "Kim", "email": "kim@example.org"},
                                        "scopes": ["webhooks:manage"], "event_types": event_types})
    assert created.status == 201, created.body
    issued = system.request("POST", f"/partners/clients/{created.json()['id']}/keys", token=admin, json_body={},
                            headers={"Idempotency-Key": f"wh-key-{run}"})
    assert issued.status == 201, issued.body
    return issued.json()["secret"]


def test_an_event_reaches_the_receiver_signed_and_verifiable(local_system, receiver):
    admin = local_system.token("admin@src")
    key = _partner_key(local_system, admin, ["stacks.*"])
    partner = {"X-Api-Key": key}
    refused = local_system.request("POST", "/partners/webhooks", headers={**partner, "Idempotency-Key": "bad-url"},
                                   json_body={"url": "https://169.254.169.254/latest", "event_types": ["stacks.*"]})
    assert refused.status == 400 and refused.content_type == "application/problem+json"
    assert local_system.request("GET", "/partners/webhooks", headers=partner).json()["items"] == []  # nothing written

    subscribed = local_system.request("POST", "/partners/webhooks", headers={**partner, "Idempotency-Key": uuid.uuid4().hex},
                                      json_body={"url": receiver.url, "event_types": ["stacks.RepositoryCreated"]})
    assert subscribed.status == 201, subscribed.body
    sub = subscribed.json()
    secret = sub["secret"]
    assert secret.startswith("whsec_")
    again = local_system.request("GET", f"/partners/webhooks/{sub['id']}", headers=partner).json()
    assert "secret" not in again and secret not in json.dumps(again)  # shown once

    code = "W" + uuid.uuid4().hex[:5].upper()
    stacks = local_system.token("stacks@src")
    assert local_system.request("POST", "/repositories", token=stacks, headers={"Idempotency-Key": code},
                                json_body={"code": code, "name": f"Webhook {code}"}).status == 201
    got = wait_for(lambda: [r for r in receiver.received if code.encode() in r[1]], timeout=90,
                   what="the webhook to reach the receiver")
    headers, body, _ = got[0]
    delivered = Webhook(secret).verify(body, headers)
    assert delivered["type"] == "stacks.RepositoryCreated" and delivered["data"]["payload"]["code"] == code
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(code.encode(), b"XXXXXX"), headers)

    def logged():
        page = local_system.request("GET", f"/partners/webhooks/{sub['id']}/deliveries", headers=partner).json()
        return [d for d in page["items"] if d["id"] == headers["webhook-id"] and d["status"] == "delivered"]
    delivery, = wait_for(logged, what="the delivery log")
    detail = local_system.request("GET", f"/partners/webhooks/{sub['id']}/deliveries/{delivery['id']}",
                                  headers=partner).json()
    attempt = detail["attempts"][0]
    assert attempt["status"] == 200 and attempt["outcome"] == "delivered" and len(attempt["response_excerpt"]) <= 1024

    other_key = _partner_key(local_system, admin, ["stacks.*"])  # another client: the subscription is not its own
    assert local_system.request("GET", f"/partners/webhooks/{sub['id']}", headers={"X-Api-Key": other_key}).status == 404
