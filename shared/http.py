"""Chalice plumbing shared by every capability: one way to read requests and answer.

A capability's `app.py` declares routes with `api.route(...)`; each view receives a
`RequestContext` (caller, parsed body, query, headers) and returns a `Reply`.
This module turns `Problem`s into RFC 9457 responses, applies body limits, the
Idempotency-Key protocol, correlation ids, CORS headers and the Lambda entry
decorators. Views stay a few lines long and never see raw events.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import functools
import json
import os
from typing import Any, Callable, Mapping

from chalice import Chalice, Response

from shared import idempotency
from shared.auth import Caller, caller_from_event
from shared.concurrency import etag
from shared.observability import correlation_id, lambda_entry, logger, set_correlation_id
from shared.problems import (PROBLEM_CONTENT_TYPE, MalformedRequest, PayloadTooLarge, Problem,
                             UnsupportedMediaType, ValidationFailed)
from shared.validation import validate

MAX_BODY_BYTES = 256 * 1024
EXPOSED_HEADERS = "ETag,Location,Idempotent-Replayed,X-Correlation-Id"


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    version: int | None = None  # becomes the ETag
    location: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def to_dict(self) -> dict[str, Any]:
        headers = dict(self.headers)
        if self.version is not None:
            headers["ETag"] = etag(self.version)
        if self.location:
            headers["Location"] = self.location
        return {"status": self.status, "body": self.body, "headers": headers, "content_type": self.content_type}


@dataclass
class RequestContext:
    caller: Caller | None
    path: str
    route: str
    method: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    raw_body: bytes | None
    lambda_context: Any = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The body, parsed and validated; any flaw is a 4xx before anything is written."""
        raw = self.raw_body or b""
        if len(raw) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"The body is {len(raw)} bytes; this route accepts at most {MAX_BODY_BYTES}.")
        content_type = (self.header("content-type") or "").split(";")[0].strip().lower()
        if content_type not in ("application/json", "application/merge-patch+json"):
            raise UnsupportedMediaType("Send the body as application/json.")
        try:
            body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedRequest(f"The body is not valid JSON: {exc}") from None
        return validate(body, schema)

    def params(self, allowed: set[str]) -> Mapping[str, str]:
        unknown = sorted(set(self.query) - allowed)
        if unknown:
            raise ValidationFailed(f"Unknown query parameter: {unknown[0]}",
                                   errors=[{"field": unknown[0], "message": "not a parameter of this route"}])
        return self.query

    def require_caller(self) -> Caller:
        assert self.caller is not None, "route declared without authentication"
        return self.caller


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def problem_response(problem: Problem, instance: str | None = None) -> Response:
    return Response(body=json.dumps(problem.to_dict(instance)), status_code=problem.status,
                    headers=_common_headers({"Content-Type": PROBLEM_CONTENT_TYPE}))


def _common_headers(headers: dict[str, str]) -> dict[str, str]:
    headers.setdefault("Access-Control-Allow-Origin", os.environ.get("ALLOWED_ORIGIN", "*"))
    headers.setdefault("Access-Control-Expose-Headers", EXPOSED_HEADERS)
    cid = correlation_id()
    if cid:
        headers.setdefault("X-Correlation-Id", cid)
    return headers


def _to_response(stored: dict[str, Any]) -> Response:
    headers = _common_headers({"Content-Type": stored["content_type"], **stored["headers"]})
    body = stored["body"]
    if stored["status"] == 204:
        body = ""
    elif stored["content_type"].endswith("json"):
        body = json.dumps(body)
    return Response(body=body, status_code=stored["status"], headers=headers)


class Api:
    """Routes of one capability on a Chalice app."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.app = Chalice(app_name=name)
        self.app.log.setLevel("WARNING")  # Powertools does the logging

    def route(self, path: str, method: str, *, public: bool = False, idempotent: bool = False):
        def decorator(view: Callable[..., Reply]) -> Callable[..., Reply]:
            @functools.wraps(view)
            def endpoint(**path_params: str) -> Response:
                request = self.app.current_request
                event = request.to_original_event()
                headers = {k.lower(): v for k, v in (request.headers or {}).items()}
                if headers.get("x-correlation-id"):
                    set_correlation_id(headers["x-correlation-id"][:128])
                ctx = RequestContext(
                    caller=None, path=event.get("path", path), route=f"{method} {path}", method=method,
                    headers=headers, query=dict(request.query_params or {}),
                    raw_body=request.raw_body, lambda_context=request.lambda_context)
                try:
                    if not public:
                        ctx.caller = caller_from_event(event)
                    key = ctx.header("idempotency-key") if idempotent else None
                    if key:
                        stored, replayed = idempotency.run_once(
                            idempotency.check_key(key), actor=ctx.caller.user_id if ctx.caller else "partner",
                            route=f"{ctx.route} {ctx.path}", body=_body_fingerprint(ctx),
                            action=lambda: view(ctx, **path_params).to_dict(),
                            lambda_context=ctx.lambda_context,
                            # the function's own table; by default the one named after the capability
                            table_name=os.environ.get("TABLE_NAME") or self.name)
                        if replayed:
                            stored["headers"]["Idempotent-Replayed"] = "true"
                        return _to_response(stored)
                    return _to_response(view(ctx, **path_params).to_dict())
                except Problem as problem:
                    if problem.status >= 500:
                        logger.warning("service problem", extra={"problem": problem.to_dict()})
                    return problem_response(problem, ctx.path)
                except Exception:  # the contract: never a bare stack trace
                    logger.exception("unhandled error")
                    return problem_response(Problem("An unexpected error occurred; it has been logged."), ctx.path)

            self.app.route(path, methods=[method], content_types=[])(endpoint)
            return view

        return decorator

    def lambda_handler(self) -> Callable[[dict, Any], dict]:
        app = self.app

        @lambda_entry(correlation_id_path="requestContext.requestId")
        def handler(event: dict, context: Any) -> dict:
            return app(event, context)

        return handler


def _body_fingerprint(ctx: RequestContext) -> str:
    return (ctx.raw_body or b"").decode("utf-8", errors="replace")
