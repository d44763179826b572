"""Real AWS event shapes: API Gateway REST proxy, SQS, DynamoDB stream, schedule."""
from __future__ import annotations

import json
import re
from typing import Any
import uuid

from bench import template as tpl


class FakeLambdaContext:
    function_name = "bench-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{tpl.REGION}:{tpl.ACCOUNT}:function:bench-function"
    aws_request_id = "bench-request"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def claims(user_id: str, org_id: str | None, roles: list[str], email: str | None = None) -> dict[str, str]:
    """Claims as API Gateway's Cognito authorizer passes them: every value a string, groups comma-joined."""
    data = {"sub": str(uuid.uuid4()), "cognito:username": user_id, "token_use": "id",
            "email": email or f"{user_id}@example.org", "cognito:groups": ",".join(roles)}
    if org_id:
        data["custom:org_id"] = org_id
    return data


def api_event(method: str, resource: str, *, path_params: dict[str, str] | None = None, body: Any = None,
              claims: dict[str, str] | None = None, headers: dict[str, str] | None = None,
              query: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event, as the Cognito-authorised stage delivers it."""
    path_params = path_params or {}
    path = re.sub(r"\{(\w+)\}", lambda m: path_params[m.group(1)], resource)
    hdrs = {"Accept": "application/json", **({"Content-Type": "application/json"} if body is not None else {}),
            **(headers or {})}
    return {
        "resource": resource, "path": path, "httpMethod": method, "headers": hdrs,
        "multiValueHeaders": {k: [v] for k, v in hdrs.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": path_params or None, "stageVariables": None,
        "requestContext": {
            "resourcePath": resource, "httpMethod": method, "path": f"/v1{path}", "stage": "v1",
            "requestId": str(uuid.uuid4()), "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"claims": claims} if claims else None,
        },
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
    }


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
