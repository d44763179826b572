"""The template as the bench needs it: functions (environment resolved to local names) and tables.

Resolution is the local system's own (infrastructure/local/template.py), so the bench
never hard-codes a function, a table or an environment variable: a new capability is
benchmarked as soon as it is declared.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
import json
import pathlib
from typing import Any

from infrastructure import cfn
from infrastructure.local.template import ACCOUNT_ID as ACCOUNT, REGION, Template

ROOT = cfn.ROOT
# Values AWS assigns on creation (pool ids, stream ARNs); the bench provisions neither, so it names stand-ins.
_DISCOVERED_STAND_INS = {
    "AWS::Cognito::UserPool": ("Ref", lambda t, logical: f"{REGION}_bench{logical}"),
    "AWS::Cognito::UserPoolClient": ("Ref", lambda t, logical: f"bench{logical}"),
    "AWS::DynamoDB::Table": ("StreamArn", lambda t, logical:
                             f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{t.physical_name(logical)}/stream/bench"),
    "AWS::KMS::Key": ("Arn", lambda t, logical: f"arn:aws:kms:{REGION}:{ACCOUNT}:key/bench-{logical}"),
}


@lru_cache(maxsize=1)
def _template() -> Template:
    template = Template(cfn.TEMPLATE, queue_endpoint="http://127.0.0.1:1")
    for kind, (attr, stand_in) in _DISCOVERED_STAND_INS.items():
        for logical in template.of_type(kind):
            template.discovered[(logical, attr)] = stand_in(template, logical)
    return template


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
    return [Function(logical_id=fn.logical_id, handler=fn.handler, code_uri=fn.code_dir,
                     environment=dict(fn.environment), events=fn.events)
            for fn in _template().functions()]


def create_tables(client) -> dict[str, str]:
    """Create every table exactly as the template declares it; return logical id -> local name."""
    created = {}
    for logical_id, props in _template().of_type("AWS::DynamoDB::Table").items():
        created[logical_id] = _template().physical_name(logical_id)
        cfn.create_table(client, props, created[logical_id])
    return created


def schedule_input(fn: Function) -> dict[str, Any] | None:
    """The input a Schedule/ScheduleV2 event sends, as the template declares it."""
    for event in fn.events.values():
        if event.get("Type") in ("Schedule", "ScheduleV2"):
            raw = (event.get("Properties") or {}).get("Input")
            return json.loads(raw) if raw else {}
    return None
