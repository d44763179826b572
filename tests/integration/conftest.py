"""Integration layer: real handlers, real event shapes, moto in process.

One moto world per test process (`aws_world`, scoped to this package: it ends with the
layer, so later layers in the same process run without moto patched in): the tables, the
user pool and every state machine are built once from template.yaml and the ASL files;
Step Functions really executes the ASL, and its Lambda invokes are answered by the real
task handlers. Building it costs seconds (a user pool, clients, the backends' first
calls); emptying the tables costs milliseconds, so each test (`aws`) starts from empty
tables in that one world and waits for the executions it started before the next begins.
"""
from __future__ import annotations

import os
import time
from typing import Any, Callable

import boto3
import pytest

from infrastructure.aws_events import InProcessInvoke
from tests.support.events import FakeLambdaContext
from tests.support.template import ROOT, create_table, resource, template

ENV = {
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_METRICS_NAMESPACE": "RecordsTest",
    "TABLE_NAME": "identity", "INVITATION_MESSAGE_ACTION": "SUPPRESS",
    "PROVISION_USER_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:records-test-provision-user",
}
for _k, _v in ENV.items():
    os.environ[_k] = _v  # before any capability module reads its configuration
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws  # noqa: E402

from infrastructure.moto_atomic import make_dynamodb_atomic  # noqa: E402

TABLES = {"IdentityTable": "identity", "AuditTable": "audit", "StacksTable": "stacks",
          "CirculationTable": "circulation", "InventoryTable": "inventory", "PartnersTable": "partners"}
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
# each state machine (named records-test-<short name>) and its logical id in template.yaml
MACHINES = {"provision-user": "ProvisionUserStateMachine", "check-out": "CheckOutStateMachine",
            "return": "ReturnStateMachine", "stock-take": "StockTakeStateMachine",
            "transfer-package": "TransferPackageStateMachine", "transfer-accept": "TransferAcceptStateMachine"}


class LambdaRouter(InProcessInvoke):
    """Answers Step Functions' lambda:invoke with real handlers; lets a test inject faults."""

    def __init__(self) -> None:
        super().__init__(self._run)
        self.handlers: dict[str, Callable[[dict, Any], Any]] = {}
        self.calls: list[dict[str, Any]] = []

    def _run(self, name: str, event: dict[str, Any]) -> Any:
        self.calls.append(event)
        return self.handlers[name](event, FakeLambdaContext())


@pytest.fixture(scope="package")
def aws_world():
    """The moto account of this test process, with every resource the handlers use, built from the template."""
    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    with mock_aws(config=config), pytest.MonkeyPatch.context() as env:
        # DynamoDB's guarantees for every test, not only stacks' and inventory's: without them moto's
        # transactions race (two of eight concurrent deactivations with one ETag both succeeded).
        make_dynamodb_atomic(env.setattr)
        ddb = boto3.client("dynamodb")
        for logical_id, name in TABLES.items():
            create_table(ddb, logical_id, name)
        idp = boto3.client("cognito-idp")
        pool_props = resource("UserPool")["Properties"]
        pool_id = idp.create_user_pool(
            PoolName="records-test-staff",
            Schema=[{"Name": a["Name"], "AttributeDataType": a["AttributeDataType"], "Mutable": a.get("Mutable", True)}
                    for a in pool_props["Schema"] if a["Name"] != "email"],
        )["UserPool"]["Id"]
        for logical_id, res in _resources_of_type("AWS::Cognito::UserPoolGroup"):
            idp.create_group(UserPoolId=pool_id, GroupName=res["Properties"]["GroupName"])
        env.setenv("USER_POOL_ID", pool_id)

        router = LambdaRouter()
        boto3.setup_default_session()
        boto3.DEFAULT_SESSION.events.register_first("before-send.lambda.Invoke", router)
        sfn = boto3.client("stepfunctions")
        machine_arns = {short: _create_machine(sfn, f"records-test-{short}", logical_id)
                        for short, logical_id in MACHINES.items()}
        _reset_cached_clients()
        yield AwsWorld(ddb=ddb, idp=idp, pool_id=pool_id, sfn=sfn, router=router, machine_arns=machine_arns)
        boto3.DEFAULT_SESSION.events.unregister("before-send.lambda.Invoke", router)
    _reset_cached_clients()


@pytest.fixture
def aws(aws_world):
    """The process's moto world with empty tables; identity's task handler answers provisioning."""
    from identity import tasks
    aws_world.router.handlers.clear()
    aws_world.router.handlers["IdentityTasksFunction"] = tasks.handler
    aws_world.router.calls.clear()
    for logical_id, name in TABLES.items():
        aws_world.ddb.delete_table(TableName=name)
        create_table(aws_world.ddb, logical_id, name)
    yield aws_world
    # Executions run on moto's threads: let them end here, or their calls reach the next test.
    aws_world.wait_until_idle()


@pytest.fixture
def dynamodb_calls(monkeypatch) -> list[str]:
    """The DynamoDB operations made from here on, in order (what a batch costs)."""
    import botocore.client

    made, original = [], botocore.client.BaseClient._make_api_call

    def counted(client, operation, params):
        if client.meta.service_model.service_name == "dynamodb":
            made.append(operation)
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)
    return made


def _create_machine(sfn, name: str, logical_id: str) -> str:
    """A state machine from its ASL file, each task's Lambda ARN substituted as the template does."""
    props = resource(logical_id)["Properties"]
    definition = (ROOT / props["DefinitionUri"]).read_text()
    for variable in props.get("DefinitionSubstitutions") or {}:
        definition = definition.replace("${" + variable + "}", FUNCTION_ARN + variable.removesuffix("Arn"))
    return sfn.create_state_machine(name=name, definition=definition,
                                    roleArn="arn:aws:iam::123456789012:role/sfn")["stateMachineArn"]


def _resources_of_type(kind: str):
    return [(k, v) for k, v in template()["Resources"].items() if v["Type"] == kind]


def _reset_cached_clients() -> None:
    from identity.integration import idp, workflows
    for cached in (idp._client, workflows._client):
        cached.cache_clear()


class AwsWorld:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)

    def wait_for_execution(self, name_prefix: str, deadline_s: float = 30.0) -> dict[str, Any]:
        """Poll the execution to a final state (synchronisation with a deadline, not a sleep)."""
        arn = self.machine_arns["provision-user"]
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            runs = [e for e in self.executions(arn) if e["name"].startswith(name_prefix)]
            if runs and runs[0]["status"] != "RUNNING":
                return self.sfn.describe_execution(executionArn=runs[0]["executionArn"])
            time.sleep(0.02)
        raise AssertionError(f"execution {name_prefix} did not finish within {deadline_s}s")

    def executions(self, machine_arn: str) -> list[dict[str, Any]]:
        """Every execution of the machine, newest first (the world's machines keep earlier tests' runs)."""
        pages = self.sfn.get_paginator("list_executions").paginate(stateMachineArn=machine_arn)
        return [e for page in pages for e in page["executions"]]

    def wait_until_idle(self, deadline_s: float = 30.0) -> None:
        end = time.monotonic() + deadline_s
        for arn in self.machine_arns.values():
            while self.sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]:
                if time.monotonic() > end:
                    raise AssertionError("executions still running at teardown")
                time.sleep(0.02)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        return self.sfn.get_execution_history(executionArn=execution_arn)["events"]
