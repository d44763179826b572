"""Real AWS event shapes for invoking handlers in tests (one definition, in infrastructure/)."""
from __future__ import annotations

import json
from typing import Any, Callable

from infrastructure.aws_events import FakeLambdaContext, api_event, claims, partner

__all__ = ["FakeLambdaContext", "api_event", "call_api", "claims", "partner", "response_json"]


def response_json(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


def call_api(handler: Callable[[dict, Any], dict], method: str, resource: str, *, path: dict[str, str] | None = None,
             body: Any = None, raw_body: str | None = None, who: dict[str, str] | None = None,
             headers: dict[str, str] | None = None, query: dict[str, str] | None = None,
             as_partner: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    """Call a handler as API Gateway does: (status, body — JSON decoded when it is JSON —, lower-case headers).

    `as_partner`: the partner the partner authorizer let through (`partner(...)`), on partner routes."""
    event = api_event(method, resource, path_params=path, body=body, raw_body=raw_body, claims=who,
                      headers=headers, query=query, partner=as_partner)
    response = handler(event, FakeLambdaContext())
    headers_out = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    body_out = response_json(response) if "json" in headers_out.get("content-type", "") else response.get("body")
    return response["statusCode"], body_out, headers_out
