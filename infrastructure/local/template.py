"""template.yaml, read into what the local system runs.

The template is the single source of truth: this module loads it (CloudFormation
short tags included), resolves intrinsics against a local naming scheme and lists
the functions with their event sources and the API. Nothing here names a resource
of the project, so a new function, table, queue or rule needs no change.

Values only the emulator learns (a table's stream ARN, a user pool's id) are
recorded in `Template.discovered` by provisioning; resolving them earlier fails loudly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import base64
import json
import pathlib
import re
from typing import Any

import yaml

STACK_NAME = "records-local"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"

FUNCTION = "AWS::Serverless::Function"
IMPLICIT_API = "ServerlessRestApi"  # SAM's name for the API of events without RestApiId
_NO_VALUE = object()  # AWS::NoValue: the enclosing key or item disappears

_SHORT_TAGS = ("Ref", "Condition", "GetAtt", "Sub", "Join", "Select", "Split", "If", "Equals", "Not", "And",
               "Or", "FindInMap", "Base64", "GetAZs", "ImportValue", "Cidr")


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags turned into their long forms."""


def _short_tag(tag: str):
    key = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {key: value}

    return construct


for _tag in _SHORT_TAGS:
    _Loader.add_constructor(f"!{_tag}", _short_tag(_tag))


def arn(service: str, resource: str) -> str:
    return f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT_ID}:{resource}"


def unquote(value: Any) -> Any:
    """SAM writes API header values as quoted literals ("'*'")."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


def sam_merge(base: Any, override: Any) -> Any:
    """SAM's Globals rule: maps merge key by key, lists concatenate, scalars are replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = sam_merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        return base + override
    return override


# ------------------------------------------------------------ what runs locally
@dataclass(frozen=True)
class Route:
    """An Api event: one method on one path template of one API."""
    function: str
    event_id: str
    api: str
    path: str
    method: str
    authorizer: str | None  # None: open route (Authorizer: NONE, or an API without authorizers)
    api_key_required: bool


@dataclass(frozen=True)
class QueueSource:
    function: str
    event_id: str
    queue_arn: str
    batch_size: int
    report_failures: bool
    batching_window_s: float = 0.0  # MaximumBatchingWindowInSeconds: gather up to batch_size for this long


@dataclass(frozen=True)
class StreamSource:
    function: str
    event_id: str
    stream_arn: str
    batch_size: int
    max_retries: int  # -1: until the records expire, as in AWS
    bisect: bool
    report_failures: bool
    filters: tuple[dict[str, Any], ...]
    on_failure: str | None


@dataclass(frozen=True)
class Schedule:
    function: str
    event_id: str
    name: str
    expression: str
    input: str | None
    enabled: bool


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: dict[str, str]
    body: str


@dataclass(frozen=True)
class Api:
    logical_id: str
    stage: str
    cors: dict[str, str]  # response headers of a preflight; methods filled in per path when absent
    default_authorizer: str | None
    authorizers: dict[str, dict[str, Any]]  # name → {"pool_arn", "header"}, {"function_arn", "header", "ttl"}
    #                                         or {"function_arn", "type": "REQUEST", "headers", "ttl"}
    api_key_required: bool
    gateway_responses: dict[str, GatewayResponse]
    binary_media_types: tuple[str, ...]
    api_key_source: str = "HEADER"  # AUTHORIZER: the Lambda authorizer names the usage-plan key


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str
    code_dir: pathlib.Path
    handler: str
    environment: dict[str, str]
    timeout: int
    memory: int
    layer_dirs: tuple[pathlib.Path, ...]
    events: dict[str, dict[str, Any]] = field(repr=False)
    reserved_concurrency: int | None = None  # ReservedConcurrentExecutions: a ceiling on its environments


class Template:
    def __init__(self, path: pathlib.Path, *, queue_endpoint: str):
        self.path = pathlib.Path(path).resolve()
        self.root = self.path.parent
        doc = yaml.load(self.path.read_text(encoding="utf-8"), Loader=_Loader)
        self.resources: dict[str, dict[str, Any]] = doc.get("Resources") or {}
        self.globals: dict[str, Any] = doc.get("Globals") or {}
        self.conditions: dict[str, Any] = doc.get("Conditions") or {}
        self.mappings: dict[str, Any] = doc.get("Mappings") or {}
        self.parameters = {name: spec.get("Default") for name, spec in (doc.get("Parameters") or {}).items()}
        self.queue_endpoint = queue_endpoint.rstrip("/")
        self.discovered: dict[tuple[str, str], str] = {}

    # ------------------------------------------------------------- resources
    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        """Raw properties of the resources of these types (whose Condition holds), by logical id."""
        return {logical: res.get("Properties") or {} for logical, res in self.resources.items()
                if res.get("Type") in types and self._condition(res.get("Condition"))}

    def properties(self, logical: str) -> dict[str, Any]:
        return self.resolve(self.resources[logical].get("Properties") or {})

    def physical_name(self, logical: str) -> str:
        """The explicit name if the template gives one, else a stable stack-scoped name."""
        res = self.resources[logical]
        props = res.get("Properties") or {}
        for key in _NAME_PROPERTIES.get(res["Type"], ()):
            if key in props:
                return str(self.resolve(props[key]))
        if res["Type"] == FUNCTION:
            return logical
        if res["Type"] == "AWS::S3::Bucket":  # bucket names are lower case
            return f"{STACK_NAME}-{logical}".lower()
        suffix = ".fifo" if res["Type"] == "AWS::SQS::Queue" and props.get("FifoQueue") else ""
        return f"{STACK_NAME}-{logical}{suffix}"

    # ------------------------------------------------------------- functions
    def functions(self) -> list[Function]:
        found = []
        for logical, raw in self.of_type(FUNCTION).items():
            props = self.resolve(sam_merge(self.globals.get("Function") or {}, raw))
            env = (props.get("Environment") or {}).get("Variables") or {}
            found.append(Function(
                logical_id=logical, name=self.physical_name(logical),
                code_dir=(self.root / props["CodeUri"]).resolve(), handler=props["Handler"],
                environment={k: _env_value(v) for k, v in env.items()},
                timeout=int(props.get("Timeout", 3)), memory=int(props.get("MemorySize", 128)),
                layer_dirs=self._layer_dirs(sam_merge((self.globals.get("Function") or {}).get("Layers", []),
                                                      raw.get("Layers", []))),
                events=props.get("Events") or {},
                reserved_concurrency=(int(props["ReservedConcurrentExecutions"])
                                      if props.get("ReservedConcurrentExecutions") is not None else None),
            ))
        return found

    def _layer_dirs(self, raw_layers: list[Any]) -> tuple[pathlib.Path, ...]:
        """Folders that put this template's own layers on sys.path.

        A layer's ContentUri is the package itself (its build copies it to python/<name>),
        so its parent folder is what makes `import <name>` work, as /opt/python does.
        Layers named by ARN (the opt-in OpenTelemetry layer) have no folder here.
        """
        dirs: list[pathlib.Path] = []
        for layer in raw_layers:
            while isinstance(layer, dict) and "Fn::If" in layer:  # an opt-in layer: take the branch that holds
                condition, if_true, if_false = layer["Fn::If"]
                layer = if_true if self._condition(condition) else if_false
            logical = layer.get("Ref") if isinstance(layer, dict) else None
            res = self.resources.get(logical or "")
            if res and res.get("Type") == "AWS::Serverless::LayerVersion":
                content = self.resolve(res["Properties"]["ContentUri"])
                folder = (self.root / content).resolve().parent
                if folder not in dirs:
                    dirs.append(folder)
        return tuple(dirs)

    def _events(self, *types: str) -> list[tuple[Function, str, dict[str, Any]]]:
        return [(fn, event_id, event.get("Properties") or {}) for fn in self.functions()
                for event_id, event in fn.events.items() if event.get("Type") in types]

    def unsupported_events(self) -> list[str]:
        known = {"Api", "SQS", "DynamoDB", "Schedule", "ScheduleV2"}
        return [f"{fn.logical_id}.{event_id} ({event.get('Type')})" for fn in self.functions()
                for event_id, event in fn.events.items() if event.get("Type") not in known]

    def routes(self) -> list[Route]:
        apis = self.apis()
        routes = []
        for fn in self.functions():
            raw_events = (self.resources[fn.logical_id].get("Properties") or {}).get("Events") or {}
            for event_id, event in fn.events.items():
                if event.get("Type") != "Api":
                    continue
                props = event.get("Properties") or {}
                raw_api = (raw_events[event_id].get("Properties") or {}).get("RestApiId")
                api = apis[raw_api["Ref"] if isinstance(raw_api, dict) else IMPLICIT_API]
                auth = props.get("Auth") or {}
                authorizer = auth.get("Authorizer", api.default_authorizer)
                routes.append(Route(
                    function=fn.logical_id, event_id=event_id, api=api.logical_id, path=props["Path"],
                    method=props["Method"].upper(), authorizer=None if authorizer in (None, "NONE") else authorizer,
                    api_key_required=bool(auth.get("ApiKeyRequired", api.api_key_required)),
                ))
        return routes

    def queue_sources(self) -> list[QueueSource]:
        return [QueueSource(function=fn.logical_id, event_id=event_id, queue_arn=props["Queue"],
                            batch_size=int(props.get("BatchSize", 10)),
                            report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                            batching_window_s=float(props.get("MaximumBatchingWindowInSeconds", 0)))
                for fn, event_id, props in self._events("SQS") if props.get("Enabled", True)]

    def stream_sources(self) -> list[StreamSource]:
        return [StreamSource(
            function=fn.logical_id, event_id=event_id, stream_arn=props["Stream"],
            batch_size=int(props.get("BatchSize", 100)), max_retries=int(props.get("MaximumRetryAttempts", -1)),
            bisect=bool(props.get("BisectBatchOnFunctionError", False)),
            report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
            filters=tuple(_pattern(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters", [])),
            on_failure=((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"),
        ) for fn, event_id, props in self._events("DynamoDB") if props.get("Enabled", True)]

    def schedules(self) -> list[Schedule]:
        found = []
        for fn, event_id, props in self._events("Schedule", "ScheduleV2"):
            state = props.get("State", "ENABLED" if props.get("Enabled", True) else "DISABLED")
            found.append(Schedule(
                function=fn.logical_id, event_id=event_id, name=props.get("Name") or f"{fn.logical_id}{event_id}",
                expression=props.get("ScheduleExpression") or props["Schedule"], input=props.get("Input"),
                enabled=state == "ENABLED",
            ))
        return found

    # ------------------------------------------------------------------- API
    def apis(self) -> dict[str, Api]:
        api_globals = self.globals.get("Api") or {}
        raw_apis = dict(self.of_type("AWS::Serverless::Api"))
        if any((e.get("Properties") or {}).get("RestApiId") is None for _, _, e in self._raw_api_events()):
            raw_apis[IMPLICIT_API] = {"StageName": "Prod"}
        return {logical: self._api(logical, self.resolve(sam_merge(api_globals, raw)))
                for logical, raw in raw_apis.items()}

    def _raw_api_events(self):
        for logical, props in self.of_type(FUNCTION).items():
            for event_id, event in (props.get("Events") or {}).items():
                if event.get("Type") == "Api":
                    yield logical, event_id, event

    def _api(self, logical: str, props: dict[str, Any]) -> Api:
        auth = props.get("Auth") or {}
        authorizers = {}
        for name, spec in (auth.get("Authorizers") or {}).items():
            identity = spec.get("Identity") or {}
            if "UserPoolArn" in spec:
                authorizers[name] = {"pool_arn": spec["UserPoolArn"], "header": identity.get("Header", "Authorization")}
            elif "FunctionArn" in spec and spec.get("FunctionPayloadType", "TOKEN") == "TOKEN":
                # API Gateway caches a Lambda authorizer's answer per token for ReauthorizeEvery s (SAM default 300)
                authorizers[name] = {"function_arn": spec["FunctionArn"], "header": identity.get("Header", "Authorization"),
                                     "ttl": int(identity.get("ReauthorizeEvery", 300))}
            elif "FunctionArn" in spec and spec.get("FunctionPayloadType") == "REQUEST":
                # cached per value of its identity sources (here: headers); ReauthorizeEvery 0 never caches
                authorizers[name] = {"function_arn": spec["FunctionArn"], "type": "REQUEST",
                                     "headers": list(identity.get("Headers") or []),
                                     "ttl": int(identity.get("ReauthorizeEvery", 300))}
        responses = {}
        for kind, spec in (props.get("GatewayResponses") or {}).items():
            templates = spec.get("ResponseTemplates") or {}
            responses[kind] = GatewayResponse(
                status=int(spec.get("StatusCode", 0)),
                headers={k: unquote(v) for k, v in ((spec.get("ResponseParameters") or {}).get("Headers") or {}).items()},
                body=templates.get("application/json", next(iter(templates.values()), "")),
            )
        return Api(
            logical_id=logical, stage=str(props.get("StageName", "Prod")), cors=_cors_headers(props.get("Cors")),
            default_authorizer=auth.get("DefaultAuthorizer"), authorizers=authorizers,
            api_key_required=bool(auth.get("ApiKeyRequired", False)), gateway_responses=responses,
            binary_media_types=tuple(t.replace("~1", "/") for t in props.get("BinaryMediaTypes") or ()),
            api_key_source=str(props.get("ApiKeySourceType", "HEADER")),
        )

    def api_key(self) -> dict[str, str] | None:
        """The first enabled API key the template declares with its value ({"id", "value"}), if any."""
        for logical, props in self.of_type("AWS::ApiGateway::ApiKey").items():
            props = self.resolve(props)
            if props.get("Value") and props.get("Enabled", True):
                return {"id": logical, "value": str(props["Value"])}
        return None

    # ------------------------------------------------------------ intrinsics
    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                (key, arg), = value.items()
                if key == "Ref":
                    return self._ref(arg)
                handler = _FUNCTIONS.get(key)
                if handler:
                    return handler(self, arg)
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not _NO_VALUE}
        if isinstance(value, list):
            return [v for v in map(self.resolve, value) if v is not _NO_VALUE]
        return value

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::StackName": STACK_NAME, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": PARTITION, "AWS::URLSuffix": URL_SUFFIX, "AWS::NoValue": _NO_VALUE,
            "AWS::StackId": arn("cloudformation", f"stack/{STACK_NAME}/local"), "AWS::NotificationARNs": [],
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        res = self.resources.get(name)
        if res is None:
            raise KeyError(f"!Ref {name}: no such parameter or resource")
        kind = res["Type"]
        if kind == "AWS::SQS::Queue":
            return f"{self.queue_endpoint}/{ACCOUNT_ID}/{self.physical_name(name)}"
        if kind in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine",
                    "AWS::Serverless::LayerVersion"):
            return self.get_att(name, "Arn")
        if kind in _NAME_PROPERTIES or kind == FUNCTION:
            return self.physical_name(name)
        if kind == "AWS::Serverless::Api":
            return name.lower()
        return self.discovered.get((name, "Ref"), name)

    def get_att(self, logical: str, attr: str) -> str:
        res = self.resources.get(logical)
        if res is None:
            raise KeyError(f"!GetAtt {logical}.{attr}: no such resource")
        if (logical, attr) in self.discovered:
            return self.discovered[(logical, attr)]
        kind, name = res["Type"], (self.physical_name(logical) if res["Type"] in _NAME_PROPERTIES
                                   or res["Type"] == FUNCTION else logical)
        arns = {
            "AWS::DynamoDB::Table": lambda: arn("dynamodb", f"table/{name}"),
            "AWS::SQS::Queue": lambda: arn("sqs", name),
            FUNCTION: lambda: arn("lambda", f"function:{name}"),
            "AWS::Events::EventBus": lambda: arn("events", f"event-bus/{name}"),
            "AWS::Events::Rule": lambda: arn("events", f"rule/{self._rule_prefix(logical)}{name}"),
            "AWS::Serverless::StateMachine": lambda: arn("states", f"stateMachine:{name}"),
            "AWS::StepFunctions::StateMachine": lambda: arn("states", f"stateMachine:{name}"),
            "AWS::Serverless::LayerVersion": lambda: arn("lambda", f"layer:{logical}:1"),
            "AWS::S3::Bucket": lambda: f"arn:{PARTITION}:s3:::{name}",
            "AWS::Cognito::UserPool": lambda: arn("cognito-idp", f"userpool/{self._discovered(logical, 'Ref')}"),
        }
        if attr == "Arn" and kind in arns:
            return arns[kind]()
        if attr in ("QueueName", "Name") and kind in _NAME_PROPERTIES:
            return name
        if attr == "QueueUrl" and kind == "AWS::SQS::Queue":
            return self._ref(logical)
        if kind == "AWS::Cognito::UserPool" and attr in ("ProviderName", "ProviderURL"):
            provider = f"cognito-idp.{REGION}.{URL_SUFFIX}/{self._discovered(logical, 'Ref')}"
            return provider if attr == "ProviderName" else f"https://{provider}"
        return self._discovered(logical, attr)

    def _discovered(self, logical: str, attr: str) -> str:
        try:
            return self.discovered[(logical, attr)]
        except KeyError:
            raise KeyError(f"{logical}.{attr} is known only once {logical} is provisioned") from None

    def _rule_prefix(self, logical: str) -> str:
        bus = self.resolve((self.resources[logical].get("Properties") or {}).get("EventBusName", "default"))
        return "" if bus == "default" else f"{bus}/"

    def _condition(self, name: str | None) -> bool:
        return True if name is None else bool(self.resolve(self.conditions[name]))

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            if expr in variables:
                return str(variables[expr])
            if "." in expr and not expr.startswith("AWS::"):
                return str(self.get_att(*expr.split(".", 1)))
            return str(self._ref(expr))

        return re.sub(r"\$\{([^}]+)\}", replace, text)


def _select(t: Template, arg: Any) -> Any:
    index, items = t.resolve(arg)
    return items[int(index)]


def _find_in_map(t: Template, arg: Any) -> Any:
    name, key, subkey = t.resolve(arg)
    return t.mappings[name][key][subkey]


def _get_att(t: Template, arg: Any) -> str:
    logical, attr = arg if isinstance(arg, list) else arg.split(".", 1)
    return t.get_att(logical, t.resolve(attr))


_FUNCTIONS = {
    "Fn::GetAtt": _get_att,
    "Fn::Sub": Template._sub,
    "Fn::Join": lambda t, a: str(t.resolve(a[0])).join(str(v) for v in t.resolve(a[1])),
    "Fn::Select": _select,
    "Fn::Split": lambda t, a: str(t.resolve(a[1])).split(t.resolve(a[0])),
    "Fn::If": lambda t, a: t.resolve(a[1] if t._condition(a[0]) else a[2]),
    "Fn::Equals": lambda t, a: str(t.resolve(a[0])) == str(t.resolve(a[1])),
    "Fn::Not": lambda t, a: not t.resolve(a[0]),
    "Fn::And": lambda t, a: all(t.resolve(v) for v in a),
    "Fn::Or": lambda t, a: any(t.resolve(v) for v in a),
    "Condition": lambda t, a: t._condition(a),
    "Fn::FindInMap": _find_in_map,
    "Fn::Base64": lambda t, a: base64.b64encode(str(t.resolve(a)).encode()).decode(),
    "Fn::GetAZs": lambda t, a: [f"{REGION}{z}" for z in "abc"],
}

# Where each type keeps an explicit physical name; these types otherwise get a generated one.
_NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": ("TableName",),
    "AWS::SQS::Queue": ("QueueName",),
    "AWS::Events::EventBus": ("Name",),
    "AWS::Events::Rule": ("Name",),
    "AWS::Serverless::StateMachine": ("Name",),
    "AWS::StepFunctions::StateMachine": ("StateMachineName",),
    "AWS::S3::Bucket": ("BucketName",),
    FUNCTION: ("FunctionName",),
}


def _env_value(value: Any) -> str:
    """Lambda environment values are strings; YAML may have given booleans or numbers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _pattern(value: Any) -> dict[str, Any]:
    """FilterCriteria patterns are JSON text inside the YAML."""
    return json.loads(value) if isinstance(value, str) else value


def _cors_headers(cors: Any) -> dict[str, str]:
    if not cors:
        return {}
    if isinstance(cors, str):
        cors = {"AllowOrigin": cors}
    headers = {
        "Access-Control-Allow-Origin": cors.get("AllowOrigin"),
        "Access-Control-Allow-Headers": cors.get("AllowHeaders"),
        "Access-Control-Allow-Methods": cors.get("AllowMethods"),
        "Access-Control-Max-Age": cors.get("MaxAge"),
        "Access-Control-Allow-Credentials": "true" if cors.get("AllowCredentials") else None,
    }
    return {name: str(unquote(value)) for name, value in headers.items() if value is not None}
