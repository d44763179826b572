"""Endpoints of the local system only (not in AWS, not in the template).

    GET  /_local/health                 200 once started, while moto and every function can run; else 503;
                                        each function's pool: environments, busy, starting, limit, replaced;
                                        each queue's depth; each read model's and each table stream's lag
                                        (lag.py); status "degraded" while a dead-letter queue holds
                                        messages or a lag passes `--max-lag`
    POST /_local/queues/redrive         move dead letters back to the queues they came from (`make redrive`)
    GET  /_local/event-sources          the stream and queue event sources, and whether each is enabled
    POST /_local/event-sources/<function>.<event id>   {"enabled": false | true}: pause or resume one, as
                                        UpdateEventSourceMapping does (its events wait meanwhile); switching
                                        off answers once no batch is in flight (202 if one still was at 60 s)
    POST /_local/token                  a Cognito ID token for any user, org and roles (the API's
                                        staff authorizer admits it only for a user identity knows
                                        as active, with the roles identity gives them)
    GET  /_local/schedules              the template's schedules
    POST /_local/schedules/<name>/run   fire one now; answers the function's result
    GET  /openapi.json, GET /docs       the API description and a browser UI for it
"""
from __future__ import annotations

import importlib.util
import json
import pathlib
import re
import threading
from typing import Any
import urllib.request

from . import demo
from .gateway import Reply, Request, json_reply, problem
from .lag import Lag
from .queues import Queues
from .schedules import Scheduler
from .tokens import ROLES, TokenIssuer, TokenRefused
from .workers import Workers, WorkerUnavailable

_TOKEN_FIELDS = {"user_id", "email", "org_id", "roles", "demo"}
_RUN = re.compile(r"/_local/schedules/([^/]+)/run")
_EVENT_SOURCE = re.compile(r"/_local/event-sources/([^/]+)")
_DOCS = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>Records API (local)</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", persistAuthorization: true});</script>
</body></html>
"""
# Swagger UI 5 (it reads OpenAPI 3.1; 4.x cannot) comes from a Python package, swagger-ui-py,
# so /docs works with no network. Only its static files are used: importing the package
# would pull in its web-framework glue, so the folder is found without importing it.
_DOCS_ASSETS = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "application/javascript"}


def _docs_asset(name: str) -> Reply:
    spec = importlib.util.find_spec("swagger_ui")  # only when someone opens /docs
    if spec is None or not spec.submodule_search_locations:
        return problem(500, "docs-unavailable", "Docs unavailable", "swagger-ui-py is not installed.")
    path = pathlib.Path(next(iter(spec.submodule_search_locations))) / "static" / name
    return Reply(200, [("Content-Type", f"{_DOCS_ASSETS[name]}; charset=utf-8"),
                       ("Cache-Control", "max-age=86400")], path.read_bytes())


class LocalApi:
    def __init__(self, *, workers: Workers, issuer: TokenIssuer | None, scheduler: Scheduler,
                 openapi: pathlib.Path, moto_url: str, queues: Queues | None = None, lag: Lag | None = None) -> None:
        self.workers = workers
        self.queues = queues
        self.lag = lag
        self.issuer = issuer
        self.scheduler = scheduler
        self.openapi = openapi
        self.moto_url = moto_url
        self.started = threading.Event()  # set once the demo data is seeded: tests may start then

    def handle(self, request: Request) -> Reply | None:
        fixed = {
            ("GET", "/_local/health"): self.health,
            ("POST", "/_local/token"): self.token,
            ("GET", "/_local/schedules"): lambda _: json_reply(200, {"schedules": self.scheduler.describe()}),
            ("POST", "/_local/queues/redrive"): self.redrive,
            ("GET", "/_local/event-sources"): lambda _: json_reply(
                200, {"event_sources": self.lag.event_sources() if self.lag else {}}),
            ("GET", "/openapi.json"): self.openapi_document,
            ("GET", "/docs"): lambda _: Reply(200, [("Content-Type", "text/html; charset=utf-8")], _DOCS),
        }
        endpoint = fixed.get((request.method, request.path))
        if endpoint:
            return endpoint(request)
        asset = request.path.removeprefix("/docs/")
        if request.method == "GET" and asset in _DOCS_ASSETS:
            return _docs_asset(asset)
        run = _RUN.fullmatch(request.path)
        if run and request.method == "POST":
            return self.run_schedule(run.group(1))
        source = _EVENT_SOURCE.fullmatch(request.path)
        if source and request.method == "POST":
            return self.switch_event_source(source.group(1), request)
        return None

    def health(self, _: Request) -> Reply:
        try:
            with urllib.request.urlopen(f"{self.moto_url}/moto-api/config", timeout=2):
                moto = "ok"
        except OSError as exc:
            moto = f"down: {exc}"
        functions = self.workers.health()
        healthy = moto == "ok" and all(f["status"] != "down" for f in functions.values())
        queues = self._queue_depths() if moto == "ok" else {}
        lag = self._lag(queues) if moto == "ok" else {}
        if not healthy:
            status = "unavailable"
        elif not self.started.is_set():
            status = "starting"
        elif any(q["dead_letter"] and q["messages"] for q in queues.values()):
            status = "degraded"  # serving, but events wait in a dead-letter queue: `make redrive`
        elif lag.get("lagging"):
            status = "degraded"  # serving, but a read model (or the relay) is behind by more than max_lag_s
        else:
            status = "ok"
        return json_reply(503 if status in ("unavailable", "starting") else 200,
                          {"status": status, "moto": moto, "functions": functions, "queues": queues, **lag})

    def _lag(self, queues: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.lag.report(queues) if self.lag else {}
        except Exception as exc:  # noqa: BLE001 — health answers; the reason is in the report
            return {"lag_error": str(exc)[:200]}

    def _queue_depths(self) -> dict[str, Any]:
        try:
            return self.queues.depths() if self.queues else {}
        except Exception as exc:  # noqa: BLE001 — health answers; the reason is in the report
            return {"error": {"messages": 0, "in_flight": 0, "dead_letter": False, "detail": str(exc)[:200]}}

    def redrive(self, _: Request) -> Reply:
        if self.queues is None:
            return problem(404, "not-found", "Not found", "The template has no queues.")
        return json_reply(200, {"moved": self.queues.redrive()})

    def switch_event_source(self, key: str, request: Request) -> Reply:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("enabled"), bool) or set(body) != {"enabled"}:
            return json_reply(400, {"type": "https://records.example/problems/validation-failed",
                                    "title": "Validation failed", "status": 400,
                                    "detail": 'The body must be {"enabled": true} or {"enabled": false}.',
                                    "errors": [{"field": "enabled", "message": "enabled must be a boolean."}]},
                              "application/problem+json")
        switched = self.lag.set_enabled(key, body["enabled"]) if self.lag else None
        if switched is None:
            return problem(404, "not-found", "Not found", f"No event source {key!r}; see GET /_local/event-sources.")
        # Switching off answers once no batch is in flight: nothing is delivered after this answer.
        return json_reply(200 if switched else 202, {"event_source": key, **self.lag.event_sources()[key]})

    def token(self, request: Request) -> Reply:
        if self.issuer is None:
            return problem(404, "not-found", "Not found", "The template has no Cognito user pool to issue tokens from.")
        try:
            body = json.loads(request.body) if request.body.strip() else {"demo": next(iter(demo.USERS))}
        except ValueError:
            return problem(400, "malformed-request", "Malformed request", "The body is not valid JSON.")
        errors = token_request_errors(body)
        if errors:
            return json_reply(400, {"type": "https://records.example/problems/validation-failed",
                                    "title": "Validation failed", "status": 400,
                                    "detail": errors[0]["message"], "errors": errors}, "application/problem+json")
        spec = token_spec(body)
        try:
            return json_reply(200, self.issuer.issue(spec["user_id"], spec["email"], spec["org_id"], spec["roles"]))
        except TokenRefused as exc:
            return problem(403, "forbidden", "Forbidden", f"The user pool refused to sign this user in: {exc}")

    def run_schedule(self, name: str) -> Reply:
        schedule = self.scheduler.find(name)
        if schedule is None:
            return problem(404, "not-found", "Not found", f"No schedule named {name!r}; see GET /_local/schedules.")
        try:
            invocation = self.scheduler.run(schedule)
        except WorkerUnavailable as exc:
            return problem(503, "service-unavailable", "Service unavailable", str(exc))
        return json_reply(200, {"schedule": schedule.name, "function": schedule.function,
                                "ok": invocation.error is None, "result": invocation.result()})

    def openapi_document(self, request: Request) -> Reply:
        """The document as built, with this local API listed first among its servers ("Try it out")."""
        if not self.openapi.exists():
            return problem(404, "not-found", "Not found", f"{self.openapi.name} has not been built yet.")
        document = json.loads(self.openapi.read_bytes())
        local = {"url": f"http://{request.header('Host') or 'localhost'}", "description": "this local system"}
        document["servers"] = [local, *document.get("servers", [])]
        return json_reply(200, document)


def token_request_errors(body: Any) -> list[dict[str, str]]:
    if not isinstance(body, dict):
        return [{"field": "", "message": "The body must be a JSON object."}]
    errors = [{"field": k, "message": f"Unknown field {k!r}."} for k in sorted(set(body) - _TOKEN_FIELDS)]
    for field in ("user_id", "email", "org_id", "demo"):
        if body.get(field) is not None and not (isinstance(body[field], str) and body[field].strip()):
            errors.append({"field": field, "message": f"{field} must be a non-empty string."})
    if "demo" in body and body["demo"] not in demo.USERS:
        errors.append({"field": "demo", "message": f"Unknown demo user; one of: {', '.join(demo.USERS)}."})
    roles = body.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        errors.append({"field": "roles", "message": "roles must be a list of strings."})
    else:
        errors += [{"field": "roles", "message": f"Unknown role {r!r}; one of: {', '.join(ROLES)}."}
                   for r in roles if r not in ROLES]
    return errors


def token_spec(body: dict[str, Any]) -> dict[str, Any]:
    """The demo user named (if any), overridden by the fields given."""
    base = demo.USERS.get(body.get("demo", ""), {})
    user_id = body.get("user_id") or base.get("id") or "local-user"
    return {"user_id": user_id, "email": body.get("email") or base.get("email") or f"{user_id}@local.example",
            "org_id": body.get("org_id") or base.get("org_id"), "roles": body.get("roles", base.get("roles", []))}
