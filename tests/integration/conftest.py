"""Integration layer: real handlers, real event shapes, moto in process.

Tables, the user pool and the provisioning state machine are built from
template.yaml and the ASL file themselves; Step Functions really executes the
ASL, and its Lambda invokes are answered by the real identity task handler.
"""
from __future__ import annotations

import os
import time
from typing import Any, Callable

import boto3
import pytest

from infrastructure.aws_events import InProcessInvoke
from tests.support.events import FakeLambdaContext
from tests.support.template import ROOT, create_table, resource

ENV = {
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "RecordsTest",
    "TABLE_NAME": "identity", "INVITATION_MESSAGE_ACTION": "SUPPRESS",
    "PROVISION_USER_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:records-test-provision-user",
}
for _k, _v in ENV.items():
    os.environ[_k] = _v  # before any capability module reads its configuration
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws  # noqa: E402


class LambdaRouter(InProcessInvoke):
    """Answers Step Functions' lambda:invoke with real handlers; lets a test inject faults."""

    def __init__(self) -> None:
        super().__init__(self._run)
        self.handlers: dict[str, Callable[[dict, Any], Any]] = {}
        self.calls: list[dict[str, Any]] = []

    def _run(self, name: str, event: dict[str, Any]) -> Any:
        self.calls.append(event)
        return self.handlers[name](event, FakeLambdaContext())


@pytest.fixture
def aws(monkeypatch):
    """A fresh moto account with identity's and audit's resources from the template."""
    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    with mock_aws(config=config):
        ddb = boto3.client("dynamodb")
        create_table(ddb, "IdentityTable", "identity")
        create_table(ddb, "AuditTable", "audit")
        create_table(ddb, "StacksTable", "stacks")
        create_table(ddb, "CirculationTable", "circulation")
        create_table(ddb, "InventoryTable", "inventory")
        idp = boto3.client("cognito-idp")
        pool_props = resource("UserPool")["Properties"]
        pool_id = idp.create_user_pool(
            PoolName="records-test-staff",
            Schema=[{"Name": a["Name"], "AttributeDataType": a["AttributeDataType"], "Mutable": a.get("Mutable", True)}
                    for a in pool_props["Schema"] if a["Name"] != "email"],
        )["UserPool"]["Id"]
        for logical_id, res in _resources_of_type("AWS::Cognito::UserPoolGroup"):
            idp.create_group(UserPoolId=pool_id, GroupName=res["Properties"]["GroupName"])
        monkeypatch.setenv("USER_POOL_ID", pool_id)

        router = LambdaRouter()
        from identity import tasks
        router.handlers["IdentityTasksFunction"] = tasks.handler
        boto3.setup_default_session()
        boto3.DEFAULT_SESSION.events.register_first("before-send.lambda.Invoke", router)
        sfn = boto3.client("stepfunctions")
        sm = resource("ProvisionUserStateMachine")["Properties"]
        definition = (ROOT / sm["DefinitionUri"]).read_text().replace(
            "${IdentityTasksFunctionArn}", "arn:aws:lambda:us-east-1:123456789012:function:IdentityTasksFunction")
        sfn.create_state_machine(name="records-test-provision-user", definition=definition,
                                 roleArn="arn:aws:iam::123456789012:role/sfn")
        _reset_cached_clients()
        world = AwsWorld(ddb=ddb, idp=idp, pool_id=pool_id, sfn=sfn, router=router)
        yield world
        # Executions run on moto's threads: let them end here, or their calls reach the next test.
        world.wait_until_idle()
        boto3.DEFAULT_SESSION.events.unregister("before-send.lambda.Invoke", router)
    _reset_cached_clients()


def _resources_of_type(kind: str):
    from tests.support.template import template
    return [(k, v) for k, v in template()["Resources"].items() if v["Type"] == kind]


def _reset_cached_clients() -> None:
    from identity.integration import idp, workflows
    from audit.data import history
    for cached in (idp._client, workflows._client, history._ddb):
        cached.cache_clear()


class AwsWorld:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)

    def wait_for_execution(self, name_prefix: str, deadline_s: float = 30.0) -> dict[str, Any]:
        """Poll the execution to a final state (synchronisation with a deadline, not a sleep)."""
        arn = self.sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            runs = [e for e in self.sfn.list_executions(stateMachineArn=arn)["executions"]
                    if e["name"].startswith(name_prefix)]
            if runs and runs[0]["status"] != "RUNNING":
                return self.sfn.describe_execution(executionArn=runs[0]["executionArn"])
            time.sleep(0.02)
        raise AssertionError(f"execution {name_prefix} did not finish within {deadline_s}s")

    def wait_until_idle(self, deadline_s: float = 30.0) -> None:
        end = time.monotonic() + deadline_s
        for machine in self.sfn.list_state_machines()["stateMachines"]:
            arn = machine["stateMachineArn"]
            while self.sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]:
                if time.monotonic() > end:
                    raise AssertionError("executions still running at teardown")
                time.sleep(0.02)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        return self.sfn.get_execution_history(executionArn=execution_arn)["events"]
