"""infrastructure/scripts/sysadmin.py against moto's Cognito, with the template's pool and clients."""
from __future__ import annotations

import boto3
from botocore.stub import Stubber
import jwt
from moto import mock_aws
import pytest

from infrastructure.scripts import sysadmin
from tests.support.template import resource

PASSWORD = "Operator-Pass-2026"


@pytest.fixture
def pool(monkeypatch):
    """The template's user pool, groups and operator client in a fresh moto account."""
    for key, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        cognito = boto3.client("cognito-idp")
        props = resource("UserPool")["Properties"]
        pool_id = cognito.create_user_pool(
            PoolName="records-test-staff",
            Schema=[{"Name": a["Name"], "AttributeDataType": a["AttributeDataType"], "Mutable": a.get("Mutable", True)}
                    for a in props["Schema"] if a["Name"] != "email"])["UserPool"]["Id"]
        cognito.create_group(UserPoolId=pool_id, GroupName=sysadmin.SYSADMIN_GROUP)
        client = resource("OperatorClient")["Properties"]
        assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName=client["ClientName"], ExplicitAuthFlows=client["ExplicitAuthFlows"],
        )["UserPoolClient"]["ClientId"]
        yield cognito, pool_id, client_id


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_the_first_sysadmin_gets_a_token_carrying_the_group_and_organisation(pool):
    cognito, pool_id, client_id = pool

    sysadmin.create_sysadmin(cognito, pool_id, username="ops-alice", email="alice@example.org",
                             password=PASSWORD, org_id="national-archive")
    claims = _claims(sysadmin.id_token(cognito, pool_id, client_id, username="ops-alice", password=PASSWORD))

    assert claims["cognito:groups"] == ["sysadmin"]
    assert claims["custom:org_id"] == "national-archive"
    user = cognito.admin_get_user(UserPoolId=pool_id, Username="ops-alice")
    assert {"Name": "email", "Value": "alice@example.org"} in user["UserAttributes"]
    assert claims["token_use"] == "id" and claims["aud"] == client_id


def test_creating_again_resets_the_password_and_keeps_one_user(pool):
    cognito, pool_id, client_id = pool
    sysadmin.create_sysadmin(cognito, pool_id, username="ops-alice", email="alice@example.org", password=PASSWORD)

    sysadmin.create_sysadmin(cognito, pool_id, username="ops-alice", email="alice@example.org",
                             password=PASSWORD + "x")

    assert len(cognito.list_users(UserPoolId=pool_id)["Users"]) == 1
    with pytest.raises(sysadmin.OperatorError, match="sign-in refused"):
        sysadmin.id_token(cognito, pool_id, client_id, username="ops-alice", password=PASSWORD)
    assert sysadmin.id_token(cognito, pool_id, client_id, username="ops-alice", password=PASSWORD + "x")


def test_the_command_reads_the_stack_outputs_and_prints_only_the_token(pool, monkeypatch, capsys):
    cognito, pool_id, client_id = pool
    outputs = {"UserPoolId": pool_id, "OperatorClientId": client_id, "ApiUrl": "https://x"}
    monkeypatch.setattr(sysadmin, "stack_outputs", lambda name: outputs if name == "records-prod" else {})
    monkeypatch.setenv(sysadmin.PASSWORD_ENV, PASSWORD)

    assert sysadmin.main(["create", "--stack-name", "records-prod", "--username", "ops-bob",
                          "--email", "bob@example.org"]) == 0
    created = capsys.readouterr()
    assert sysadmin.main(["token", "--stack-name", "records-prod", "--username", "ops-bob"]) == 0
    again = capsys.readouterr()

    assert _claims(created.out.strip())["cognito:groups"] == ["sysadmin"] and "ops-bob" in created.err
    assert _claims(again.out.strip())["cognito:username"] == "ops-bob"
    assert sysadmin.main(["token", "--stack-name", "old-stack", "--username", "ops-bob"]) == 1
    assert "OperatorClientId" in capsys.readouterr().err


def test_stack_outputs_are_read_by_key():
    cloudformation = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x",
                                  aws_secret_access_key="x")
    with Stubber(cloudformation) as stub:
        stub.add_response("describe_stacks", {"Stacks": [{
            "StackName": "records-prod", "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": "CREATE_COMPLETE",
            "Outputs": [{"OutputKey": "UserPoolId", "OutputValue": "pool"},
                        {"OutputKey": "OperatorClientId", "OutputValue": "client"}]}]},
            {"StackName": "records-prod"})
        outputs = sysadmin.stack_outputs("records-prod", cloudformation)

    assert sysadmin.pool_and_client(outputs) == ("pool", "client")
