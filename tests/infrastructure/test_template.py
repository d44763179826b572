"""template.yaml is deployable and keeps the rules of the house.

Checked without AWS: cfn-lint passes; aws-sam-translator turns the template into
CloudFormation; the state machines' ASL files are sound; every function's code and
handler exist; tables are durable; each function can touch only its own table; queues
feeding functions have dead-letter queues; API routes are unique.

The small ASL validator (`asl_problems`) lives here too, with tests of its own that feed
it broken definitions, so a green run means the checks can actually fail.
"""
from __future__ import annotations

import ast
import copy
import json
import os
import pathlib
import re
from collections import Counter, defaultdict
from functools import lru_cache
from typing import Any, Iterator
from unittest import mock

import pytest
from samtranslator.yaml_helper import yaml_parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
TEMPLATE: dict[str, Any] = yaml_parse(TEMPLATE_PATH.read_text())
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
GLOBAL_FUNCTION = TEMPLATE.get("Globals", {}).get("Function", {})


def _of_type(type_: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in sorted(RESOURCES.items()) if r.get("Type") == type_}


FUNCTIONS = _of_type("AWS::Serverless::Function")
TABLES = _of_type("AWS::DynamoDB::Table")
QUEUES = _of_type("AWS::SQS::Queue")
STATE_MACHINES = _of_type("AWS::Serverless::StateMachine")
APIS = _of_type("AWS::Serverless::Api")


def _props(resource: dict[str, Any]) -> dict[str, Any]:
    return resource.get("Properties") or {}


def _ref_target(value: Any) -> str | None:
    """Logical id named by {"Ref": X} or {"Fn::GetAtt": [X, ...]} (or "X.Attr")."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            if isinstance(target, str):
                return target.split(".", 1)[0]
            if isinstance(target, list) and target:
                return target[0]
    return None


def _logical_ids_in(value: Any, candidates: set[str] | dict) -> set[str]:
    """Every logical id out of `candidates` that `value` refers to: Ref, GetAtt, ${X} in Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        target = _ref_target(value)
        if target in candidates:
            found.add(target)
        for item in value.values():
            found |= _logical_ids_in(item, candidates)
    elif isinstance(value, list):
        for item in value:
            found |= _logical_ids_in(item, candidates)
    elif isinstance(value, str):
        for name in re.findall(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}", value):
            if name in candidates:
                found.add(name)
    return found


def _events(function: dict[str, Any], type_: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, event in sorted((_props(function).get("Events") or {}).items()):
        if event.get("Type") == type_:
            yield name, event.get("Properties") or {}


# --------------------------------------------------------------------------- linting


@lru_cache(maxsize=1)
def _cfn_lint_matches() -> tuple[Any, ...]:
    from cfnlint.api import lint_file

    return tuple(lint_file(TEMPLATE_PATH))


def _describe(matches) -> str:
    return "\n".join(f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches)


def test_cfn_lint_reports_no_errors():
    errors = [m for m in _cfn_lint_matches() if m.rule.severity == "error"]
    assert not errors, _describe(errors)


def test_cfn_lint_reports_no_warnings():
    """`make lint` runs cfn-lint, which exits non-zero on warnings too."""
    warnings = [m for m in _cfn_lint_matches() if m.rule.severity == "warning"]
    assert not warnings, _describe(warnings)


# ----------------------------------------------------------------------- translation


class _NoManagedPolicies:
    """ManagedPolicyLoader stand-in: the real one lists IAM policies over the network."""

    def load(self) -> dict[str, str]:
        return {}


def _as_packaged(template: dict[str, Any]) -> dict[str, Any]:
    """What `sam package` hands to CloudFormation: code in S3, ASL inlined here.

    The translator accepts only s3:// locations; inlining the ASL (rather than pointing
    DefinitionUri at S3) also makes it translate DefinitionSubstitutions for real.
    """
    packaged = copy.deepcopy(template)
    for resource in packaged["Resources"].values():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://artifacts-bucket/{props[key].strip('/')}.zip"
        if isinstance(props.get("DefinitionUri"), str):
            props["Definition"] = json.loads((ROOT / props.pop("DefinitionUri")).read_text())
    return packaged


@lru_cache(maxsize=1)
def translated() -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    # The translator needs a region for pseudo parameters; it makes no AWS call.
    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "eu-west-1"}):
        return transform(_as_packaged(TEMPLATE), {}, _NoManagedPolicies())


def test_sam_translator_translates_the_template():
    resources = translated()["Resources"]
    assert not any(r["Type"].startswith("AWS::Serverless::") for r in resources.values())
    for lid in FUNCTIONS:
        assert resources[lid]["Type"] == "AWS::Lambda::Function"
    for lid in STATE_MACHINES:
        assert resources[lid]["Type"] == "AWS::StepFunctions::StateMachine"
    # Every route is on the declared API: no implicit ServerlessRestApi appeared.
    assert "ServerlessRestApi" not in resources


# ------------------------------------------------------------------- ASL validation

TRANSIENT_LAMBDA_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
)
STATE_TYPES = {"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}
NEEDS_NEXT_OR_END = {"Task", "Pass", "Wait", "Parallel", "Map"}
CATCH_ALL = {"States.ALL", "States.TaskFailed"}


def _transitions(state: dict[str, Any]) -> list[Any]:
    targets = []
    if "Next" in state:
        targets.append(state["Next"])
    if "Default" in state:
        targets.append(state["Default"])
    targets += [rule.get("Next") for rule in state.get("Choices", [])]
    targets += [catcher.get("Next") for catcher in state.get("Catch", [])]
    return targets


def _is_lambda_task(state: dict[str, Any]) -> bool:
    resource = str(state.get("Resource", ""))
    return ":lambda:" in resource or bool(re.fullmatch(r"\$\{\w*Function\w*\}", resource))


def _error_list_problems(where: str, kind: str, entries: list[dict[str, Any]]) -> list[str]:
    problems = []
    for i, entry in enumerate(entries):
        errors = entry.get("ErrorEquals")
        if not errors:
            problems.append(f"{where}: {kind}[{i}] has no ErrorEquals")
        elif "States.ALL" in errors and (len(errors) > 1 or i != len(entries) - 1):
            problems.append(f"{where}: {kind}[{i}]: States.ALL must stand alone and last")
    return problems


def _task_problems(where: str, state: dict[str, Any]) -> list[str]:
    retriers = state.get("Retry") or []
    catchers = state.get("Catch") or []
    problems = _error_list_problems(where, "Retry", retriers)
    problems += _error_list_problems(where, "Catch", catchers)
    if not retriers:
        return problems + [f"{where}: Task without Retry"]
    retried = {error for r in retriers if r.get("MaxAttempts", 3) > 0 for error in r.get("ErrorEquals", [])}
    if _is_lambda_task(state) and "States.ALL" not in retried:
        missing = [e for e in TRANSIENT_LAMBDA_ERRORS if e not in retried]
        if missing:
            problems.append(f"{where}: Lambda task does not retry transient errors {missing}")
    # A step with a Catch is a forward step of a saga: a business rejection must reach
    # the Catch at once (fail fast) instead of being retried.
    if catchers and retried & CATCH_ALL:
        problems.append(
            f"{where}: forward step retries {sorted(retried & CATCH_ALL)}; retry transient errors only"
        )
    # Catch without ResultPath replaces the state's input with the error, and the
    # compensation that follows loses the data it needs to undo the step.
    for i, catcher in enumerate(catchers):
        if catcher.get("ResultPath", "$") == "$":
            problems.append(f"{where}: Catch[{i}] overwrites the input (set ResultPath, e.g. $.error)")
    return problems


def asl_problems(definition: Any, where: str = "") -> list[str]:
    """Structural problems of an ASL definition (recursing into Parallel and Map).

    Not a full ASL validator: it checks what breaks executions or sagas in practice —
    StartAt and every transition (Next, Default, Choices, Catch) name a state, every
    state is reachable, Next/End are used as the state type requires, there is a
    terminal state, and Tasks retry transient errors (Lambda service errors) while
    forward saga steps leave business errors to their Catch.
    """
    if not isinstance(definition, dict) or not isinstance(definition.get("States"), dict) or not definition["States"]:
        return [f"{where or 'definition'}: no States"]
    states: dict[str, Any] = definition["States"]
    problems: list[str] = []
    start = definition.get("StartAt")
    if start not in states:
        problems.append(f"{where or 'definition'}: StartAt {start!r} is not a state")
    for name, state in states.items():
        here = f"{where}{name}"
        type_ = state.get("Type")
        if type_ not in STATE_TYPES:
            problems.append(f"{here}: unknown Type {type_!r}")
            continue
        for target in _transitions(state):
            if target not in states:
                problems.append(f"{here}: transition to unknown state {target!r}")
        if type_ in NEEDS_NEXT_OR_END and ("Next" in state) == (state.get("End") is True):
            problems.append(f"{here}: needs exactly one of Next or End: true")
        if type_ in {"Choice", "Succeed", "Fail"} and ("Next" in state or "End" in state):
            problems.append(f"{here}: a {type_} state takes no Next/End")
        if type_ == "Choice" and not state.get("Choices"):
            problems.append(f"{here}: Choice without Choices")
        if type_ == "Task":
            problems += _task_problems(here, state)
        if type_ == "Parallel":
            branches = state.get("Branches") or []
            if not branches:
                problems.append(f"{here}: Parallel without Branches")
            for i, branch in enumerate(branches):
                problems += asl_problems(branch, f"{here}.Branches[{i}].")
        if type_ == "Map":
            processor = state.get("ItemProcessor") or state.get("Iterator")
            if processor is None:
                problems.append(f"{here}: Map without ItemProcessor")
            else:
                problems += asl_problems(processor, f"{here}.ItemProcessor.")
    if not any(s.get("End") is True or s.get("Type") in {"Succeed", "Fail"} for s in states.values()):
        problems.append(f"{where or 'definition'}: no terminal state")
    reachable: set[str] = set()
    pending = [start] if start in states else []
    while pending:
        name = pending.pop()
        if name in reachable:
            continue
        reachable.add(name)
        pending += [t for t in _transitions(states[name]) if t in states]
    for name in sorted(set(states) - reachable):
        problems.append(f"{where}{name}: unreachable from StartAt")
    return problems


def _lambda_task(**extra: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Retry": [{"ErrorEquals": list(TRANSIENT_LAMBDA_ERRORS), "MaxAttempts": 3}],
        **extra,
    }


def _sound_definition() -> dict[str, Any]:
    return {
        "StartAt": "Step",
        "States": {
            "Step": _lambda_task(
                Next="Done",
                Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Undo"}],
            ),
            "Undo": _lambda_task(Next="Failed"),
            "Done": {"Type": "Succeed"},
            "Failed": {"Type": "Fail", "Error": "X"},
        },
    }


def test_asl_validator_accepts_a_sound_saga():
    assert asl_problems(_sound_definition()) == []


@pytest.mark.parametrize(
    "break_it, expected",
    [
        (lambda d: d.update(StartAt="Nowhere"), "StartAt 'Nowhere'"),
        (lambda d: d["States"]["Step"].update(Next="Nowhere"), "unknown state 'Nowhere'"),
        (lambda d: d["States"]["Step"]["Catch"][0].update(Next="Gone"), "unknown state 'Gone'"),
        (lambda d: d["States"]["Step"].pop("Catch"), "Undo: unreachable"),
        (lambda d: d["States"]["Undo"].pop("Retry"), "Undo: Task without Retry"),
        (
            lambda d: d["States"]["Undo"].update(Retry=[{"ErrorEquals": ["Lambda.ServiceException"]}]),
            "does not retry transient errors",
        ),
        (lambda d: d["States"]["Step"].update(Retry=[{"ErrorEquals": ["States.ALL"]}]), "forward step retries"),
        (lambda d: d["States"]["Step"]["Catch"][0].pop("ResultPath"), "overwrites the input"),
        (lambda d: d["States"]["Undo"].update(End=True), "exactly one of Next or End"),
        (lambda d: d["States"]["Done"].update(Next="Step"), "takes no Next/End"),
        (
            lambda d: d["States"].update(
                Fan={"Type": "Parallel", "End": True, "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass"}}}]}
            ),
            "Fan.Branches[0].A: needs exactly one of Next or End",
        ),
    ],
)
def test_asl_validator_finds_broken_definitions(break_it, expected):
    definition = _sound_definition()
    break_it(definition)
    problems = asl_problems(definition)
    assert any(expected in p for p in problems), problems


# ------------------------------------------------------------------ state machines

PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


def _definition_path(lid: str) -> pathlib.Path:
    uri = _props(STATE_MACHINES[lid]).get("DefinitionUri")
    assert isinstance(uri, str), f"{lid}: DefinitionUri must be a local ASL file under infrastructure/"
    return ROOT / uri


@pytest.mark.parametrize("lid", STATE_MACHINES)
def test_state_machine_definition_is_a_json_file(lid):
    path = _definition_path(lid)
    assert path.is_file(), f"{lid}: {path.relative_to(ROOT)} does not exist"
    assert isinstance(json.loads(path.read_text()), dict)


@pytest.mark.parametrize("lid", STATE_MACHINES)
def test_state_machine_substitutions_match_placeholders(lid):
    placeholders = set(PLACEHOLDER.findall(_definition_path(lid).read_text()))
    substitutions = set(_props(STATE_MACHINES[lid]).get("DefinitionSubstitutions") or {})
    assert placeholders - substitutions == set(), "placeholders without a DefinitionSubstitutions entry"
    assert substitutions - placeholders == set(), "DefinitionSubstitutions entries no placeholder uses"


@pytest.mark.parametrize("lid", STATE_MACHINES)
def test_state_machine_definition_is_sound(lid):
    assert asl_problems(json.loads(_definition_path(lid).read_text())) == []


@pytest.mark.parametrize("lid", STATE_MACHINES)
def test_state_machine_may_invoke_the_functions_it_names(lid):
    props = _props(STATE_MACHINES[lid])
    named = _logical_ids_in(props.get("DefinitionSubstitutions") or {}, FUNCTIONS)
    invocable = {
        _ref_target(policy["LambdaInvokePolicy"].get("FunctionName"))
        for policy in props.get("Policies") or []
        if isinstance(policy, dict) and "LambdaInvokePolicy" in policy
    }
    assert named, f"{lid} names no function of this template"
    assert named <= invocable, f"{lid} lacks LambdaInvokePolicy for {sorted(named - invocable)}"


def _sub_strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Fn::Sub":
                yield item if isinstance(item, str) else item[0]
            else:
                yield from _sub_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _sub_strings(item)


def test_state_machine_arns_built_by_hand_name_real_state_machines():
    """Functions build the saga ARN with !Sub (a !Ref would be a circular dependency)."""
    names = set()
    for sm in STATE_MACHINES.values():
        name = _props(sm).get("Name")
        names |= {name} if isinstance(name, str) else set(_sub_strings(name))
    built = [
        (lid, s.split(":stateMachine:", 1)[1])
        for lid, fn in FUNCTIONS.items()
        for s in _sub_strings(_props(fn))
        if ":stateMachine:" in s
    ]
    wrong = [(lid, name) for lid, name in built if name not in names]
    assert not wrong, f"ARNs naming no state machine (known: {sorted(names)}): {wrong}"


# ------------------------------------------------------------------------ functions


def _handler_location(lid: str) -> tuple[pathlib.Path, str]:
    props = _props(FUNCTIONS[lid])
    module, _, attribute = props["Handler"].rpartition(".")
    return ROOT / props["CodeUri"] / pathlib.Path(*module.split(".")), attribute


@pytest.mark.parametrize("lid", FUNCTIONS)
def test_function_code_uri_is_a_directory(lid):
    code_uri = _props(FUNCTIONS[lid]).get("CodeUri")
    assert isinstance(code_uri, str) and (ROOT / code_uri).is_dir(), f"{lid}: CodeUri {code_uri!r} missing"


@pytest.mark.parametrize("lid", FUNCTIONS)
def test_function_handler_is_defined(lid):
    base, attribute = _handler_location(lid)
    module_file = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
    assert module_file.is_file(), f"{lid}: handler module {base.relative_to(ROOT)}.py does not exist"
    defined = set()
    for node in ast.parse(module_file.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    assert attribute in defined, f"{lid}: {module_file.relative_to(ROOT)} defines no {attribute!r}"


def test_functions_use_the_shared_layer():
    layers = GLOBAL_FUNCTION.get("Layers") or []
    assert {"Ref": "SharedLayer"} in layers
    for lid, fn in FUNCTIONS.items():
        assert "Layers" not in _props(fn) or {"Ref": "SharedLayer"} in _props(fn)["Layers"], lid


# ------------------------------------------------------------------------- tracing

OTEL_PARAMETER = "OpenTelemetryLayerArn"
NO_VALUE = {"Ref": "AWS::NoValue"}


def test_tracing_is_the_platform_s():
    """Lambda active tracing, traced state machines and API stage: no tracing SDK needed in the code."""
    assert GLOBAL_FUNCTION.get("Tracing") == "Active"
    assert not [lid for lid, fn in FUNCTIONS.items() if _props(fn).get("Tracing", "Active") != "Active"]
    assert not [lid for lid, sm in STATE_MACHINES.items() if (_props(sm).get("Tracing") or {}).get("Enabled") is not True]
    assert all(_props(api).get("TracingEnabled") is True for api in APIS.values())


def _opt_in_condition() -> str:
    """The condition that holds when the OpenTelemetry layer ARN is given."""
    spec = TEMPLATE["Parameters"][OTEL_PARAMETER]
    assert spec["Type"] == "String" and spec["Default"] == "", "OpenTelemetry must be opt-in (empty by default)"
    names = [name for name, rule in (TEMPLATE.get("Conditions") or {}).items()
             if rule == {"Fn::Not": [{"Fn::Equals": [{"Ref": OTEL_PARAMETER}, ""]}]}]
    assert len(names) == 1, f"one condition 'the {OTEL_PARAMETER} is not empty' expected"
    return names[0]


def test_open_telemetry_layer_and_its_wrapper_are_opt_in():
    condition = _opt_in_condition()
    assert {"Fn::If": [condition, {"Ref": OTEL_PARAMETER}, NO_VALUE]} in GLOBAL_FUNCTION["Layers"]
    variables = GLOBAL_FUNCTION["Environment"]["Variables"]
    assert variables["AWS_LAMBDA_EXEC_WRAPPER"] == {"Fn::If": [condition, "/opt/otel-instrument", NO_VALUE]}
    for lid, fn in FUNCTIONS.items():  # a function's own value would override the opt-in
        assert "AWS_LAMBDA_EXEC_WRAPPER" not in ((_props(fn).get("Environment") or {}).get("Variables") or {}), lid


def test_open_telemetry_opt_in_survives_translation():
    condition = _opt_in_condition()
    translation = translated()
    assert condition in translation.get("Conditions", {})
    for lid in FUNCTIONS:
        props = translation["Resources"][lid]["Properties"]
        assert props["TracingConfig"] == {"Mode": "Active"}, lid
        assert {"Fn::If": [condition, {"Ref": OTEL_PARAMETER}, NO_VALUE]} in props["Layers"], lid
        assert props["Environment"]["Variables"]["AWS_LAMBDA_EXEC_WRAPPER"]["Fn::If"][0] == condition, lid


_OPT_IN_SAMPLE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  OpenTelemetryLayerArn: {Type: String, Default: ""}
Conditions:
  WithOpenTelemetry: !Not [!Equals [!Ref OpenTelemetryLayerArn, ""]]
Globals:
  Function:
    Layers:
      - !Ref SharedLayer
      - !If [WithOpenTelemetry, !Ref OpenTelemetryLayerArn, !Ref AWS::NoValue]
    Environment:
      Variables:
        AWS_LAMBDA_EXEC_WRAPPER: !If [WithOpenTelemetry, /opt/otel-instrument, !Ref AWS::NoValue]
        KEPT: "yes"
Resources:
  SharedLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: shared/}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: fn/, Handler: app.handler, Runtime: python3.12}
"""


@pytest.mark.parametrize("layer_arn", ["", "arn:aws:lambda:ap-northeast-2:615299751070:layer:AWSOpenTelemetryDistroPython:11"])
def test_local_system_resolves_the_open_telemetry_opt_in(tmp_path, layer_arn):
    """The local system runs functions as the template says, with the layer or without."""
    from infrastructure.local.template import Template

    path = tmp_path / "template.yaml"
    path.write_text(_OPT_IN_SAMPLE)
    template = Template(path, queue_endpoint="http://127.0.0.1:1")
    template.parameters[OTEL_PARAMETER] = layer_arn
    (fn,) = template.functions()
    assert fn.layer_dirs == (tmp_path,)  # the shared layer's folder; an ARN has none locally
    expected = {"KEPT": "yes"} | ({"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument"} if layer_arn else {})
    assert fn.environment == expected


def test_shared_layer_is_built_from_shared_makefile():
    layer = RESOURCES["SharedLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Metadata"]["BuildArchitecture"] == "arm64" == GLOBAL_FUNCTION["Architectures"][0]
    content = ROOT / _props(layer)["ContentUri"]
    assert (content / "__init__.py").is_file()
    assert (content / "requirements.txt").is_file()
    makefile = (content / "Makefile").read_text()
    assert re.search(r"^build-SharedLayer:", makefile, re.MULTILINE), "no build-SharedLayer target"


# ------------------------------------------------------------------- tables, access


@pytest.mark.parametrize("lid", TABLES)
def test_table_is_durable_and_streams(lid):
    props = _props(TABLES[lid])
    assert props.get("BillingMode") == "PAY_PER_REQUEST"
    assert props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is True
    assert props.get("SSESpecification", {}).get("SSEEnabled") is True
    assert props.get("StreamSpecification", {}).get("StreamViewType"), "no stream (the outbox needs one)"


def _own_table(lid: str) -> str | None:
    variables = (_props(FUNCTIONS[lid]).get("Environment") or {}).get("Variables") or {}
    return _ref_target(variables.get("TABLE_NAME")) if "TABLE_NAME" in variables else None


def _role_statements(lid: str) -> list[dict[str, Any]]:
    resources = translated()["Resources"]
    role_ref = _props(FUNCTIONS[lid]).get("Role")
    role = resources[_ref_target(role_ref) if role_ref else f"{lid}Role"]
    statements = []
    for policy in _props(role).get("Policies") or []:
        document_statements = policy["PolicyDocument"]["Statement"]
        statements += document_statements if isinstance(document_statements, list) else [document_statements]
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement.get("Action", [])
    return [action] if isinstance(action, str) else list(action)


@pytest.mark.parametrize("lid", FUNCTIONS)
def test_function_environment_names_only_its_own_table(lid):
    variables = (_props(FUNCTIONS[lid]).get("Environment") or {}).get("Variables") or {}
    table_variables = {name: _logical_ids_in(value, TABLES) for name, value in variables.items()}
    table_variables = {name: tables for name, tables in table_variables.items() if tables}
    assert set(table_variables) <= {"TABLE_NAME"}, f"{lid} is told about other tables: {table_variables}"
    if "TABLE_NAME" in variables:
        assert _own_table(lid) in TABLES, f"{lid}: TABLE_NAME is not a !Ref to a table of this template"


@pytest.mark.parametrize("lid", FUNCTIONS)
def test_function_dynamodb_permissions_cover_only_its_own_table(lid):
    own = _own_table(lid)
    dynamodb_statements = [
        s for s in _role_statements(lid) if any(a.lower().startswith("dynamodb:") for a in _actions(s))
    ]
    if own is None:
        assert not dynamodb_statements, f"{lid} has no TABLE_NAME but DynamoDB permissions"
        return
    assert dynamodb_statements, f"{lid} has TABLE_NAME but no DynamoDB permission"
    for statement in dynamodb_statements:
        named = _logical_ids_in(statement.get("Resource"), TABLES)
        assert named == {own}, f"{lid}: DynamoDB statement on {sorted(named) or statement.get('Resource')}"


# ----------------------------------------------------------------- event sources


def _timeout(lid: str) -> int:
    return _props(FUNCTIONS[lid]).get("Timeout", GLOBAL_FUNCTION.get("Timeout", 3))


SQS_SOURCES = [(lid, name) for lid, fn in FUNCTIONS.items() for name, _ in _events(fn, "SQS")]
STREAM_SOURCES = [(lid, name) for lid, fn in FUNCTIONS.items() for name, _ in _events(fn, "DynamoDB")]


@pytest.mark.parametrize("lid, event", SQS_SOURCES)
def test_sqs_event_source_has_dead_letter_queue(lid, event):
    source = dict(_events(FUNCTIONS[lid], "SQS"))[event]
    queue_id = _ref_target(source.get("Queue"))
    assert queue_id in QUEUES, f"{lid}.{event}: queue is not an AWS::SQS::Queue of this template"
    queue = _props(QUEUES[queue_id])
    redrive = queue.get("RedrivePolicy") or {}
    assert _ref_target(redrive.get("deadLetterTargetArn")) in QUEUES, f"{queue_id} has no dead-letter queue"
    assert 1 <= int(redrive.get("maxReceiveCount", 0)) <= 10
    # AWS guidance: visibility timeout at least six times the function timeout.
    assert int(queue.get("VisibilityTimeout", 30)) >= 6 * _timeout(lid), f"{queue_id} VisibilityTimeout"
    assert "ReportBatchItemFailures" in (source.get("FunctionResponseTypes") or []), "one bad message retries the batch"


@pytest.mark.parametrize("lid, event", STREAM_SOURCES)
def test_stream_event_source_cannot_block_its_shard(lid, event):
    source = dict(_events(FUNCTIONS[lid], "DynamoDB"))[event]
    assert 0 <= int(source.get("MaximumRetryAttempts", -1)) <= 100, "retries forever on a poison record"
    on_failure = ((source.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    assert _ref_target(on_failure) in QUEUES, "failed records are dropped without a trace"
    assert "ReportBatchItemFailures" in (source.get("FunctionResponseTypes") or [])


# ------------------------------------------------------------------------------ API


def _api_routes() -> list[tuple[str, str, str, str]]:
    routes = []
    for lid, fn in FUNCTIONS.items():
        for name, props in _events(fn, "Api"):
            routes.append((f"{lid}.{name}", _ref_target(props.get("RestApiId")), props["Path"], props["Method"].upper()))
    return routes


def test_api_routes_are_on_a_declared_api():
    stray = [(event, api) for event, api, _, _ in _api_routes() if api not in APIS]
    assert not stray, f"routes without RestApiId of an AWS::Serverless::Api (SAM would add an implicit API): {stray}"


def test_api_routes_are_unique():
    """One function per method and path; path parameters compared by position, not name."""
    counts = Counter()
    methods_by_path = defaultdict(set)
    for _, api, path, method in _api_routes():
        shape = re.sub(r"\{[^}]+\}", "{}", path.rstrip("/") or "/")
        counts[(api, shape, method)] += 1
        methods_by_path[(api, shape)].add(method)
    duplicates = [key for key, n in counts.items() if n > 1]
    assert not duplicates, f"routes declared twice: {duplicates}"
    with_any = [key for key, methods in methods_by_path.items() if "ANY" in methods and len(methods) > 1]
    assert not with_any, f"ANY overlaps another method on: {with_any}"


def test_api_path_parameters_agree_between_siblings():
    """API Gateway rejects /a/{id} next to /a/{org_id}/b: one variable name per position."""
    names_at = defaultdict(set)
    for _, api, path, _ in _api_routes():
        segments = path.strip("/").split("/")
        for depth, segment in enumerate(segments):
            if segment.startswith("{"):
                names_at[(api, tuple(segments[:depth]))].add(segment)
    clashes = {"/".join(parent): sorted(names) for (_, parent), names in names_at.items() if len(names) > 1}
    assert not clashes, f"sibling path parameters with different names: {clashes}"
