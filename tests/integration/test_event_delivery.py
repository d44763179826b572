"""Outbox → table stream → relay → EventBridge bus → SQS → audit consumer, all with real shapes."""
from __future__ import annotations

import json
import uuid

import boto3

from tests.integration.test_identity_api import create_org
from tests.support.events import FakeLambdaContext, api_event, claims
from tests.support.template import resource


def stream_event(ddb, table: str) -> dict:
    """The table's items as a DynamoDB-stream INSERT batch (moto's in-process streams API answers
    404 under current botocore; the real stream is read end-to-end by the local system)."""
    items = ddb.scan(TableName=table)["Items"]
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    return {"Records": [{
        "eventID": str(n), "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1", "eventSourceARN": arn,
        "dynamodb": {"Keys": {"pk": item["pk"], "sk": item["sk"]}, "NewImage": item,
                     "SequenceNumber": f"{n:021d}", "SizeBytes": 100, "StreamViewType": "NEW_IMAGE"},
    } for n, item in enumerate(items, start=1)]}


def sqs_event(messages, queue_arn):
    return {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                         "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                         "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
                         "awsRegion": "us-east-1"} for m in messages]}


def wire_bus(monkeypatch):
    """The bus, rule and queue as the template declares them (named for this test: the moto world outlives it)."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    suffix = uuid.uuid4().hex[:8]
    bus = f"records-test-domain-events-{suffix}"
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=f"audit-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = resource("AuditRule")["Properties"]["EventPattern"]
    events.put_rule(Name="audit", EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule="audit", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    monkeypatch.setenv("EVENT_BUS_NAME", bus)
    return sqs, queue_url, queue_arn


def test_an_identity_change_reaches_the_audit_trail_through_the_bus(aws, monkeypatch):
    sqs, queue_url, queue_arn = wire_bus(monkeypatch)
    create_org()
    from outbox_relay.app import handler as relay
    from audit.consumer import handler as audit_consumer
    from audit.app import handler as audit_api

    batch = stream_event(aws.ddb, "identity")
    assert len(batch["Records"]) >= 2  # the organisation and its outbox item, from one transaction
    assert relay(batch, FakeLambdaContext()) == {"batchItemFailures": []}

    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["detail-type"] for m in messages] == ["OrganisationCreated"]
    monkeypatch.setenv("TABLE_NAME", "audit")
    assert audit_consumer(sqs_event(messages, queue_arn), FakeLambdaContext()) == {"batchItemFailures": []}
    # At-least-once delivery: the same message again changes nothing.
    audit_consumer(sqs_event(messages, queue_arn), FakeLambdaContext())

    auditor = claims("u-aud", "org-alpha", ["auditor"])
    response = audit_api(api_event("GET", "/audit/entities/{entity_id}/events", path_params={"entity_id": "org-alpha"},
                                   claims=auditor, query={"verify": "true"}), FakeLambdaContext())
    body = json.loads(response["body"])
    assert response["statusCode"] == 200
    assert [e["event"]["type"] for e in body["items"]] == ["OrganisationCreated"]
    assert body["items"][0]["event"]["correlation_id"]
    assert body["verification"] == {"valid": True, "checked": 1, "head_hash": body["entity"]["head_hash"]}
    other = audit_api(api_event("GET", "/audit/entities/{entity_id}/events", path_params={"entity_id": "org-alpha"},
                                claims=claims("u-x", "org-beta", ["auditor"])), FakeLambdaContext())
    assert other["statusCode"] == 404


def test_a_poison_message_is_reported_alone_for_retry(aws, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "audit")
    from audit.consumer import handler as audit_consumer
    good = {"id": "e1", "type": "X", "source": "records.test", "occurred_at": "2026-01-01T00:00:00Z",
            "subjects": [{"kind": "box", "id": "b1", "org_id": "o1"}], "payload": {}, "actor": {}}
    messages = [{"MessageId": "m-good", "ReceiptHandle": "r1", "MD5OfBody": "x", "Body": json.dumps({"detail": good})},
                {"MessageId": "m-bad", "ReceiptHandle": "r2", "MD5OfBody": "x", "Body": json.dumps({"detail": {"id": "e2"}})}]
    result = audit_consumer(sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:audit"), FakeLambdaContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}


def test_tampering_with_a_stored_event_breaks_verification(aws, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "audit")
    from audit import logic
    from audit.data import history
    for n in range(3):
        logic.record({"id": f"e{n}", "type": "BoxMoved", "subjects": [{"kind": "box", "id": "b1", "org_id": "o1"}],
                      "payload": {"n": n}})
    aws.ddb.update_item(TableName="audit", Key={"pk": {"S": "ENTITY#o1#b1"}, "sk": {"S": "SEQ#000000000002"}},
                        UpdateExpression="SET #e = :e", ExpressionAttributeNames={"#e": "event"},
                        ExpressionAttributeValues={":e": {"S": json.dumps({"id": "e1", "payload": {"n": 99}})}})
    auditor = claims("u-aud", "o1", ["auditor"])
    body = logic.entity_history(auditor_caller(auditor), "b1", 10, None, check=True)
    assert body["verification"]["valid"] is False and body["verification"]["broken_at"] == 2
    assert history.head("o1", "b1")["seq"] == 3


def auditor_caller(claim_set):
    from shared.auth import caller_from_claims
    return caller_from_claims(claim_set)


def test_same_entity_id_in_two_organisations_keeps_two_histories(aws, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "audit")
    from audit import logic
    for org in ("o1", "o2"):
        logic.record({"id": f"e-{org}", "type": "BoxMoved", "subjects": [{"kind": "box", "id": "shared-id", "org_id": org}]})
    for org in ("o1", "o2"):
        body = logic.entity_history(auditor_caller(claims("u", org, ["auditor"])), "shared-id", 10, None, check=True)
        assert [e["event"]["id"] for e in body["items"]] == [f"e-{org}"]
        assert body["verification"]["valid"] is True


def test_verification_ignores_entries_appended_after_the_head_was_read(aws, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "audit")
    from audit import logic
    from audit.data import history
    for n in range(2):
        logic.record({"id": f"e{n}", "type": "X", "subjects": [{"kind": "box", "id": "b9", "org_id": "o1"}]})
    real_head, appended = history.head, []

    def head_then_append(org_id, entity_id):
        current = real_head(org_id, entity_id)
        if not appended:  # an event lands between reading the head and reading the entries
            appended.append(True)
            logic.record({"id": "late", "type": "X", "subjects": [{"kind": "box", "id": "b9", "org_id": "o1"}]})
        return current

    monkeypatch.setattr(history, "head", head_then_append)
    body = logic.entity_history(auditor_caller(claims("u", "o1", ["auditor"])), "b9", 10, None, check=True)
    assert body["verification"] == {"valid": True, "checked": 2, "head_hash": body["entity"]["head_hash"]}
    assert [e["event"]["id"] for e in body["items"]] == ["e0", "e1"]
