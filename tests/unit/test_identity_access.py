"""The staff authorizer's rules (identity/domain/access.py) and its answer's shape (identity/authorizer.py)."""
from __future__ import annotations

import pytest

from identity import authorizer
from identity.domain.access import AccessRefused, grant
from identity.domain.model import User
from identity.integration import tokens
from identity.logic import access
from infrastructure.aws_events import FakeLambdaContext

ACTIVE = User(id="u1", org_id="org-a", email="u1@a.example", display_name="U1", roles=("archivist",), status="active")


def test_an_active_users_current_roles_come_from_the_table_not_the_token():
    context = grant("org-a", frozenset({"archivist", "admin"}), ACTIVE)

    assert context == {"user_id": "u1", "org_id": "org-a", "roles": "archivist", "email": "u1@a.example"}


def test_the_platform_role_is_kept_from_the_token_for_an_active_user():
    assert grant("org-a", frozenset({"sysadmin"}), ACTIVE)["roles"] == "archivist,sysadmin"


@pytest.mark.parametrize("user, org", [
    pytest.param(None, "org-a", id="unknown"),
    pytest.param(ACTIVE.with_changes(status="deactivated"), "org-a", id="deactivated"),
    pytest.param(ACTIVE.with_changes(status="provisioning"), "org-a", id="provisioning"),
    pytest.param(ACTIVE, "org-b", id="other-organisation"),
])
def test_who_is_refused(user, org):
    with pytest.raises(AccessRefused):
        grant(org, frozenset({"archivist"}), user)


def test_the_answer_allows_every_route_of_the_stage_and_carries_the_context(monkeypatch):
    monkeypatch.setattr(tokens, "claims", lambda header: {"cognito:username": "u1", "custom:org_id": "org-a",
                                                          "cognito:groups": ["archivist"]})
    monkeypatch.setattr(access.store, "get_user", lambda org, user, consistent=False: ACTIVE)

    answer = authorizer.handler({"type": "TOKEN", "authorizationToken": "Bearer x",
                                 "methodArn": "arn:aws:execute-api:us-east-1:1:abc/v1/GET/boxes/b1"}, FakeLambdaContext())

    assert answer["principalId"] == "u1"
    assert answer["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "arn:aws:execute-api:us-east-1:1:abc/v1/*/*"}]
    assert answer["context"]["roles"] == "archivist"


def test_a_refused_token_is_the_exception_api_gateway_turns_into_401(monkeypatch):
    def invalid(header):
        raise tokens.InvalidToken("expired")

    monkeypatch.setattr(tokens, "claims", invalid)

    with pytest.raises(Exception, match="^Unauthorized$"):
        authorizer.handler({"authorizationToken": "x", "methodArn": "arn:aws:execute-api:r:1:a/v1/GET/me"}, FakeLambdaContext())
