"""infrastructure/scripts/sysadmin.py against moto's Cognito, with the template's pool and operator client.

Identity's bootstrap job is stood in for by a fake that does what its provisioning saga does
to the identity provider (the account, its organisation attribute, its groups).
"""
from __future__ import annotations

import boto3
from botocore.stub import Stubber
import jwt
from moto import mock_aws
import pytest

from infrastructure.scripts import sysadmin
from tests.support.template import resource, template

PASSWORD = "Operator-Pass-2026"
ORG = {"id": "national-archive", "name": "National Archive", "type": "permanent_archive"}
ALICE = {"id": "ops-alice", "email": "alice@example.org", "display_name": "Alice Operator"}


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
        for role in ("admin", sysadmin.SYSADMIN_GROUP):
            cognito.create_group(UserPoolId=pool_id, GroupName=role)
        client = resource("OperatorClient")["Properties"]
        assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName=client["ClientName"], ExplicitAuthFlows=client["ExplicitAuthFlows"],
        )["UserPoolClient"]["ClientId"]
        yield cognito, pool_id, client_id


class FakeIdentity:
    """Identity's bootstrap job as the identity provider sees it: the saga's account and groups."""

    def __init__(self, cognito, pool_id):
        self.cognito, self.pool_id, self.events = cognito, pool_id, []

    def __call__(self, event):
        self.events.append(event)
        for user in event["users"]:
            try:
                self.cognito.admin_create_user(UserPoolId=self.pool_id, Username=user["id"], MessageAction="SUPPRESS",
                                               UserAttributes=[{"Name": "email", "Value": user["email"]},
                                                               {"Name": "custom:org_id", "Value": user["org_id"]}])
            except self.cognito.exceptions.UsernameExistsException:
                continue
            for role in user["roles"]:
                self.cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=user["id"], GroupName=role)
        return {"organisations": [o["id"] for o in event["organisations"]], "users": [u["id"] for u in event["users"]]}


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_bootstrap_asks_identity_for_the_organisation_and_its_sysadmin(pool):
    cognito, pool_id, _ = pool
    identity = FakeIdentity(cognito, pool_id)

    sysadmin.bootstrap(identity, org=ORG, user=ALICE)

    assert identity.events == [{"job": "bootstrap", "organisations": [ORG], "users": [
        {**ALICE, "org_id": "national-archive", "roles": ["admin", "sysadmin"]}]}]
    assert sysadmin.account_ready(cognito, pool_id, "ops-alice")
    assert not sysadmin.account_ready(cognito, pool_id, "ops-nobody")


def test_the_sysadmins_token_carries_the_group_and_organisation(pool):
    cognito, pool_id, client_id = pool
    sysadmin.bootstrap(FakeIdentity(cognito, pool_id), org=ORG, user=ALICE)

    sysadmin.set_password(cognito, pool_id, "ops-alice", PASSWORD)
    claims = _claims(sysadmin.id_token(cognito, pool_id, client_id, username="ops-alice", password=PASSWORD))

    assert "sysadmin" in claims["cognito:groups"] and claims["custom:org_id"] == "national-archive"
    assert claims["token_use"] == "id" and claims["aud"] == client_id
    with pytest.raises(sysadmin.OperatorError, match="sign-in refused"):
        sysadmin.id_token(cognito, pool_id, client_id, username="ops-alice", password=PASSWORD + "x")


def test_the_command_bootstraps_waits_and_prints_only_the_token(pool, monkeypatch, capsys):
    cognito, pool_id, client_id = pool
    identity = FakeIdentity(cognito, pool_id)
    outputs = {"UserPoolId": pool_id, "OperatorClientId": client_id, "ApiUrl": "https://api.example/v1",
               "IdentityTasksFunctionName": "records-prod-IdentityTasksFunction"}
    monkeypatch.setattr(sysadmin, "stack_outputs", lambda name: outputs)
    monkeypatch.setattr(sysadmin, "lambda_invoker", lambda name: identity if name == outputs[
        "IdentityTasksFunctionName"] else None)
    admitted = []
    monkeypatch.setattr(sysadmin, "admitted", lambda url, token: admitted.append((url, token)) or True)
    monkeypatch.setenv(sysadmin.PASSWORD_ENV, PASSWORD)
    create = ["create", "--stack-name", "records-prod", "--username", "ops-alice", "--email", "alice@example.org",
              "--display-name", "Alice Operator", "--org-id", "national-archive", "--org-name", "National Archive"]

    assert sysadmin.main(create) == 0
    created = capsys.readouterr()
    assert sysadmin.main(create) == 0  # again: the job creates nothing twice, the password is set again
    capsys.readouterr()
    assert sysadmin.main(["token", "--stack-name", "records-prod", "--username", "ops-alice"]) == 0
    again = capsys.readouterr()

    token = created.out.strip()
    assert _claims(token)["cognito:username"] == "ops-alice" and "ops-alice" in created.err
    assert admitted[0] == ("https://api.example/v1", token)
    assert _claims(again.out.strip())["cognito:username"] == "ops-alice"
    assert len(identity.events) == 2 and len(cognito.list_users(UserPoolId=pool_id)["Users"]) == 1


def test_a_stack_without_the_outputs_is_named():
    cloudformation = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x",
                                  aws_secret_access_key="x")
    with Stubber(cloudformation) as stub:
        stack = {"StackName": "records-prod", "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": "CREATE_COMPLETE"}
        stub.add_response("describe_stacks", {"Stacks": [{**stack, "Outputs": [
            {"OutputKey": key, "OutputValue": key.lower()} for key in sysadmin.OUTPUTS]}]}, {"StackName": "records-prod"})
        stub.add_response("describe_stacks", {"Stacks": [{**stack, "Outputs": [
            {"OutputKey": "UserPoolId", "OutputValue": "pool"}]}]}, {"StackName": "records-prod"})
        assert sysadmin.stack_outputs("records-prod", cloudformation)["OperatorClientId"] == "operatorclientid"
        with pytest.raises(sysadmin.OperatorError, match="OperatorClientId"):
            sysadmin.stack_outputs("records-prod", cloudformation)


def test_the_template_gives_the_operator_client_and_the_outputs_the_script_reads():
    parsed = template()
    authorizer_env = next(r["Properties"]["Environment"]["Variables"] for r in parsed["Resources"].values()
                          if "USER_POOL_CLIENT_IDS" in (r.get("Properties", {}).get("Environment") or {}).get(
                              "Variables", {}))
    clients = authorizer_env["USER_POOL_CLIENT_IDS"]
    joined = clients.get("Fn::Join") or clients.get("Join")  # the loader keeps short tags' names
    assert {"Ref": "OperatorClient"} in joined[1] and {"Ref": "UserPoolClient"} in joined[1]
    assert set(sysadmin.OUTPUTS) <= set(parsed["Outputs"])
