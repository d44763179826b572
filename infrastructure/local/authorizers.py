"""Lambda authorizers (TOKEN and REQUEST), run as API Gateway runs them.

A TOKEN authorizer gets the identity source (the `Authorization` header) and the method ARN;
a REQUEST authorizer gets the request (headers, query, path, context) and the method ARN.
The gateway caches the answer per identity (the token, or the REQUEST authorizer's identity
source values) for the authorizer's `ReauthorizeEvery` seconds (0: never cached): within that
window a revoked user keeps the access the cached answer gave; after it, the function decides
again. As in API Gateway: a missing identity source → 401 without a call; the function
failing with "Unauthorized" → 401 (not cached); any other failure → 500; a policy that does
not allow the method ARN (or denies it) → 403. The policy's `context` and the `principalId`
become `requestContext.authorizer`; a `usageIdentifierKey` (the usage-plan key, for APIs whose
API key source is AUTHORIZER) is handed to the gateway under that name, which takes it out.
"""
from __future__ import annotations

import fnmatch
import json
import logging
import threading
import time
from typing import Any

from .workers import InvokeTimeout, Workers, WorkerUnavailable

log = logging.getLogger("local.authorizers")
UNAUTHORIZED, ACCESS_DENIED, AUTHORIZER_FAILURE = "UNAUTHORIZED", "ACCESS_DENIED", "AUTHORIZER_FAILURE"
AUTHORIZER_TIMEOUT = 10.0  # seconds; API Gateway answers 500 when its authorizer takes longer


class LambdaAuthorizers:
    def __init__(self, workers: Workers) -> None:
        self.workers = workers
        self._cache: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def authorize(self, spec: dict[str, Any], token: str | None, method_arn: str,
                  request: dict[str, Any] | None = None) -> dict[str, Any] | str:
        """The request context's `authorizer` for this call, or the gateway response type that refuses it.
        `token`: the identity (a TOKEN authorizer's header, a REQUEST authorizer's identity source values);
        `request`: a REQUEST authorizer's event."""
        if not token:
            return UNAUTHORIZED
        key = (spec["function_arn"], token)
        with self._lock:
            cached = self._cache.get(key)
        if cached is None or cached[0] <= time.monotonic():
            answer = self._invoke(spec["function_arn"], token, method_arn, request)
            if isinstance(answer, str):
                return answer
            cached = (time.monotonic() + spec.get("ttl", 300), answer)
            if spec.get("ttl", 300) > 0:
                with self._lock:
                    self._cache[key] = cached
        policy = cached[1]
        if not _allows(policy.get("policyDocument") or {}, method_arn):
            return ACCESS_DENIED
        context = {k: v for k, v in (policy.get("context") or {}).items() if isinstance(v, (str, int, float, bool))}
        usage = {"usageIdentifierKey": policy["usageIdentifierKey"]} if policy.get("usageIdentifierKey") else {}
        return {**context, "principalId": policy.get("principalId"), **usage}

    def flush(self) -> int:
        """Forget every cached answer (API Gateway's FlushStageAuthorizersCache); returns how many."""
        with self._lock:
            count = len(self._cache)
            self._cache.clear()
        return count

    def _invoke(self, function_arn: str, token: str, method_arn: str,
                request: dict[str, Any] | None) -> dict[str, Any] | str:
        worker = self.workers.get(function_arn)
        if worker is None:
            log.error("authorizer function %s is not in the template", function_arn)
            return AUTHORIZER_FAILURE
        event = ({"type": "REQUEST", "methodArn": method_arn, **request} if request is not None else
                 {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn})
        try:
            invocation = worker.invoke(json.dumps(event).encode(), timeout=AUTHORIZER_TIMEOUT)
        except (WorkerUnavailable, InvokeTimeout) as exc:
            log.error("authorizer %s: %s", function_arn, exc or "timed out")
            return AUTHORIZER_FAILURE
        result = invocation.result()
        if invocation.error:
            if isinstance(result, dict) and result.get("errorMessage") == "Unauthorized":
                return UNAUTHORIZED
            log.error("authorizer %s failed: %s", function_arn, invocation.payload.decode(errors="replace")[:500])
            return AUTHORIZER_FAILURE
        if not isinstance(result, dict) or "policyDocument" not in result:
            log.error("authorizer %s returned no policy", function_arn)
            return AUTHORIZER_FAILURE
        return result


def _allows(document: dict[str, Any], method_arn: str) -> bool:
    allowed = False
    statements = document.get("Statement") or []
    for statement in statements if isinstance(statements, list) else [statements]:
        resources = statement.get("Resource") or []
        resources = resources if isinstance(resources, list) else [resources]
        if any(fnmatch.fnmatchcase(method_arn, pattern) for pattern in resources):
            if statement.get("Effect") == "Deny":
                return False
            allowed = allowed or statement.get("Effect") == "Allow"
    return allowed
