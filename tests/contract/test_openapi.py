"""The published OpenAPI document tells the truth about the API.

GIVEN infrastructure/api/openapi.json, template.yaml and every capability's Chalice app
THEN the document is current, valid OpenAPI 3.1, declares exactly the template's routes
(which are exactly the apps' routes), with the template's security, and publishes the
very request schemas, query parameters and headers the handlers use: what each route
declares on `api.route(...)` is what its view reads, and an undeclared query parameter
is refused by the real handler.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
import importlib
import inspect
import json
import pathlib
import re
from typing import Any, Iterator, Mapping

from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
import pytest

from infrastructure.api import build_openapi as builder
from shared.auth import ANY_PARTNER, PARTNER_SCOPES, Caller, Partner
from shared.http import Api, Operation
from tests.support.events import FakeLambdaContext, api_event, claims, partner
from tests.support.template import template

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCUMENT = json.loads(builder.DOCUMENT.read_text(encoding="utf-8"))
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


# ----------------------------------------------------------------- the three sources
def document_operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {(method.upper(), path): op for path, item in DOCUMENT["paths"].items()
            for method, op in item.items() if method in METHODS}


@dataclass(frozen=True)
class TemplateRoute:
    function: str
    partner: bool  # the partner authorizer + ApiKeyRequired; every other route uses the staff authorizer


def template_routes() -> dict[tuple[str, str], TemplateRoute]:
    """Read straight from template.yaml (not through the builder), so the builder is checked too."""
    routes: dict[tuple[str, str], TemplateRoute] = {}
    for logical_id, resource in template()["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            props = event["Properties"]
            auth = props.get("Auth") or {}
            key = (props["Method"].upper(), props["Path"])
            assert key not in routes, f"template.yaml declares {key} twice"
            partner = auth.get("Authorizer") not in (None, "NONE") and bool(auth.get("ApiKeyRequired"))
            routes[key] = TemplateRoute(logical_id, partner)
    return routes


def capability_apps() -> dict[str, Any]:
    """Every functions/<cap>/<cap>/app.py that defines a Chalice app, imported as Lambda would."""
    apps = {}
    for code_root in sorted((ROOT / "functions").iterdir()):
        if (code_root / code_root.name / "app.py").is_file():
            module = importlib.import_module(f"{code_root.name}.app")
            app = getattr(module, "app", None)
            if app is not None and hasattr(app, "routes"):
                apps[code_root.name] = module
    return apps


def declared(capability: str, key: tuple[str, str]) -> Operation:
    """What the route declares on `api.route(...)`."""
    apis = [v for v in vars(capability_apps()[capability]).values() if isinstance(v, Api)]
    assert len(apis) == 1, f"{capability}.app defines {len(apis)} shared.http.Api"
    return apis[0].operations[key]


def chalice_routes() -> dict[tuple[str, str], tuple[str, Any]]:
    """(METHOD, path) → (capability, chalice RouteEntry), across every capability."""
    routes: dict[tuple[str, str], tuple[str, Any]] = {}
    for capability, module in capability_apps().items():
        for path, methods in module.app.routes.items():
            for method, entry in methods.items():
                assert (method, path) not in routes, f"{method} {path} is declared by two capabilities"
                routes[(method, path)] = (capability, entry)
    return routes


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        kind, name = node["$ref"].removeprefix("#/components/").split("/")
        node = DOCUMENT["components"][kind][name]
    return node


def parameters(op: dict[str, Any], where: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in map(resolve, op.get("parameters", [])) if p["in"] == where}


def request_schema(op: dict[str, Any]) -> dict[str, Any] | None:
    body = op.get("requestBody")
    return resolve(body["content"]["application/json"]["schema"]) if body else None


# ----------------------------------------------------------------- (a) kept in step
def test_committed_document_is_what_the_builder_generates():
    assert builder.main(["--check"]) == 0, "openapi.json is stale: run `python -m infrastructure.api.build_openapi`"


# ----------------------------------------------------------------- (b) same routes everywhere
def test_document_template_and_apps_declare_the_same_routes():
    documented, declared, served = set(document_operations()), set(template_routes()), set(chalice_routes())
    assert documented - declared == set(), "documented but not in template.yaml"
    assert declared - documented == set(), "in template.yaml but not documented"
    assert served - declared == set(), "served by a Chalice app but not routed by template.yaml"
    assert declared - served == set(), "routed by template.yaml but no Chalice app serves it"


def test_the_builder_names_no_capability():
    """A capability is published from its template events, its app's declarations and its schemas
    module: the builder imports, names and lists none of them."""
    tree = ast.parse(pathlib.Path(builder.__file__).read_text(encoding="utf-8"))
    named = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    named |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    named |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    named |= {node.value.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " not in node.value}
    assert named.isdisjoint(capability_apps()), named & set(capability_apps())


def test_local_only_routes_are_not_published():
    assert not [p for p in DOCUMENT["paths"] if p.startswith("/_local") or p in ("/openapi.json", "/docs")]


def test_operation_ids_are_the_view_names_of_the_function_the_template_routes_to():
    served, declared = chalice_routes(), template_routes()
    resources = template()["Resources"]
    for key, op in document_operations().items():
        capability, entry = served[key]
        assert op["operationId"] == entry.view_name, key
        handler = resources[declared[key].function]["Properties"]["Handler"]
        assert handler.startswith(f"{capability}.app."), f"{key} is routed to {handler}, served by {capability}"
        # partner routes are grouped for partners, whichever capability serves them
        assert op["tags"] == (["partner"] if declared[key].partner else [capability]), key
    ids = [op["operationId"] for op in document_operations().values()]
    assert len(ids) == len(set(ids))


# ----------------------------------------------------------------- (c) valid OpenAPI 3.1
def test_document_is_valid_openapi_3_1():
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate_openapi(DOCUMENT, cls=OpenAPIV31SpecValidator)


def test_every_4xx_and_5xx_answer_is_a_problem_document():
    for key, op in document_operations().items():
        for status, response in op["responses"].items():
            if int(status) >= 400:
                content = resolve(response)["content"]
                assert list(content) == ["application/problem+json"], (key, status)
                assert resolve(content["application/problem+json"]["schema"]) is DOCUMENT["components"]["schemas"]["Problem"]


# ----------------------------------------------------------------- (d) security as the template says
def test_security_matches_the_template():
    declared = template_routes()
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["StaffToken"] == {**schemes["StaffToken"], "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["PartnerApiKey"] == {**schemes["PartnerApiKey"], "type": "apiKey", "in": "header", "name": "X-Api-Key"}
    served = chalice_routes()
    for key, op in document_operations().items():
        expected = "PartnerApiKey" if declared[key].partner else "StaffToken"
        if expected == "StaffToken":  # the staff authorizer refuses a missing or bad token with 401
            assert op["security"] == [{expected: []}], key
            assert "401" in op["responses"], key
        else:  # the partner authorizer refuses a missing or bad key with 401; a missing scope is 403, a full quota 429
            scope = declared_op(*served[key], key).partner
            assert op["security"] == [{expected: [] if scope == ANY_PARTNER else [scope]}], key
            assert {"401", "403", "429"} <= set(op["responses"]) and op["tags"] == ["partner"], key
            success = str(declared_op(*served[key], key).status)  # 200, or 201/202 (webhooks: subscribe, redeliver)
            assert {"RateLimit", "RateLimit-Policy"} <= set(op["responses"][success]["headers"]), key


def test_only_partner_routes_skip_the_callers_identity():
    """A route the gateway lets through with a partner key must be declared a partner route (with a known scope)
    in its app, and vice versa."""
    routed, served = template_routes(), chalice_routes()
    for key, (capability, _) in served.items():
        assert declared(capability, key).public == routed[key].partner, key
        scope = declared(capability, key).partner
        assert scope is None or scope in PARTNER_SCOPES or scope == ANY_PARTNER, key


def declared_op(capability: str, _entry: Any, key: tuple[str, str]) -> Operation:
    return declared(capability, key)


# ----------------------------------------------------------------- (e) what the handlers really use
class _LogicCalled(Exception):
    """The view got as far as its logic call: everything it reads from the request has been read."""


class _Logic:
    def __getattr__(self, name: str):
        def call(*_: Any, **__: Any):
            raise _LogicCalled(name)
        return call


class _ReadQuery(Mapping[str, Any]):
    """The validated query a view sees (every declared parameter absent), recording which it reads."""

    def __init__(self, names: list[str]) -> None:
        self.names, self.read = names, set()

    def __getitem__(self, name: str) -> Any:
        assert name in self.names, f"the view reads query parameter {name!r} without declaring it"
        self.read.add(name)
        return None

    def __iter__(self) -> Iterator[str]:  # dict(ctx.query): the view hands every parameter on
        self.read.update(self.names)
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


@dataclass
class ProbeContext:
    """A RequestContext stand-in recording what a view reads from the request."""

    query: _ReadQuery
    raw_query: dict[str, str] = field(default_factory=dict)
    bodies: int = 0
    headers: set[str] = field(default_factory=set)
    lambda_context: Any = None  # the function's context (a bulk call reads its remaining time)

    def json(self) -> dict[str, Any]:
        self.bodies += 1
        return {}

    def rows(self) -> list[dict[str, Any]]:  # an upload's rows (routes with body_formats)
        self.bodies += 1
        return []

    def media_type(self) -> str:
        self.headers.add("content-type")
        return "application/json"

    def header(self, name: str) -> str:
        self.headers.add(name.lower())
        return '"1"'

    def expected_version(self) -> int:
        self.headers.add("if-match")
        return 1

    def require_caller(self) -> Caller:
        return Caller(user_id="probe", org_id="probe", roles=frozenset({"sysadmin", "admin", "auditor"}))

    def require_partner(self) -> Partner:
        return Partner(client_id="probe", org_id="probe", scopes=frozenset(PARTNER_SCOPES))


def _probe(monkeypatch, capability: str, entry, op: Operation) -> ProbeContext:
    module = capability_apps()[capability]
    monkeypatch.setattr(module, "logic", _Logic())
    view = inspect.unwrap(entry.view_function)
    ctx = ProbeContext(_ReadQuery([p["name"] for p in op.query]))
    with pytest.raises(_LogicCalled):
        view(ctx, **{name: "probe" for name in entry.view_args})
    return ctx


def _refuses_an_undeclared_query_parameter(capability: str, key: tuple[str, str], op: Operation) -> bool:
    """Call the real handler with one parameter too many: it answers 400 before the view runs."""
    method, path = key
    names = re.findall(r"{(\w+)}", path)
    event = api_event(method, path, path_params={n: "probe" for n in names}, query={"undeclared": "1"},
                      claims=None if op.public else claims("probe", "probe", ["admin"]),
                      partner=partner("probe", "probe", list(PARTNER_SCOPES)) if op.public else None)
    response = capability_apps()[capability].app(event, FakeLambdaContext())
    problem = json.loads(response["body"])
    return response["statusCode"] == 400 and problem["errors"][0]["field"] == "undeclared"


@pytest.mark.parametrize("key", sorted(template_routes()), ids=lambda k: f"{k[0]} {k[1]}")
def test_document_publishes_what_the_handler_reads(monkeypatch, key):
    capability, entry = chalice_routes()[key]
    op = document_operations()[key]
    route = declared(capability, key)
    ctx = _probe(monkeypatch, capability, entry, route)

    # The request body schema is the very one the handler validates with, read exactly where declared.
    assert request_schema(op) == route.body
    assert ctx.bodies == (1 if route.body is not None else 0)
    if route.body is not None:
        assert op["requestBody"]["required"] is True
        assert {"400", "413", "415"} <= set(op["responses"])

    # Query parameters: exactly those the route declares and its view reads; any other answers 400.
    assert set(parameters(op, "query")) == {p["name"] for p in route.query} == ctx.query.read
    assert _refuses_an_undeclared_query_parameter(capability, key, route)
    assert "400" in op["responses"]

    # Path parameters: exactly the route's.
    assert set(parameters(op, "path")) == set(entry.view_args)
    assert all(p["required"] for p in parameters(op, "path").values())

    # If-Match: required exactly where the handler reads it.
    headers = parameters(op, "header")
    reads_if_match = "if-match" in ctx.headers
    assert ("If-Match" in headers) == reads_if_match == route.if_match
    if reads_if_match:
        assert headers["If-Match"]["required"] is True
        assert {"412", "428"} <= set(op["responses"])

    # Idempotency-Key: optional, exactly on the routes declared idempotent.
    assert ("Idempotency-Key" in headers) == route.idempotent
    if route.idempotent:
        assert headers["Idempotency-Key"]["required"] is False
        assert {"409", "422"} <= set(op["responses"])
    assert headers["X-Correlation-Id"]["required"] is False
