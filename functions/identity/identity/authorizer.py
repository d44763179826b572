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

from shared.auth import parse_groups
from shared.observability import lambda_entry, logger

from .data import repository
from .domain.access import AccessRefused, grant
from .integration import tokens


def authorize(header_value: str | None) -> tuple[str, dict[str, Any]]:
    """(principal id, context) for a token of an active user; AccessRefused or InvalidToken otherwise."""
    verified = tokens.claims(header_value)
    user_id = verified.get("cognito:username") or verified.get("sub")
    org_id = verified.get("custom:org_id") or None
    user = repository.get_user(org_id, str(user_id), consistent=True) if user_id and org_id else None
    return str(user_id), grant(org_id, parse_groups(verified.get("cognito:groups")), user)


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
