"""Real AWS event shapes for invoking handlers outside Lambda (tests, bench, local system).

API Gateway REST (v1) proxy events as the stage delivers them after its staff or partner authorizer, a Lambda
context stand-in, and the two halves of answering a Lambda Invoke call in this process
(what Step Functions' `lambda:invoke` tasks send): the function it names, and a response
botocore reads as Lambda's.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable
import urllib.parse
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
    """An ID token's claims as strings (groups comma-joined); api_event turns them into what the
    staff authorizer passes for that user."""
    data = {"sub": str(uuid.uuid4()), "cognito:username": user_id, "token_use": "id",
            "email": email or f"{user_id}@example.org", "cognito:groups": ",".join(roles)}
    if org_id:
        data["custom:org_id"] = org_id
    return data


def partner(client_id: str, org_id: str, scopes: list[str], event_types: list[str] = (), *,
            exceeded: str | None = None) -> dict[str, str]:
    """What the partner authorizer (partners/authorizer.py) passes for a live key of an active client
    whose call it counted (over its minute quota with `exceeded="minute"`); api_event puts it in place."""
    return {"partner_client_id": client_id, "org_id": org_id, "key_id": "0123456789ab", "scopes": ",".join(scopes),
            "event_types": ",".join(event_types), "quota_exceeded": exceeded or "",
            "retry_after": "30" if exceeded else "", "ratelimit": '"minute";r=0;t=30' if exceeded else
            '"minute";r=59;t=30, "day";r=9999;t=3600', "ratelimit_policy": '"minute";q=60;w=60, "day";q=10000;w=86400',
            "principalId": f"partner:{client_id}"}


def authorizer_context(claims: dict[str, str]) -> dict[str, str]:
    """What the staff authorizer (identity/authorizer.py) passes for a user whose table record
    agrees with these token claims: user, organisation, roles (comma-joined) and email."""
    return {"user_id": claims.get("cognito:username") or claims["sub"], "org_id": claims.get("custom:org_id", ""),
            "roles": claims.get("cognito:groups", ""), "email": claims.get("email", ""),
            "principalId": claims.get("cognito:username") or claims["sub"]}


def api_event(method: str, resource: str, *, path_params: dict[str, str] | None = None,
              body: Any = None, raw_body: str | None = None, claims: dict[str, str] | None = None,
              headers: dict[str, str] | None = None, query: dict[str, str] | None = None,
              partner: dict[str, str] | None = None) -> dict[str, Any]:
    """A proxy event as the stage delivers it: with `claims`, after the staff authorizer; with `partner`
    (see partner()), after the partner authorizer."""
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
            "authorizer": authorizer_context(claims) if claims else partner,
        },
        "body": raw_body, "isBase64Encoded": False,
    }


# ------------------------------------------------------------- Lambda Invoke in process
class _Body:
    """The raw-response interface botocore reads a payload through."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any):
        yield self._data

    def read(self, *_: Any) -> bytes:
        data, self._data = self._data, b""
        return data


def invoked_function(request: Any) -> str:
    """The function a Lambda Invoke request names, as a name (FunctionName may be a name, an ARN or a
    partial ARN, with or without a qualifier)."""
    name = urllib.parse.unquote(request.url.split("/functions/", 1)[1].split("/", 1)[0])
    if "function:" in name:
        name = name.split("function:", 1)[1]
    return name.split(":", 1)[0]


def invoke_response(url: str, payload: bytes, status: int = 200, headers: dict[str, str] | None = None):
    """A Lambda Invoke response as botocore receives it."""
    from botocore.awsrequest import AWSResponse, HeadersDict

    return AWSResponse(url, status, HeadersDict(headers or {}), _Body(payload))


class InProcessInvoke:
    """A botocore `before-send.lambda.Invoke` hook that runs `run(function name, event)` here.

    An exception is reported as Lambda reports an unhandled error (its class name is the error
    Step Functions sees), so state machines' Retry and Catch work as in AWS."""

    def __init__(self, run: Callable[[str, dict[str, Any]], Any]) -> None:
        self.run = run

    def __call__(self, request: Any, **_: Any):
        event = json.loads(request.body or b"{}")
        try:
            result, headers = self.run(invoked_function(request), event), {}
        except Exception as exc:  # noqa: BLE001 - reported as Lambda does
            result = {"errorType": type(exc).__name__, "errorMessage": str(exc)}
            headers = {"X-Amz-Function-Error": "Unhandled"}
        return invoke_response(request.url, json.dumps(result).encode(), headers=headers)
