"""The API's staff authorizer (API Gateway Lambda authorizer, TOKEN type), owned by identity.

API Gateway calls it with the `Authorization` header and caches the answer per token
for `ReauthorizeEvery` seconds (60 in the template): that cache window is how long a
deactivated user or a removed role can still act. The answer puts the caller's
organisation and current roles in the request context, so no capability calls identity.

A bad or refused token raises "Unauthorized" (API Gateway's 401); a verified, active
user gets an Allow for every route of the stage (the answer is cached per token, not
per route, so it must cover them all; each capability checks roles itself).
"""
from __future__ import annotations

from typing import Any

from shared.observability import lambda_entry, logger

from .logic.access import authorize
from .domain.access import AccessRefused
from .integration import tokens


def _stage_wide(method_arn: str) -> str:
    """arn:aws:execute-api:region:account:api/stage/METHOD/path → the same up to the stage, then /*/*."""
    head, _, rest = method_arn.partition("/")
    stage = rest.split("/", 1)[0]
    return f"{head}/{stage}/*/*"


@lambda_entry()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        principal, grants = authorize(event.get("authorizationToken"))
    except (tokens.InvalidToken, AccessRefused) as refused:
        logger.info("token refused", extra={"reason": str(refused)})
        raise Exception("Unauthorized") from None  # the exact message API Gateway turns into a 401
    return {
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": _stage_wide(event["methodArn"])}]},
        "context": grants,
    }
