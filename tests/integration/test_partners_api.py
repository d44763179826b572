"""Partner clients and their keys through the real partners handlers against moto: registered by
their organisation's admins; a key's secret shown once and kept as a hash; at most two live keys;
the partner authorizer admits live keys of active clients only, counts hard quotas, records last use
once a minute; a revoked key stops within the look-up cache window; other organisations' clients
are unreachable; a key never appears in logs or in any later response."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
import hashlib
import json

import pytest

from tests.integration.partners_world import (ARCHIVIST, AUDITOR, CLIENT, OTHER_ADMIN, ORG,
                                              partners)  # noqa: F401 - the fixture
from tests.support.events import FakeLambdaContext, api_event

CLIENT_PATH = "/partners/clients/{client_id}"


# ------------------------------------------------------------------ clients
def test_an_admin_registers_a_partner_client_that_only_its_organisation_sees(partners):
    status, client, headers = partners.call("POST", "/partners/clients", body=CLIENT, headers={"Idempotency-Key": "c-1"})
    assert status == 201, client
    assert client["scopes"] == ["scans:write", "feed:read", "directory:read"]
    assert client["quota"] == {"per_minute": 30, "per_day": 1000}
    assert headers["location"].endswith(f"/partners/clients/{client['id']}")

    path = {"client_id": client["id"]}
    assert partners.ok("GET", CLIENT_PATH, path=path, who=AUDITOR)["name"] == "Scanner Co. cart"
    assert partners.call("GET", CLIENT_PATH, path=path, who=OTHER_ADMIN)[0] == 404
    assert partners.ok("GET", "/partners/clients", who=OTHER_ADMIN)["items"] == []
    assert partners.call("POST", "/partners/clients", body=CLIENT, who=ARCHIVIST)[0] == 403
    assert partners.call("GET", CLIENT_PATH + "/keys", path=path, who=OTHER_ADMIN)[0] == 404
    assert partners.call("POST", CLIENT_PATH + "/keys", path=path, body={}, who=OTHER_ADMIN)[0] == 404


def test_bad_client_input_writes_nothing(partners):
    before = partners.snapshot()
    for body in ({**CLIENT, "scopes": ["everything"]}, {**CLIENT, "event_types": ["stacks"]},
                 {**CLIENT, "quota": {"per_minute": 0}}, {"name": "No contact"}):
        status, problem, _ = partners.call("POST", "/partners/clients", body=body)
        assert status == 400, (body, problem)
    assert partners.snapshot() == before


def test_a_client_is_changed_with_its_etag_and_a_disabled_client_is_refused(partners):
    client = partners.client()
    secret = partners.issue(client)["secret"]
    assert isinstance(partners.authorize(secret), dict)
    path = {"client_id": client["id"]}
    stale = partners.call("PATCH", CLIENT_PATH, path=path, body={"status": "disabled"}, headers={"If-Match": '"9"'})
    assert stale[0] == 412
    changed = partners.ok("PATCH", CLIENT_PATH, path=path, body={"status": "disabled", "quota": {"per_day": 50}},
                          headers={"If-Match": '"1"'})
    assert changed["status"] == "disabled" and changed["quota"] == {"per_minute": 30, "per_day": 50}
    from partners.logic import access
    access.forget()  # the look-up cache window has passed
    assert partners.authorize(secret) == "Unauthorized"


# --------------------------------------------------------------------- keys
def test_a_key_is_shown_once_kept_as_a_hash_and_never_shown_again(partners, capfd):
    client = partners.client()
    issued = partners.issue(client, expires_in_days=30)
    secret, key = issued["secret"], issued["key"]
    assert secret.startswith(f"rmk_{key['id']}_") and len(secret) == 4 + 12 + 1 + 43
    assert key["status"] == "active" and key["prefix"] == key["id"] and key["last_used_at"] is None

    items = partners.aws.ddb.scan(TableName="partners")["Items"]
    stored = json.dumps(items)
    assert secret not in stored and secret.rsplit("_", 1)[1] not in stored
    assert hashlib.sha256(secret.encode()).hexdigest() in stored  # only its hash

    context = partners.authorize(secret)
    assert context["partner_client_id"] == client["id"] and context["org_id"] == ORG
    assert context["scopes"] == "scans:write,feed:read,directory:read" and context["key_id"] == key["id"]
    listed = partners.keys(client)
    assert [k["id"] for k in listed] == [key["id"]] and listed[0]["last_used_at"] is not None
    me = partners.call("GET", "/partners/me", who=None, as_partner=context)[1]
    revoked = partners.revoke(client, key["id"])
    answers = json.dumps([listed, me, revoked, context, partners.ok("GET", CLIENT_PATH, path={"client_id": client["id"]})])
    assert secret not in answers and secret.rsplit("_", 1)[1] not in answers

    logs = capfd.readouterr()
    assert secret not in logs.out + logs.err and secret.rsplit("_", 1)[1] not in logs.out + logs.err


def test_at_most_two_live_keys_and_rotation(partners):
    client = partners.client()
    first = partners.issue(client)
    second = partners.issue(client)
    third = partners.call("POST", CLIENT_PATH + "/keys", path={"client_id": client["id"]}, body={})
    assert third[0] == 409 and first["key"]["id"] in third[1]["detail"]
    # rotation: the partner moves to the second key, the first is revoked; a new slot is free
    partners.revoke(client, first["key"]["id"])
    assert partners.revoke(client, first["key"]["id"])["status"] == "revoked"  # again: the same answer
    partners.issue(client)
    assert [k["status"] for k in partners.keys(client)].count("active") == 2
    assert isinstance(partners.authorize(second["secret"]), dict)


def test_the_authorizer_refuses_unknown_malformed_revoked_and_expired_keys(partners):
    client = partners.client()
    issued = partners.issue(client)
    secret = issued["secret"]
    assert isinstance(partners.authorize(secret), dict)
    assert partners.authorize(None) == "Unauthorized"
    assert partners.authorize("not-a-key") == "Unauthorized"
    assert partners.authorize(secret[:-1] + ("A" if secret[-1] != "A" else "B")) == "Unauthorized"  # wrong secret
    assert partners.authorize("rmk_000000000000_" + secret.rsplit("_", 1)[1]) == "Unauthorized"  # unknown id

    partners.revoke(client, issued["key"]["id"])
    from partners.logic import access
    assert isinstance(partners.authorize(secret), dict)  # within the look-up cache window it still passes...
    now = [access.CLOCK()]
    original = access.CLOCK
    access.CLOCK = lambda: now[0]
    try:
        now[0] += access.cache_seconds() + 1  # ...and after it, no more
        assert partners.authorize(secret) == "Unauthorized"
    finally:
        access.CLOCK = original

    expired = partners.issue(client)
    later = datetime.now(timezone.utc) + timedelta(days=366)
    with pytest.raises(access.AccessRefused):
        access.authorize(expired["secret"], now=later)


def test_last_use_is_recorded_at_most_once_a_minute(partners, monkeypatch):
    client = partners.client(quota={"per_minute": 100, "per_day": 1000})
    issued = partners.issue(client)
    from partners.data import clients as store
    from partners.logic import access
    writes = []
    original = store.touch_key
    monkeypatch.setattr(store, "touch_key", lambda *a: writes.append(a) or original(*a))
    start = datetime(2026, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
    for second in range(0, 150, 10):  # a call every 10 s for 2.5 minutes
        access.authorize(issued["secret"], now=start + timedelta(seconds=second))
    assert len(writes) == 3  # 09:00:00, 09:01:00, 09:02:00
    assert partners.keys(client)[0]["last_used_at"] == "2026-03-01T09:02:00.000Z"


# ------------------------------------------------------------------- quotas
def test_quota_windows_count_every_call_and_refuse_the_one_over(partners):
    client = partners.client(quota={"per_minute": 3, "per_day": 5})
    secret = partners.issue(client)["secret"]
    from partners.logic import access
    start = datetime(2026, 3, 1, 9, 0, 10, tzinfo=timezone.utc)
    contexts = [access.authorize(secret, now=start + timedelta(seconds=i))[1] for i in range(4)]
    assert [c["quota_exceeded"] for c in contexts] == ["", "", "", "minute"]
    assert contexts[2]["ratelimit"] == '"minute";r=0;t=48, "day";r=2;t=53988'
    assert contexts[3]["retry_after"] == "47" and contexts[3]["ratelimit_policy"] == '"minute";q=3;w=60, "day";q=5;w=86400'
    next_minute = [access.authorize(secret, now=start + timedelta(seconds=60 + i))[1] for i in range(3)]
    assert [c["quota_exceeded"] for c in next_minute] == ["", "", "day"]  # 5 a day: 3 + 2
    assert next_minute[2]["retry_after"] == str(86400 - (9 * 3600 + 72))
    # the refused calls counted nowhere: a new minute of the same day still has none left
    from partners.data import quotas
    from partners.domain.model import Quota
    from partners.domain.quotas import windows
    minute, day = windows(Quota(per_minute=3, per_day=5), start.timestamp() + 60)
    assert quotas.used(client["id"], day) == 5 and quotas.used(client["id"], minute) == 2


def test_over_quota_a_partner_route_answers_429_with_the_headers_and_does_nothing(partners):
    client = partners.client(quota={"per_minute": 1, "per_day": 100})
    secret = partners.issue(client)["secret"]
    from identity.app import handler as identity
    first, second = partners.authorize(secret), partners.authorize(secret)
    ok = identity(api_event("GET", "/directory/organisations", partner=first), FakeLambdaContext())
    assert ok["statusCode"] == 200 and ok["headers"]["RateLimit"].startswith('"minute";r=0;')
    over = identity(api_event("GET", "/directory/organisations", partner=second), FakeLambdaContext())
    problem = json.loads(over["body"])
    assert over["statusCode"] == 429 and problem["type"].endswith("/quota-exceeded")
    assert over["headers"]["Content-Type"] == "application/problem+json"
    assert int(over["headers"]["Retry-After"]) >= 1
    assert over["headers"]["RateLimit-Policy"] == '"minute";q=1;w=60, "day";q=100;w=86400'
    assert over["headers"]["RateLimit"].startswith('"minute";r=0;t=')


def test_an_over_quota_call_writes_nothing(partners, monkeypatch):
    """A partner route that writes: the 429 comes before the view (and before its Idempotency-Key)."""
    from stacks.app import handler as stacks
    client = partners.client(quota={"per_minute": 1, "per_day": 100}, scopes=["environment:write"])
    secret = partners.issue(client)["secret"]
    partners.authorize(secret)
    over = partners.authorize(secret)
    assert over["quota_exceeded"] == "minute"
    monkeypatch.setenv("TABLE_NAME", "stacks")
    before = partners.aws.ddb.scan(TableName="stacks")["Items"]
    event = api_event("POST", "/environment/readings", partner=over, headers={"Idempotency-Key": "gw-1"},
                      body={"readings": [{"sensor_id": "TH-1", "at": "2026-03-01T09:00:00Z", "temperature_c": 20}]})
    answer = stacks(event, FakeLambdaContext())
    assert answer["statusCode"] == 429
    assert partners.aws.ddb.scan(TableName="stacks")["Items"] == before  # not even an idempotency record


def test_concurrent_calls_never_pass_the_quota(partners):
    from concurrent.futures import ThreadPoolExecutor
    client = partners.client(quota={"per_minute": 5, "per_day": 100})
    secret = partners.issue(client)["secret"]
    partners.authorize(secret)  # the look-up cached: the threads race on the counters only
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: partners.authorize(secret), range(12)))
    assert sum(1 for a in answers if a["quota_exceeded"] == "") == 4
    assert sum(1 for a in answers if a["quota_exceeded"] == "minute") == 8
