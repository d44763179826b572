"""Section 2: DynamoDB calls per operation (identity routes, saga steps, audit consumer, relay).

Requests are real API Gateway REST proxy events through each function's handler, so
the counts include everything a request pays: authorisation, idempotency records,
reads before writes, the transactional outbox.
"""
from __future__ import annotations

import json
from typing import Any
import uuid

from bench import events
from bench.inprocess import Harness, Outcome

API = "IdentityFunction"
TASKS = "IdentityTasksFunction"
AUDIT_API = "AuditFunction"
AUDIT_CONSUMER = "AuditEventsFunction"
RELAY = "OutboxRelayFunction"


class Recorder:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, group: str, name: str, outcome: Outcome, expected: int | None = None) -> Outcome:
        ok = outcome.error is None and (expected is None or outcome.status == expected)
        self.rows.append({"group": group, "operation": name, "status": outcome.status, "expected": expected,
                          "ok": ok, "error": outcome.error, "dynamodb": outcome.dynamodb,
                          "dynamodb_total": sum(outcome.dynamodb.values()), "other_calls": outcome.other_calls,
                          "ms": outcome.ms})
        return outcome


def _etag(outcome: Outcome) -> str:
    return outcome.headers.get("ETag", '"1"')


def identity_routes(h: Harness, rec: Recorder) -> dict[str, Any]:
    sysadmin = events.claims("bench-root", "bench-platform", ["admin", "sysadmin"])
    api = lambda event: h.invoke(API, event)  # noqa: E731
    group = "identity API"

    # The very first request of a process pays any one-off calls (e.g. table descriptions).
    rec.add(group, "first request of the process: GET /organisations/{org_id} (404)",
            api(events.api_event("GET", "/organisations/{org_id}", path_params={"org_id": "nowhere"}, claims=sysadmin)), 404)
    rec.add(group, "POST /organisations (no admin)", api(events.api_event(
        "POST", "/organisations", claims=sysadmin, body={"id": "bench-agency", "name": "Bench Agency", "type": "agency"})), 201)
    created = rec.add(group, "POST /organisations (with admin)", api(events.api_event(
        "POST", "/organisations", claims=sysadmin, body={
            "id": "bench-archive", "name": "Bench Archive", "type": "permanent_archive",
            "admin": {"email": "admin@bench.example", "display_name": "Bench Admin"}})), 201)
    rec.add(group, "POST /organisations (with parent_id)", api(events.api_event(
        "POST", "/organisations", claims=sysadmin, body={"id": "bench-branch", "name": "Bench Branch", "type": "agency",
                                                       "parent_id": "bench-agency"})), 201)
    admin_id = ((created.body or {}).get("admin") or {}).get("id", "missing-admin")
    admin = events.claims(admin_id, "bench-archive", ["admin"], "admin@bench.example")

    rec.add(group, "GET /organisations (sysadmin: index query)",
            api(events.api_event("GET", "/organisations", claims=sysadmin)), 200)
    rec.add(group, "GET /organisations (member: own only)",
            api(events.api_event("GET", "/organisations", claims=admin)), 200)
    org = rec.add(group, "GET /organisations/{org_id}", api(events.api_event(
        "GET", "/organisations/{org_id}", path_params={"org_id": "bench-archive"}, claims=sysadmin)), 200)
    rec.add(group, "PATCH /organisations/{org_id} (If-Match)", api(events.api_event(
        "PATCH", "/organisations/{org_id}", path_params={"org_id": "bench-archive"}, claims=sysadmin,
        headers={"If-Match": _etag(org)}, body={"name": "Bench Archive (renamed)"})), 200)

    users = {"org_id": "bench-archive"}
    plain = rec.add(group, "POST .../users (no Idempotency-Key)", api(events.api_event(
        "POST", "/organisations/{org_id}/users", path_params=users, claims=admin,
        body={"email": "clerk@bench.example", "display_name": "Clerk", "roles": ["archivist"]})), 202)
    key = {"Idempotency-Key": f"bench-{uuid.uuid4()}"}
    body = {"email": "keyed@bench.example", "display_name": "Keyed", "roles": ["requester"]}
    keyed = rec.add(group, "POST .../users (Idempotency-Key, first)", api(events.api_event(
        "POST", "/organisations/{org_id}/users", path_params=users, claims=admin, headers=key, body=body)), 202)
    rec.add(group, "POST .../users (Idempotency-Key, replay)", api(events.api_event(
        "POST", "/organisations/{org_id}/users", path_params=users, claims=admin, headers=key, body=body)), 202)
    rec.add(group, "GET .../users (first page)", api(events.api_event(
        "GET", "/organisations/{org_id}/users", path_params=users, claims=admin)), 200)

    user = plain.body or {}
    one = {"org_id": "bench-archive", "user_id": user.get("id", "missing")}
    rec.add(group, "GET .../users/{user_id}", api(events.api_event(
        "GET", "/organisations/{org_id}/users/{user_id}", path_params=one, claims=admin)), 200)

    saga_steps(h, rec, user, keyed.body or {})

    version = '"2"'  # created at 1, activated by the saga at 2
    patched = rec.add(group, "PATCH .../users/{user_id} roles (If-Match)", api(events.api_event(
        "PATCH", "/organisations/{org_id}/users/{user_id}", path_params=one, claims=admin,
        headers={"If-Match": version}, body={"roles": ["archivist", "auditor"]})), 200)
    off = rec.add(group, "POST .../users/{user_id}/deactivate", api(events.api_event(
        "POST", "/organisations/{org_id}/users/{user_id}/deactivate", path_params=one, claims=admin,
        headers={"If-Match": _etag(patched)})), 200)
    rec.add(group, "POST .../users/{user_id}/reactivate", api(events.api_event(
        "POST", "/organisations/{org_id}/users/{user_id}/reactivate", path_params=one, claims=admin,
        headers={"If-Match": _etag(off)})), 200)
    rec.add(group, "GET /me", api(events.api_event("GET", "/me", claims=admin)), 200)
    rec.add(group, "GET /directory/organisations (partner key)", api(events.api_event(
        "GET", "/directory/organisations", partner=events.partner("bench-partner", "bench-archive",
                                                                  ["directory:read"]))), 200)
    return {"admin_id": admin_id}


def saga_steps(h: Harness, rec: Recorder, provisioned: dict[str, Any], failing: dict[str, Any]) -> None:
    """The provisioning saga's steps as its state machine sends them, forward path and compensations."""
    group = "identity saga steps"

    def step(name: str, user: dict[str, Any], **extra: Any) -> Outcome:
        event = {"step": name, "user": {k: user.get(k) for k in ("id", "org_id", "email", "roles")},
                 "correlation_id": "bench", "execution_id": f"arn:aws:states:::execution:provision-{user.get('id')}",
                 **extra}
        return h.invoke(TASKS, event)

    for name in ("create_idp_user", "assign_roles", "activate_profile"):
        rec.add(group, name, step(name, provisioned))
    rec.add(group, "activate_profile (again: already active)", step("activate_profile", provisioned))
    rec.add(group, "remove_idp_user (compensation)", step("remove_idp_user", failing))
    rec.add(group, "mark_profile_failed (compensation)", step("mark_profile_failed", failing,
                                                             error={"Error": "IdentityProviderRejected", "Cause": "bench"}))
    rec.add(group, "job reconcile_provisioning", h.invoke(TASKS, {"job": "reconcile_provisioning"}))


def envelope(subjects: list[tuple[str, str]], org_id: str = "bench-archive") -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": "BoxMoved", "source": "records.bench", "schema_version": 1,
            "subjects": [{"kind": kind, "id": sid, "org_id": org_id} for kind, sid in subjects],
            "payload": {"bench": True}, "actor": {"user_id": "bench", "org_id": org_id},
            "correlation_id": "bench", "occurred_at": "2025-01-01T00:00:00.000Z"}


def audit_consumer(h: Harness, rec: Recorder) -> None:
    group = "audit consumer"
    logic = h.load(AUDIT_CONSUMER, "audit.logic")
    subjects = [("box", f"box-{uuid.uuid4()}"), ("shelf", f"shelf-{uuid.uuid4()}")]
    first = envelope(subjects)
    rec.add(group, "record(2 subjects): new chains", h.call(AUDIT_CONSUMER, lambda: logic.record(first)))
    rec.add(group, "record(2 subjects): chains exist", h.call(AUDIT_CONSUMER, lambda: logic.record(envelope(subjects))))
    rec.add(group, "record(2 subjects): redelivered event", h.call(AUDIT_CONSUMER, lambda: logic.record(first)))
    eb_event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "BoxMoved", "source": "records.bench",
                "detail": envelope(subjects)}
    rec.add(group, "handler: SQS batch of 1 (2 subjects)", h.invoke(AUDIT_CONSUMER, events.sqs_event([eb_event])))
    auditor = events.claims("bench-auditor", "bench-archive", ["auditor"])
    rec.add("audit API", "GET /audit/entities/{entity_id}/events", h.invoke(AUDIT_API, events.api_event(
        "GET", "/audit/entities/{entity_id}/events", path_params={"entity_id": subjects[0][1]}, claims=auditor)), 200)


def relay(h: Harness, rec: Recorder) -> None:
    env = envelope([("box", "box-relay")])
    image = {"pk": {"S": f"OUTBOX#{env['id']}"}, "sk": {"S": "EVENT"}, "event_type": {"S": env["type"]},
             "source": {"S": env["source"]}, "envelope": {"S": json.dumps(env)}, "expiration": {"N": "1999999999"}}
    rec.add("outbox relay", "stream batch of 1 outbox insert", h.invoke(RELAY, events.stream_event([image])))
    rec.add("outbox relay", "stream batch of 0 records", h.invoke(RELAY, events.stream_event([])))


def run(h: Harness) -> dict[str, Any]:
    rec = Recorder()
    identity_routes(h, rec)
    audit_consumer(h, rec)
    relay(h, rec)
    return {"rows": rec.rows}
