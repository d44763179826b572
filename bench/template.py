"""Read template.yaml: functions, their environment (intrinsics resolved to local names), tables.

The bench never hard-codes a function, a table or an environment variable: it takes
them from the template, so a new capability is benchmarked as soon as it is declared.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import json
import pathlib
import re
from typing import Any

from infrastructure import cfn

ROOT = cfn.ROOT
STACK = "records-bench"
REGION = "us-east-1"
ACCOUNT = "123456789012"
PSEUDO = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackName": STACK, "AWS::Partition": "aws",
          "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": None}


template = cfn.template


def resources(type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template()["Resources"].items() if v.get("Type") == type_}


def table_name(logical_id: str) -> str:
    """The local name of a table the template declares."""
    return f"{STACK}-{logical_id}"


# ------------------------------------------------------------ intrinsics
def _ref(name: str) -> Any:
    if name in PSEUDO:
        return PSEUDO[name]
    params = template().get("Parameters", {})
    if name in params:
        return params[name].get("Default")
    resource = template()["Resources"].get(name, {})
    if resource.get("Type") == "AWS::DynamoDB::Table":
        return table_name(name)
    if resource.get("Type") == "AWS::Cognito::UserPool":
        return f"{REGION}_bench{name}"
    return f"{STACK}-{name}"


def _get_att(logical_id: str, attr: str) -> str:
    return f"arn:aws:bench:{REGION}:{ACCOUNT}:{_ref(logical_id)}/{attr}"


def resolve(value: Any) -> Any:
    """Resolve Ref, Sub and GetAtt to local names; other values pass through."""
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return _ref(value["Ref"])
    if set(value) == {"GetAtt"}:
        target = value["GetAtt"]
        logical_id, attr = target.split(".", 1) if isinstance(target, str) else target
        return _get_att(logical_id, attr)
    if set(value) == {"Sub"}:
        text, variables = (value["Sub"], {}) if isinstance(value["Sub"], str) else value["Sub"]
        variables = {k: resolve(v) for k, v in variables.items()}

        def substitute(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] in template()["Resources"]:
                return _get_att(*name.split(".", 1))
            return str(_ref(name))

        return re.sub(r"\$\{([^}]+)\}", substitute, text)
    return {k: resolve(v) for k, v in value.items()}


# -------------------------------------------------------------- functions
@dataclass
class Function:
    logical_id: str
    handler: str  # "package.module.attr"
    code_uri: pathlib.Path
    environment: dict[str, str]
    events: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def attr(self) -> str:
        return self.handler.rsplit(".", 1)[1]

    def event_types(self) -> set[str]:
        return {e.get("Type") for e in self.events.values()}


def functions() -> list[Function]:
    globals_env = ((template().get("Globals", {}).get("Function", {}).get("Environment") or {}).get("Variables") or {})
    found = []
    for logical_id, resource in resources("AWS::Serverless::Function").items():
        props = resource["Properties"]
        env = {**globals_env, **((props.get("Environment") or {}).get("Variables") or {})}
        found.append(Function(
            logical_id=logical_id, handler=props["Handler"], code_uri=ROOT / props["CodeUri"],
            environment={k: str(v) for k, v in ((k, resolve(v)) for k, v in env.items()) if v is not None},
            events=props.get("Events") or {},
        ))
    return found


# ----------------------------------------------------------------- tables
def create_tables(client) -> dict[str, str]:
    """Create every table exactly as the template declares it; return logical id -> local name."""
    created = {}
    for logical_id, resource in resources("AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        kwargs: dict[str, Any] = {"TableName": table_name(logical_id), "BillingMode": "PAY_PER_REQUEST",
                                  "AttributeDefinitions": props["AttributeDefinitions"],
                                  "KeySchema": props["KeySchema"]}
        if props.get("GlobalSecondaryIndexes"):
            kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("StreamSpecification"):
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        client.create_table(**kwargs)
        created[logical_id] = kwargs["TableName"]
    return created


def schedule_input(fn: Function) -> dict[str, Any] | None:
    """The input a Schedule/ScheduleV2 event sends, as the template declares it."""
    for event in fn.events.values():
        if event.get("Type") in ("Schedule", "ScheduleV2"):
            raw = (event.get("Properties") or {}).get("Input")
            return json.loads(raw) if raw else {}
    return None
