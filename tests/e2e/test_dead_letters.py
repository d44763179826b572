"""Dead letters are visible and can be sent back with one command.

GIVEN the local system and an event that ended in audit's dead-letter queue
WHEN health is asked, then `python -m infrastructure.local.jobs --redrive` (`make redrive`) runs
THEN health names the queue's depth and is not "ok" while the dead letter waits; after the
redrive the queue is empty, health is "ok" again, and the event is in the audit trail.
"""
from __future__ import annotations

import json
import subprocess
import sys
import uuid

import boto3
import pytest

from tests.e2e.conftest import REPO_ROOT, start_local_system, wait_for

pytestmark = pytest.mark.e2e


def test_a_dead_letter_shows_in_health_and_one_command_sends_it_back(tmp_path):
    system = start_local_system(tmp_path)
    try:
        sqs = boto3.client("sqs", endpoint_url=system.moto_url, region_name="us-east-1",
                           aws_access_key_id="local", aws_secret_access_key="local")
        dlq = next(u for u in sqs.list_queues()["QueueUrls"] if "AuditDeadLetterQueue" in u)
        entity = f"redrive-{uuid.uuid4().hex[:8]}"
        envelope = {"id": uuid.uuid4().hex, "type": "BoxRegistered", "source": "records.stacks",
                    "subjects": [{"kind": "box", "id": entity, "org_id": "org-src"}], "payload": {},
                    "actor": {"user_id": "u-stacks-src", "org_id": "org-src"}, "correlation_id": None,
                    "occurred_at": "2026-12-02T00:00:00.000Z", "schema_version": 1}
        sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"detail-type": "BoxRegistered",
                                                               "source": "records.stacks", "detail": envelope}))

        health = system.request("GET", "/_local/health").json()
        assert health["status"] == "degraded"
        waiting = health["queues"]["AuditDeadLetterQueue"]
        assert {k: waiting[k] for k in ("messages", "in_flight", "dead_letter")} == {
            "messages": 1, "in_flight": 0, "dead_letter": True}
        assert waiting["oldest_age_s"] is not None and waiting["oldest_age_s"] >= 0  # how long it has waited

        done = subprocess.run([sys.executable, "-m", "infrastructure.local.jobs", "--redrive", "--url",
                               system.base_url], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["moved"]["AuditDeadLetterQueue"] == 1

        auditor = system.token("auditor@src")
        history = wait_for(lambda: (r := system.request("GET", f"/audit/entities/{entity}/events", token=auditor))
                           .status == 200 and r.json(), what="the redriven event in the audit trail")
        assert [e["event"]["id"] for e in history["items"]] == [envelope["id"]]
        assert system.request("GET", "/_local/health").json()["status"] == "ok"
    finally:
        system.stop()
