"""The identity provider (Cognito user pool): accounts and role groups.

Username = our user id; `custom:org_id` and the groups (= roles) end up in the
ID token, which is how every other capability learns who is calling. Every call
is idempotent: creating an existing account or deleting a missing one is fine,
because saga steps and compensations may run more than once.
"""
from __future__ import annotations

from functools import lru_cache
import os
from typing import Iterable

from botocore.exceptions import BotoCoreError, ClientError

from shared.tasks import TransientError  # raised here: every saga retries this error name

TRANSIENT_CODES = {"TooManyRequestsException", "InternalErrorException", "LimitExceededException",
                   "ThrottlingException", "ServiceUnavailable"}


class IdentityProviderRejected(Exception):
    """The identity provider refused for a reason a retry will not fix."""


@lru_cache(maxsize=1)
def _client():
    import boto3  # on first use: most first calls need no cognito-idp client, and boto3 is a cold-start cost

    return boto3.client("cognito-idp")


def _pool() -> str:
    return os.environ["USER_POOL_ID"]


def _call(method: str, tolerate: Iterable[str] = (), **kwargs) -> bool:
    """Call Cognito; return False when a tolerated error says the work is already done."""
    try:
        getattr(_client(), method)(UserPoolId=_pool(), **kwargs)
        return True
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code in tolerate:
            return False
        if code in TRANSIENT_CODES:
            raise TransientError(f"{method}: {code}") from exc
        raise IdentityProviderRejected(f"{method}: {code}: {exc.response['Error'].get('Message', '')}") from exc
    except BotoCoreError as exc:
        raise TransientError(f"{method}: {exc}") from exc


def create_account(user_id: str, email: str, org_id: str) -> bool:
    return _call("admin_create_user", tolerate=("UsernameExistsException",), Username=user_id,
                 UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                                 {"Name": "custom:org_id", "Value": org_id}],
                 DesiredDeliveryMediums=["EMAIL"],
                 **({"MessageAction": "SUPPRESS"} if os.environ.get("INVITATION_MESSAGE_ACTION") == "SUPPRESS" else {}))


def delete_account(user_id: str) -> bool:
    return _call("admin_delete_user", tolerate=("UserNotFoundException",), Username=user_id)


def set_groups(user_id: str, add: Iterable[str], remove: Iterable[str] = ()) -> None:
    for group in sorted(set(add)):
        _call("admin_add_user_to_group", Username=user_id, GroupName=group)
    for group in sorted(set(remove)):
        _call("admin_remove_user_from_group", tolerate=("UserNotFoundException",), Username=user_id, GroupName=group)


def current_groups(user_id: str) -> set[str]:
    try:
        pages = _client().get_paginator("admin_list_groups_for_user").paginate(UserPoolId=_pool(), Username=user_id)
        return {g["GroupName"] for page in pages for g in page["Groups"]}
    except ClientError as exc:
        if exc.response["Error"]["Code"] in TRANSIENT_CODES:
            raise TransientError(f"admin_list_groups_for_user: {exc}") from exc
        raise IdentityProviderRejected(str(exc)) from exc


def apply_state(user_id: str, roles: Iterable[str], enabled: bool) -> None:
    """Make the account match the profile: exactly these groups, enabled or not. Safe to repeat."""
    wanted, have = set(roles), current_groups(user_id)
    set_groups(user_id, wanted - have, have - wanted)
    if enabled:
        _call("admin_enable_user", Username=user_id)
    else:
        _call("admin_disable_user", Username=user_id)
        # Tokens already issued stay valid until they expire (≤ 60 min); sign-out revokes refresh tokens.
        _call("admin_user_global_sign_out", tolerate=("UserNotFoundException", "NotAuthorizedException"),
              Username=user_id)
