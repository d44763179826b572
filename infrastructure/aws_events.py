"""Real AWS event shapes for invoking handlers outside Lambda (tests and bench).

API Gateway REST (v1) proxy events as a Cognito-authorised stage delivers them, and a
Lambda context stand-in.
"""
from __future__ import annotations

import json
import re
from typing import Any
import uuid


class FakeLambdaContext:
    function_name = "local-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:local-function"
    aws_request_id = "local-request"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def claims(user_id: str, org_id: str | None, roles: list[str], email: str | None = None) -> dict[str, str]:
    """Claims as API Gateway's Cognito authorizer passes them: every value a string, groups comma-joined."""
    data = {"sub": str(uuid.uuid4()), "cognito:username": user_id, "token_use": "id",
            "email": email or f"{user_id}@example.org", "cognito:groups": ",".join(roles)}
    if org_id:
        data["custom:org_id"] = org_id
    return data


def api_event(method: str, resource: str, *, path_params: dict[str, str] | None = None,
              body: Any = None, raw_body: str | None = None, claims: dict[str, str] | None = None,
              headers: dict[str, str] | None = None, query: dict[str, str] | None = None) -> dict[str, Any]:
    path_params = path_params or {}
    path = re.sub(r"\{(\w+)\}", lambda m: path_params[m.group(1)], resource)
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
    hdrs = {"Accept": "application/json", **({"Content-Type": "application/json"} if raw_body is not None else {}),
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
        "body": raw_body, "isBase64Encoded": False,
    }
