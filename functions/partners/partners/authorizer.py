"""The API's partner authorizer (API Gateway Lambda authorizer, REQUEST type, on `X-Api-Key`).

Same shape as identity's staff authorizer: a refused key raises "Unauthorized" (API Gateway's
401); a live key of an active client gets an Allow for the stage, with the partner in the
request context (`partner_client_id`, `org_id`, `scopes`, `event_types`, `key_id`) and the
state of its quotas (`quota_exceeded`, `retry_after`, `ratelimit`, `ratelimit_policy`).

A REQUEST authorizer can only allow or refuse, so the quota is counted here (before the route
runs) and the refusal is the route's: shared.http answers 429 problem+json with `Retry-After`
and the RateLimit fields before the view runs, so an over-quota call does nothing. (A Deny
would be API Gateway's 403, whatever the reason.) Each capability checks the route's scope.

`usageIdentifierKey` is the stage's partner usage-plan key (PARTNER_USAGE_KEY): with the API's
`ApiKeySourceType: AUTHORIZER`, API Gateway throttles and counts every partner call against that
plan too, an outer guard over all partners together (AWS calls usage plans best effort). Clients
never send that key; the key they send never leaves this function, nor its logs.
"""
from __future__ import annotations

import os
from typing import Any

from shared.observability import lambda_entry, logger

from .logic.access import AccessRefused, InvalidKey, authorize

HEADER = "x-api-key"


def _stage_wide(method_arn: str) -> str:
    """arn:aws:execute-api:region:account:api/stage/METHOD/path → the same up to the stage, then /*/*."""
    head, _, rest = method_arn.partition("/")
    stage = rest.split("/", 1)[0]
    return f"{head}/{stage}/*/*"


def _key(event: dict[str, Any]) -> str | None:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return headers.get(HEADER)


@lambda_entry()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        principal, grants = authorize(_key(event))
    except (InvalidKey, AccessRefused) as refused:
        logger.info("partner key refused", extra={"reason": str(refused)})
        raise Exception("Unauthorized") from None  # the exact message API Gateway turns into a 401
    answer = {
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": _stage_wide(event["methodArn"])}]},
        "context": grants,
    }
    if os.environ.get("PARTNER_USAGE_KEY"):
        answer["usageIdentifierKey"] = os.environ["PARTNER_USAGE_KEY"]
    return answer
