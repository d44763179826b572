"""Real AWS event shapes for invoking handlers in tests (one definition, in infrastructure/)."""
from __future__ import annotations

import json
from typing import Any

from infrastructure.aws_events import FakeLambdaContext, api_event, claims

__all__ = ["FakeLambdaContext", "api_event", "claims", "response_json"]


def response_json(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None
