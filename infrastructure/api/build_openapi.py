"""Build the one OpenAPI 3.1 document of the records API (infrastructure/api/openapi.json).

    python -m infrastructure.api.build_openapi          # write the document
    python -m infrastructure.api.build_openapi --check  # exit 1 when the committed file is stale

Nothing here is typed twice, and nothing here names a capability:
- routes, methods and security come from template.yaml's `Api` events (the gateway); each event's
  function `Handler` names the app module (`<cap>.app`) that serves it;
- each operation is what that app declares on `api.route(...)` (shared.http.Operation): operationId
  (the view's name), summary, description (the view's docstring), body and response schemas, status,
  query parameters, If-Match, ETag, Idempotency-Key, the errors its own rules answer;
- component names are what each capability's `schemas` module exports (COMPONENTS, PARAMETERS,
  PATH_PARAMETERS), and shared.pagination's page parameters;
- problem types are every shared.problems.Problem the apps can raise, and the template's gateway responses.
A new capability with Api events in the template is published without an edit here; the contract
tests (tests/contract) prove the declarations against the handlers.
"""
from __future__ import annotations

import argparse
import copy
from dataclasses import dataclass
import importlib
import json
import pathlib
import re
import sys
from types import ModuleType
from typing import Any, Iterator


ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "infrastructure" / "api" / "openapi.json"
API_RESOURCE = "RecordsApi"
LOCAL_URL = "http://127.0.0.1:3000"
PARTNER_TAG = "partner"
VERSION = "1.0.0"


def _importable() -> None:
    """Each function's code root on sys.path, as Lambda does with CodeUri."""
    for code_root in sorted((ROOT / "functions").iterdir()):
        if code_root.is_dir() and str(code_root) not in sys.path:
            sys.path.insert(0, str(code_root))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


_importable()

from infrastructure.cfn import load_template  # noqa: E402
from shared import pagination, problems  # noqa: E402
from shared.auth import ANY_PARTNER, PARTNER_SCOPES  # noqa: E402
from shared.http import MEDIA_TYPES, Api, Operation  # noqa: E402
from shared.idempotency import KEY_PATTERN  # noqa: E402

# --------------------------------------------------------------------------- template


@dataclass(frozen=True)
class Route:
    """One `Api` event of a function in the template."""

    method: str
    path: str
    function: str  # logical id of the AWS::Serverless::Function
    capability: str  # folder under functions/
    module: str  # the handler's module, e.g. identity.app
    security: str | None  # "StaffToken", "PartnerApiKey" or None (open)

    @property
    def package(self) -> str:
        """The capability's package (its `schemas` module sits beside the app)."""
        return self.module.split(".")[0]


def template_routes(template: dict[str, Any] | None = None) -> list[Route]:
    """Every Api event of every function, in template order."""
    template = template or load_template()
    api_auth = template["Resources"][API_RESOURCE]["Properties"].get("Auth", {})
    default_authorizer = api_auth.get("DefaultAuthorizer")
    routes = []
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        for event in (props.get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            event_props = event["Properties"]
            auth = event_props.get("Auth") or {}
            authorizer = auth.get("Authorizer", default_authorizer)
            if auth.get("ApiKeyRequired"):  # a partner route: the partner authorizer checks the client's key
                security = "PartnerApiKey"
            elif authorizer in (api_auth.get("Authorizers") or {}):  # the staff authorizer checks the token
                security = "StaffToken"
            elif authorizer == "NONE":
                security = None
            else:
                raise ValueError(f"{logical_id}: no security scheme for authorizer {authorizer!r}")
            routes.append(Route(
                method=event_props["Method"].upper(), path=event_props["Path"], function=logical_id,
                capability=pathlib.PurePosixPath(props["CodeUri"]).name,
                module=props["Handler"].rsplit(".", 1)[0], security=security))
    return routes


def api_of(module: str) -> Api:
    """The `shared.http.Api` whose Chalice app a template Handler module serves."""
    found = [value for value in vars(importlib.import_module(module)).values() if isinstance(value, Api)]
    if len(found) != 1:
        raise ValueError(f"{module} must define exactly one shared.http.Api (found {len(found)})")
    return found[0]


# --------------------------------------------------------------------------- components


@dataclass
class Components:
    """Named schemas and parameters, by the identity of the dicts the apps declare."""

    schemas: dict[str, dict[str, Any]]
    parameters: dict[str, dict[str, Any]]
    path_parameters: dict[str, dict[str, str]]  # package → path parameter → description

    @classmethod
    def of(cls, packages: list[str]) -> "Components":
        found = cls({"Problem": PROBLEM}, dict(pagination.PARAMETERS), {})
        for package in packages:
            module = importlib.import_module(f"{package}.schemas")
            found.path_parameters[package] = dict(getattr(module, "PATH_PARAMETERS", {}))
            for kind in ("schemas", "parameters"):
                exported = getattr(module, "COMPONENTS" if kind == "schemas" else "PARAMETERS", {})
                published = getattr(found, kind)
                for name, value in exported.items():
                    if name in published and published[name] is not value:
                        raise ValueError(f"{package}.schemas: component {name!r} is already published")
                    published[name] = value
        return found

    def name(self, kind: str, value: dict[str, Any], where: str) -> str:
        names = [name for name, published in getattr(self, kind).items() if published is value]
        if not names:
            raise ValueError(f"{where}: export this {kind[:-1]} by name in its capability's schemas module "
                             f"({'COMPONENTS' if kind == 'schemas' else 'PARAMETERS'})")
        return names[0]


# --------------------------------------------------------------------------- document

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details. `type` is stable and part of the contract; `detail` is for humans.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri", "examples": [problems.PROBLEM_BASE + "validation-failed"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request path that failed."},
        "errors": {
            "type": "array", "description": "The offending fields, when the input was at fault.",
            "items": {"type": "object", "required": ["field", "message"],
                      "properties": {"field": {"type": "string"}, "message": {"type": "string"},
                                     "rule": {"type": "string"}}},
        },
    },
}

REQUEST_HEADERS = {
    "IfMatch": {
        "name": "If-Match", "in": "header", "required": True,
        "description": "The ETag of your last read of this resource. Missing answers 428; stale answers 412.",
        "schema": {"type": "string", "pattern": r'^(W/)?"[0-9]+"$', "examples": ['"3"']}},
    "IdempotencyKey": {
        "name": "Idempotency-Key", "in": "header", "required": False,
        "description": "Makes a retry safe: the same key and body within 24 hours returns the first response "
                       "(with `Idempotent-Replayed: true`); the same key with another body answers 422, and "
                       "while the first request still runs, 409.",
        "schema": {"type": "string", "pattern": KEY_PATTERN.pattern}},
    "CorrelationId": {
        "name": "X-Correlation-Id", "in": "header", "required": False,
        "description": "Carried into logs, domain events and saga steps; generated when absent.",
        "schema": {"type": "string", "maxLength": 128}},
}

RESPONSE_HEADERS = {
    "ETag": {"description": "The entity's version, to send back as `If-Match`.",
             "schema": {"type": "string", "pattern": r'^"[0-9]+"$'}},
    "Location": {"description": "Path of the created resource (of a 202, the one to poll), as the client called "
                             "the API: behind the stage (`/v1`) or a custom domain's base path.",
                 "schema": {"type": "string"}},
    "IdempotentReplayed": {"description": "`true` when this is the stored response of an earlier request "
                                          "with the same Idempotency-Key.",
                           "schema": {"type": "string", "enum": ["true"]}},
    "CorrelationId": {"description": "The request's correlation id.", "schema": {"type": "string"}},
    "RateLimit": {"description": "Partner routes: what is left of the client's quotas, e.g. "
                                 "`\"minute\";r=59;t=12, \"day\";r=9950;t=43212` (IETF httpapi ratelimit-headers "
                                 "draft: r remaining, t seconds to the window's reset).",
                  "schema": {"type": "string"}},
    "RateLimitPolicy": {"description": "Partner routes: the client's quotas, e.g. "
                                       "`\"minute\";q=60;w=60, \"day\";q=10000;w=86400` (q units per w seconds).",
                        "schema": {"type": "string"}},
}

ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is malformed or invalid; nothing was written."),
    401: ("Unauthenticated", "No valid bearer token (staff routes) or API key (partner routes)."),
    403: ("Forbidden", "The caller may not do this."),
    404: ("NotFound", "No such resource in the caller's organisation (other organisations' data is never disclosed)."),
    409: ("Conflict", "The change conflicts with the resource's current state, or a request with the same "
                      "Idempotency-Key is still running."),
    410: ("Gone", "The content is gone for good (destroyed by a destruction run, named in `run_id`); what "
                  "describes it stays readable."),
    412: ("PreconditionFailed", "If-Match does not match the current ETag: read again and retry."),
    413: ("PayloadTooLarge", "The body is larger than the route accepts."),
    415: ("UnsupportedMediaType", "Send the body as application/json."),
    422: ("IdempotencyKeyReused", "The Idempotency-Key was already used with a different request."),
    428: ("PreconditionRequired", "If-Match is required on this route."),
    429: ("TooManyRequests", "The partner client's quota (per minute or per day) is used up: nothing was done; "
                             "`Retry-After` says when to retry, `RateLimit` what is left. Also API Gateway's "
                             "throttle of the partner usage plan."),
    503: ("ServiceUnavailable", "A backing service is busy or unavailable; retry with backoff."),
}

INFO_DESCRIPTION = """\
Records management backend: organisations, users and roles, the audit trail, and (as they land) the
other records capabilities. One REST API in front of one Lambda function per capability.

## Authentication
- **Staff routes** (`StaffToken`): `Authorization: Bearer <Cognito ID token>` of the staff user pool. The
  API's staff authorizer verifies it and takes the caller's status, organisation and current roles from
  identity (a deactivated user or a removed role stops working within a minute); each route then checks
  roles and organisation itself. Another organisation's resources answer 404.
- **Partner routes** (`PartnerApiKey`, tag `partner`): `X-Api-Key: <key>`, an API key of a partner client
  that its organisation's admins registered (`/partners/clients`). The partner authorizer checks the key
  (a revoked key stops within a minute) and counts the call against the client's hard quotas (429 with
  `Retry-After` and `RateLimit` when used up); each route needs one of the client's scopes (403 otherwise).
- Locally (`make run`) a token issuer stands in for Cognito and prints tokens for each demo role.

## Conventions
- Errors are RFC 9457 `application/problem+json` with a stable `type` URI
  (`https://records.example/problems/<slug>`), a human `detail` and, for bad input, `errors[]` naming fields.
- Every entity carries a `version`; reads return it as `ETag`. Changes need `If-Match` (428 when missing,
  412 when stale).
- Creating POSTs accept an `Idempotency-Key`; a retry with the same key never creates twice.
- Lists are pages `{items, next_cursor}`; pass `next_cursor` back as `cursor` until it is null.
- Send `X-Correlation-Id` to follow a request through logs, events and sagas.
"""


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _problem_classes(cls: type[problems.Problem] = problems.Problem) -> Iterator[type[problems.Problem]]:
    """Every Problem the imported apps can raise: shared.problems' own, then those capabilities define."""
    for sub in cls.__subclasses__():
        yield sub
        yield from _problem_classes(sub)


def _problem_types(template: dict[str, Any]) -> dict[int, dict[str, str]]:
    """Problem types (URI → title) by status: the functions' (shared.problems), then the gateway's (template)."""
    types: dict[int, dict[str, str]] = {}
    # shared.problems' own in their order, then the capabilities' by slug: the document must not depend
    # on the order a process happened to import the apps in
    shared_first = sorted(_problem_classes(), key=lambda c: (c.__module__ != problems.__name__,
                                                             "" if c.__module__ == problems.__name__ else c.slug))
    for value in shared_first:
        types.setdefault(value.status, {}).setdefault(problems.PROBLEM_BASE + value.slug, value.title)
    gateway = template["Resources"][API_RESOURCE]["Properties"].get("GatewayResponses", {})
    for response in gateway.values():
        for body in (response.get("ResponseTemplates") or {}).values():
            problem = json.loads(body)
            if problem.get("type"):
                # DEFAULT_5XX keeps the status of the error it stands for; its body names it.
                status = int(response.get("StatusCode") or problem["status"])
                types.setdefault(status, {}).setdefault(problem["type"], problem.get("title", ""))
    return types


def _error_responses(template: dict[str, Any]) -> dict[str, Any]:
    known = _problem_types(template)
    responses = {}
    for status, (name, description) in ERRORS.items():
        kinds = known.get(status, {})
        if not kinds:
            raise ValueError(f"no problem type answers {status}; add one to shared.problems or the template")
        text = description + "\n\nProblem types: " + ", ".join(f"`{t}`" for t in kinds)
        first_type, first_title = next(iter(kinds.items()))
        example = {"type": first_type, "title": first_title, "status": status, "detail": description}
        responses[name] = {
            "description": text,
            "headers": {"X-Correlation-Id": _ref("headers", "CorrelationId")},
            "content": {problems.PROBLEM_CONTENT_TYPE: {"schema": _ref("schemas", "Problem"), "example": example}},
        }
    return responses


PATCH_NOTE = ("Send only the fields to change, with `If-Match` set to the ETag of your last read; "
              "a stale ETag answers 412 and changes nothing.")


def _operation(route: Route, op: Operation, components: Components) -> dict[str, Any]:
    where = f"{route.method} {route.path}"
    descriptions = components.path_parameters.get(route.package, {})
    parameters: list[dict[str, Any]] = []
    for name in re.findall(r"{([^}]+)}", route.path):
        if name not in descriptions:
            raise ValueError(f"{where}: describe path parameter {name!r} in {route.package}.schemas.PATH_PARAMETERS")
        parameters.append({"name": name, "in": "path", "required": True, "description": descriptions[name],
                           "schema": {"type": "string", "minLength": 1}})
    parameters += [_ref("parameters", components.name("parameters", p, where)) for p in op.query]
    if op.if_match:
        parameters.append(_ref("parameters", "IfMatch"))
    if op.idempotent:
        parameters.append(_ref("parameters", "IdempotencyKey"))
    parameters.append(_ref("parameters", "CorrelationId"))

    headers = {"X-Correlation-Id": _ref("headers", "CorrelationId")}
    if op.etag:
        headers["ETag"] = _ref("headers", "ETag")
    if route.security == "PartnerApiKey":
        headers |= {"RateLimit": _ref("headers", "RateLimit"), "RateLimit-Policy": _ref("headers", "RateLimitPolicy")}
    content = {"application/json": {"schema": _ref("schemas", components.name("schemas", op.response, where))}}
    for fmt in op.formats:
        content[MEDIA_TYPES[fmt].split(";")[0]] = {"schema": {"type": "string"}}

    def success(status: int) -> dict[str, Any]:
        """One success response; a route may declare several (Operation.also)."""
        own = dict(headers)
        if status in (201, 202):  # created, or accepted to complete later: the resource to read or poll
            own["Location"] = _ref("headers", "Location")
        if op.idempotent:
            own["Idempotent-Replayed"] = _ref("headers", "IdempotentReplayed")
        return {"description": {200: "OK", 201: "Created", 202: "Accepted; completes asynchronously"}[status],
                "headers": own, "content": content}

    # 400: every route refuses query parameters it does not declare.
    statuses = set(op.errors) | {400, 503}
    if route.security == "StaffToken":
        statuses.add(401)
    elif route.security == "PartnerApiKey":  # no or a bad key 401, a scope the client lacks 403, over quota 429
        statuses |= {401, 403, 429}
    if op.body is not None:
        statuses |= {413, 415}
    if op.if_match:
        statuses |= {412, 428}
    if op.idempotent:
        statuses |= {409, 422}
    responses = {str(status): success(status) for status in op.statuses}
    responses.update({str(s): _ref("responses", ERRORS[s][0]) for s in sorted(statuses)})

    description = op.description
    if route.method == "PATCH":
        description = f"{description} {PATCH_NOTE}".strip()
    security: list[dict[str, list[str]]] = [{route.security: []}] if route.security else []
    if route.security == "PartnerApiKey":
        scopes = [op.partner] if op.partner and op.partner != ANY_PARTNER else []
        security = [{route.security: scopes}]  # OpenAPI 3.1: the roles (here: scopes) the route needs
        description = (f"{description}\n\nPartner scope: `{scopes[0]}`." if scopes else
                       f"{description}\n\nAny partner client may call it.")
    operation: dict[str, Any] = {
        "operationId": op.name, "summary": op.summary, "description": description,
        # partner routes are grouped for partners, whatever capability serves them
        "tags": [PARTNER_TAG if route.security == "PartnerApiKey" else route.capability], "security": security,
        "parameters": parameters,
    }
    if op.body is not None:
        body_schema = _ref("schemas", components.name("schemas", op.body, where))
        content = {"application/json": {"schema": body_schema}}
        if route.method == "PATCH":
            content["application/merge-patch+json"] = {"schema": body_schema}
        for fmt in op.body_formats:  # an upload in another format: the same rows, as text
            content[MEDIA_TYPES[fmt].split(";")[0]] = {"schema": {"type": "string"}}
        operation["requestBody"] = {"required": True, "content": content}
    operation["responses"] = responses
    return operation


def build(template: dict[str, Any] | None = None) -> dict[str, Any]:
    template = template or load_template()
    routes = template_routes(template)
    keys = [(r.method, r.path) for r in routes]
    if len(set(keys)) != len(keys):
        raise ValueError("template.yaml declares a route twice")

    apis = {module: api_of(module) for module in dict.fromkeys(r.module for r in routes)}
    declared = {key: op for api in apis.values() for key, op in api.operations.items()}
    if set(declared) != set(keys):
        raise ValueError(f"routes the template and the apps do not share: {sorted(set(declared) ^ set(keys))}")
    components = Components.of(list(dict.fromkeys(r.package for r in routes)))

    tags: dict[str, str] = {}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if route.security == "PartnerApiKey":
            tags.setdefault(PARTNER_TAG, "For partner systems (other agencies, scanners, sensor gateways, business "
                                         "systems): calls with an API key of a partner client. Scopes: " +
                            "; ".join(f"`{name}` {what}" for name, what in PARTNER_SCOPES.items()) + ".")
        else:
            tags.setdefault(route.capability,
                            template["Resources"][route.function]["Properties"].get("Description", ""))
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(
            route, declared[(route.method, route.path)], components)

    stage = template.get("Parameters", {}).get("Stage", {}).get("Default", "v1")
    return {
        "openapi": "3.1.0",
        "info": {"title": "Records management API", "version": VERSION, "description": INFO_DESCRIPTION},
        "servers": [
            {"url": LOCAL_URL, "description": "The local system (`make run`)."},
            {"url": "https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}",
             "description": "A deployed stack (the `ApiUrl` output).",
             "variables": {"restApiId": {"default": "example", "description": "The RecordsApi id."},
                           "region": {"default": "eu-west-1"},
                           "stage": {"default": stage, "description": "The `Stage` parameter."}}},
        ],
        "tags": [{"name": name, "description": description} for name, description in tags.items()],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "StaffToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                               "description": "Cognito ID token of the staff user pool, checked by the API's "
                                              "staff authorizer (a Lambda TOKEN authorizer owned by identity)."},
                "PartnerApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                                  "description": "API key of a partner client (`rmk_<id>_<secret>`), issued by its "
                                                 "organisation's admins and shown once; checked by the API's "
                                                 "partner authorizer (a Lambda REQUEST authorizer owned by "
                                                 "partners), which also counts the client's quotas."},
            },
            "schemas": copy.deepcopy(components.schemas),
            "parameters": {**copy.deepcopy(components.parameters), **REQUEST_HEADERS},
            "headers": RESPONSE_HEADERS,
            "responses": _error_responses(template),
        },
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed document is stale")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
        if current != text:
            print(f"{DOCUMENT.relative_to(ROOT)} is stale: run `python -m infrastructure.api.build_openapi`",
                  file=sys.stderr)
            return 1
        print(f"{DOCUMENT.relative_to(ROOT)} is up to date")
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
