"""Real AWS event shapes: API Gateway REST proxy, SQS, DynamoDB stream, schedule."""
from __future__ import annotations

import json
import re
from typing import Any
import uuid

from bench import template as tpl
from infrastructure.aws_events import FakeLambdaContext, api_event, claims, partner  # noqa: F401  (re-exported)


def sqs_event(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": [{
        "messageId": str(uuid.uuid4()), "receiptHandle": "bench", "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
        "eventSource": "aws:sqs", "eventSourceARN": f"arn:aws:sqs:{tpl.REGION}:{tpl.ACCOUNT}:bench",
        "awsRegion": tpl.REGION} for body in bodies]}


def stream_event(images: list[dict[str, Any]]) -> dict[str, Any]:
    """A DynamoDB stream batch of INSERTs whose NewImage is already in DynamoDB JSON."""
    return {"Records": [{
        "eventID": str(i), "eventName": "INSERT", "eventSource": "aws:dynamodb", "awsRegion": tpl.REGION,
        "dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image,
                     "SequenceNumber": f"{100000 + i}", "StreamViewType": "NEW_IMAGE"},
        "eventSourceARN": f"arn:aws:dynamodb:{tpl.REGION}:{tpl.ACCOUNT}:table/bench/stream/x"}
        for i, image in enumerate(images)]}


def first_event(fn: tpl.Function) -> tuple[str, dict[str, Any]]:
    """A realistic first event for a function, chosen from its template events: (description, event)."""
    types = fn.event_types()
    if "Api" in types:
        routes = [(e["Properties"]["Method"].upper(), e["Properties"]["Path"], e["Properties"].get("Auth"))
                  for e in fn.events.values() if e.get("Type") == "Api"]
        # A GET behind the authorizer, with the fewest path parameters: /me rather than /organisations/{id}.
        gets = [r for r in routes if r[0] == "GET" and not (r[2] or {}).get("Authorizer") == "NONE"] or routes
        method, path, _ = min(gets, key=lambda r: (r[1].count("{"), routes.index(r)))
        params = {name: "x" for name in re.findall(r"\{(\w+)\}", path)}
        caller = claims("bench-user", "bench-org", ["admin", "auditor"])
        return f"{method} {path}", api_event(method, path, path_params=params, claims=caller)
    if "SQS" in types:
        return "SQS batch, 0 records", sqs_event([])
    if "DynamoDB" in types:
        return "stream batch, 0 outbox records", stream_event([])
    scheduled = tpl.schedule_input(fn)
    if scheduled is not None:
        return f"schedule {json.dumps(scheduled)}", scheduled
    return "empty event", {}
