"""Run the functions' handlers in this process against moto (`mock_aws`), counting AWS calls.

Each function's modules are imported with that function's environment from the
template (table names are read at import), and every call runs with it again
(Powertools idempotency reads TABLE_NAME at call time). Cognito and the
provisioning saga start are stubbed: only DynamoDB calls are being counted.
"""
from __future__ import annotations

from contextlib import ExitStack, contextmanager, redirect_stdout
from dataclasses import dataclass, field
import importlib
import io
import json
import os
import sys
import time
from typing import Any, Callable, Iterator
from unittest import mock
import warnings

from bench import events, template as tpl
from bench.counting import counting

# The process-wide settings of an in-process run: dummy credentials, no tracing,
# no EMF on stdout, warnings-only logs (the report is printed on the same stdout).
PROCESS_ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": tpl.REGION,
               "AWS_DEFAULT_REGION": tpl.REGION,
               "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_DEV": "false"}
QUIET = {"LOG_LEVEL": "WARNING", "POWERTOOLS_LOG_LEVEL": "WARNING"}


@dataclass
class Outcome:
    status: int | None
    body: Any
    headers: dict[str, str]
    dynamodb: dict[str, int]
    other_calls: dict[str, int]
    ms: float
    error: str | None = None


@dataclass
class Harness:
    functions: dict[str, tpl.Function]
    modules: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def env_of(self, logical_id: str) -> Iterator[None]:
        """The function's own environment (as in its Lambda) for the duration of the block."""
        wanted = {**self.functions[logical_id].environment, **QUIET,
                  "AWS_LAMBDA_FUNCTION_NAME": logical_id}
        saved = {k: os.environ.get(k) for k in wanted}
        os.environ.update(wanted)
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def load(self, logical_id: str, module: str) -> Any:
        with self.env_of(logical_id):
            self.modules[module] = importlib.import_module(module)
        return self.modules[module]

    def handler(self, logical_id: str) -> Callable[[dict, Any], Any]:
        fn = self.functions[logical_id]
        return getattr(self.load(logical_id, fn.module), fn.attr)

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Outcome:
        return self.call(logical_id, lambda: self.handler(logical_id)(event, events.FakeLambdaContext()))

    def call(self, logical_id: str, action: Callable[[], Any]) -> Outcome:
        """Run `action` in the function's environment; count its AWS calls and time it."""
        error = None
        result: Any = None
        with self.env_of(logical_id), counting() as calls, redirect_stdout(io.StringIO()):
            start = time.perf_counter()
            try:
                result = action()
            except Exception as exc:  # reported in the table, not hidden
                error = f"{type(exc).__name__}: {exc}"[:160]
            ms = (time.perf_counter() - start) * 1000
        status = headers = body = None
        if isinstance(result, dict) and "statusCode" in result:
            status, headers = result["statusCode"], result.get("headers") or {}
            try:
                body = json.loads(result["body"]) if result.get("body") else None
            except ValueError:
                body = result["body"]
        else:
            body = result
        return Outcome(status, body, headers or {}, calls.by_operation("dynamodb"), calls.others("dynamodb"),
                       round(ms, 2), error)


@contextmanager
def harness() -> Iterator[Harness]:
    """moto in process with the template's tables and bus; Cognito and saga starts stubbed."""
    from moto import mock_aws

    functions = {fn.logical_id: fn for fn in tpl.functions()}
    code_roots = sorted({str(fn.code_uri) for fn in functions.values()})
    for path in [str(tpl.ROOT), *code_roots]:
        if path not in sys.path:
            sys.path.insert(0, path)
    with ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, PROCESS_ENV))  # restores the whole environ on exit
        for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
            os.environ.pop(key)  # moto in process only intercepts AWS's own endpoints
        warnings.filterwarnings("ignore")
        # State machines really execute (the shelving section runs the check-out saga).
        stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True},
                                             "lambda": {"use_docker": False}}))
        import boto3

        from infrastructure.moto_atomic import make_dynamodb_atomic
        make_dynamodb_atomic()  # DynamoDB's write atomicity (and no whole-table copy per transaction)
        tpl.create_tables(boto3.client("dynamodb", region_name=tpl.REGION))
        for bus in {fn.environment["EVENT_BUS_NAME"] for fn in functions.values() if "EVENT_BUS_NAME" in fn.environment}:
            boto3.client("events", region_name=tpl.REGION).create_event_bus(Name=bus)
        h = Harness(functions)
        _stub_identity_integrations(h, stack)
        yield h


def _stub_identity_integrations(h: Harness, stack: ExitStack) -> None:
    """The identity provider and the saga start are not DynamoDB: stub them where identity calls them."""
    if "IdentityFunction" not in h.functions:
        return
    h.load("IdentityFunction", "identity.app")
    idp = importlib.import_module("identity.integration.idp")
    workflows = importlib.import_module("identity.integration.workflows")
    for name in ("start_provisioning", "ensure_provisioning"):
        stack.enter_context(mock.patch.object(workflows, name, return_value=True))
    for name, value in (("create_account", True), ("delete_account", True), ("set_groups", None),
                        ("apply_state", None)):
        stack.enter_context(mock.patch.object(idp, name, return_value=value))
