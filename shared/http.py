"""Chalice plumbing shared by every capability: one way to read requests and answer.

A capability's `app.py` declares routes with `api.route(...)`: besides method and path,
everything the OpenAPI document says of the operation — summary, description (the view's
docstring), body and response schemas, query parameters, status, ETag, If-Match,
Idempotency-Key, the errors its own rules answer. The declaration is also how the
request is read: query parameters are validated before the view runs, `ctx.json()`
validates the declared body and `ctx.expected_version()` reads the If-Match a route
declares, so the document cannot say one thing and the handler do another.
A partner route (`partner="<scope>"`) reads the partner the partner authorizer let through
(`ctx.require_partner()`), refuses a client without that scope (403) and answers 429 with
`Retry-After` when the authorizer found a quota used up, before the view runs; every answer of
a partner route carries the `RateLimit` and `RateLimit-Policy` fields the authorizer computed.
Each view receives a `RequestContext` and returns a `Reply`. This module turns
`Problem`s into RFC 9457 responses, applies body limits, the Idempotency-Key protocol,
correlation ids, CORS headers, stage-relative Location headers and the Lambda entry
decorators; `page`, `negotiate` and `file_reply` shape listings and reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import functools
import inspect
import json
import os
import re
from typing import Any, Callable, Iterable, Mapping

from chalice import Chalice, Response

from shared import idempotency
from shared.auth import Caller, Partner, caller_from_event, partner_from_authorizer
from shared.concurrency import etag, expected_version
from shared.observability import correlation_id, lambda_entry, logger, set_correlation_id
from shared.problems import (PROBLEM_CONTENT_TYPE, MalformedRequest, NotFound, PayloadTooLarge, Problem,
                             QuotaExceeded, UnsupportedMediaType, ValidationFailed)
from shared.query import read as read_query
from shared.validation import validate

MAX_BODY_BYTES = 256 * 1024
MAX_BODY_DEPTH = 32  # far beyond any schema here; a guard against recursion in parsers and validators
EXPOSED_HEADERS = "ETag,Location,Idempotent-Replayed,X-Correlation-Id,RateLimit,RateLimit-Policy,Retry-After"
# Formats of reports (format=... or Accept); json is the default.
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8", "svg": "image/svg+xml; charset=utf-8"}


@dataclass
class Reply:
    body: Any = None
    status: int | None = None  # None: the status the route declares
    version: int | None = None  # becomes the ETag
    location: str | None = None  # the resource's path in the API; the stage or base path is added on the way out
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def to_dict(self) -> dict[str, Any]:
        headers = dict(self.headers)
        if self.version is not None:
            headers["ETag"] = etag(self.version)
        if self.location:
            headers["Location"] = self.location
        return {"status": self.status or 200, "body": self.body, "headers": headers,
                "content_type": self.content_type}


@dataclass(frozen=True)
class Operation:
    """One route as its app declares it: how the request is read, and what the OpenAPI document says."""

    method: str
    path: str
    view: Callable[..., Reply]
    summary: str
    response: dict[str, Any]  # JSON Schema of the success body (one of its capability's schemas)
    status: int = 200  # 201 and 202 answers carry a Location
    also: tuple[int, ...] = ()  # other success statuses the view may answer (Reply.status), e.g. 200 beside 201
    body: dict[str, Any] | None = None  # JSON Schema of the request body, read by ctx.json()
    query: tuple[dict[str, Any], ...] = ()  # OpenAPI Parameter Objects (shared.query.param); others answer 400
    partner: str | None = None  # a partner route: the scope it needs (the partner authorizer checked the key)
    idempotent: bool = False  # Idempotency-Key accepted (409 in progress / 422 reused)
    if_match: bool = False  # If-Match required, read by ctx.expected_version() (428 / 412)
    etag: bool = False  # the success response carries the entity's ETag
    errors: tuple[int, ...] = ()  # statuses the route's own rules answer, beyond the protocol's
    formats: tuple[str, ...] = ()  # other formats of the success body (keys of MEDIA_TYPES)
    max_body: int = MAX_BODY_BYTES  # what ctx.json() accepts; more only where a route takes a whole sheet
    body_formats: tuple[str, ...] = ()  # other media types of the request body (uploads: e.g. csv)

    @property
    def name(self) -> str:
        return self.view.__name__

    @property
    def statuses(self) -> tuple[int, ...]:
        """Every success status of the operation, the declared one first."""
        return (self.status, *self.also)

    @property
    def public(self) -> bool:
        """No staff caller: a partner route."""
        return self.partner is not None

    @property
    def description(self) -> str:
        """The view's docstring, each paragraph on one line (as Markdown reads it)."""
        doc = inspect.getdoc(self.view) or ""
        return "\n\n".join(" ".join(part.split()) for part in re.split(r"\n\s*\n", doc) if part.strip())


@dataclass
class RequestContext:
    caller: Caller | None
    path: str
    route: str
    method: str
    headers: Mapping[str, str]
    raw_query: Mapping[str, str]
    raw_body: bytes | None
    lambda_context: Any = None
    partner: Partner | None = None  # on partner routes: the client whose key the partner authorizer accepted
    operation: Operation | None = None
    query: Mapping[str, Any] = field(default_factory=dict)  # the declared parameters, validated (shared.query)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> dict[str, Any]:
        """The body, parsed and validated with the route's declared schema; any flaw is a 4xx before
        anything is written."""
        assert self.operation is not None and self.operation.body is not None, f"{self.route} declares no body"
        raw, limit = self.raw_body or b"", self.operation.max_body
        if len(raw) > limit:
            raise PayloadTooLarge(f"The body is {len(raw)} bytes; this route accepts at most {limit}.")
        content_type = (self.header("content-type") or "").split(";")[0].strip().lower()
        if content_type not in ("application/json", "application/merge-patch+json"):
            raise UnsupportedMediaType("Send the body as application/json.")
        try:
            body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedRequest(f"The body is not valid JSON: {exc}") from None
        except RecursionError:
            raise MalformedRequest(f"The body nests deeper than {MAX_BODY_DEPTH} levels.") from None
        _check_text(body)
        return validate(body, self.operation.body)

    def rows(self) -> list[dict[str, Any]]:
        """The rows of an upload (`text/csv` with a header row, or JSON `{"rows": [...]}`), for routes that
        declare `body_formats`; each row is checked later, on its own (shared.jobs)."""
        assert self.operation is not None and self.operation.body is not None, f"{self.route} declares no body"
        from shared.jobs import read_rows  # only upload routes load the jobs module

        rows = read_rows(self.raw_body, self.header("content-type"))
        _check_text(rows)
        return rows

    def media_type(self) -> str:
        """The body's media type, without parameters (`text/csv`, `application/json`)."""
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def expected_version(self) -> int:
        """The version If-Match names (428 without, 412 when malformed); only routes declaring if_match read it."""
        assert self.operation is not None and self.operation.if_match, f"{self.route} does not declare if_match"
        return expected_version(self.header("if-match"))

    def require_caller(self) -> Caller:
        assert self.caller is not None, "route declared without authentication"
        return self.caller

    def require_partner(self) -> Partner:
        assert self.partner is not None, "not a partner route"
        return self.partner


def _check_text(body: Any) -> None:
    """Refuse, before any write, what JSON allows but storage cannot hold: nesting deeper than
    MAX_BODY_DEPTH and strings that are not valid Unicode (a lone surrogate such as "\ud800"
    cannot be encoded as UTF-8, so DynamoDB would refuse it mid-write). Every bad field is listed."""
    errors: list[dict[str, str]] = []
    stack: list[tuple[Any, str, int]] = [(body, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_BODY_DEPTH:
            raise MalformedRequest(f"The body nests deeper than {MAX_BODY_DEPTH} levels.")
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if not _valid_unicode(key):
                    errors.append({"field": path or "body", "message": "a property name is not valid Unicode"})
                stack.append((item, child, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str) and not _valid_unicode(value):
            errors.append({"field": path or "body", "message": "not valid Unicode (a lone surrogate)"})
    if errors:
        errors.sort(key=lambda e: e["field"])
        raise ValidationFailed(f"{errors[0]['field']}: not valid Unicode text", errors=errors)


def _valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# ----------------------------------------------------------------- replies
def path_ids(schema: Mapping[str, Any]) -> Callable[[str, str], str]:
    """The guard of a capability's path ids: `_id = path_ids(schemas.ID)`, then `_id(value, "campaign")`.
    A value that cannot be one of its ids names nothing: 404, whatever its length or characters."""
    pattern, longest = re.compile(schema["pattern"]), schema["maxLength"]

    def guard(value: str, what: str) -> str:
        if len(value) > longest or not pattern.match(value):
            raise NotFound(f"No {what} with that id in your organisation.")
        return value

    return guard


def page(items: Iterable[Any], cursor: str | None, render: Callable[[Any], Any] | None = None) -> Reply:
    """A page of a listing, `{items, next_cursor}` (shared.pagination.page_of): entities by their
    `public()` form (or `render`), plain dicts as they are."""
    render = render or (lambda item: item if isinstance(item, dict) else item.public())
    return Reply({"items": [render(item) for item in items], "next_cursor": cursor})


def negotiate(requested: str | None, accept: str | None) -> str:
    """A report's format: `format=` when given, else the first the Accept header names, else json."""
    if requested:
        return requested
    accept = (accept or "").lower()
    for fmt, media_type in MEDIA_TYPES.items():
        if fmt != "json" and media_type.split(";")[0] in accept:
            return fmt
    return "json"


def file_reply(text: str, fmt: str, *, filename: str | None = None, disposition: str = "inline") -> Reply:
    """A report as text in `fmt` (a key of MEDIA_TYPES), optionally named for saving."""
    headers = {"Content-Disposition": f'{disposition}; filename="{filename}"'} if filename else {}
    return Reply(text, content_type=MEDIA_TYPES[fmt], headers=headers)


def problem_response(problem: Problem, instance: str | None = None,
                     headers: Mapping[str, str] | None = None) -> Response:
    return Response(body=json.dumps(problem.to_dict(instance)), status_code=problem.status,
                    headers=_common_headers({"Content-Type": PROBLEM_CONTENT_TYPE, **(headers or {})}))


def _common_headers(headers: dict[str, str]) -> dict[str, str]:
    headers.setdefault("Access-Control-Allow-Origin", os.environ.get("ALLOWED_ORIGIN", "*"))
    headers.setdefault("Access-Control-Expose-Headers", EXPOSED_HEADERS)
    cid = correlation_id()
    if cid:
        headers.setdefault("X-Correlation-Id", cid)
    return headers


def _to_response(stored: dict[str, Any], base_path: str, extra: Mapping[str, str] | None = None) -> Response:
    headers = _common_headers({"Content-Type": stored["content_type"], **stored["headers"], **(extra or {})})
    if headers.get("Location", "").startswith("/"):
        headers["Location"] = base_path + headers["Location"]
    body = stored["body"]
    if stored["status"] == 204:
        body = ""
    elif stored["content_type"].endswith("json"):
        body = json.dumps(body)
    return Response(body=body, status_code=stored["status"], headers=headers)


def partner_quota(context: Mapping[str, Any]) -> dict[str, str]:
    """The RateLimit fields the partner authorizer computed when it counted this call (IETF httpapi
    ratelimit-headers draft), for every answer of a partner route; QuotaExceeded when the call was
    over a quota: the route answers 429 with Retry-After before anything runs."""
    headers = {name: str(context[key]) for name, key in (("RateLimit", "ratelimit"),
                                                        ("RateLimit-Policy", "ratelimit_policy")) if context.get(key)}
    if context.get("quota_exceeded"):
        retry = {"Retry-After": str(context["retry_after"])} if context.get("retry_after") else {}
        raise QuotaExceeded(f"This partner client's {context['quota_exceeded']} quota is used up; retry after "
                            f"{context.get('retry_after') or 'a while'} seconds.", headers={**headers, **retry})
    return headers


def base_path(event: Mapping[str, Any]) -> str:
    """Where the API sits in the URL the client called: `/v1` (the stage) on the execute-api address,
    a custom domain's base path, or nothing. API Gateway's requestContext.path is the path as called;
    what follows the base is the route's own path (resource with its parameters)."""
    context = event.get("requestContext") or {}
    called = context.get("path") or ""
    params = event.get("pathParameters") or {}
    own = re.sub(r"{([^}+]+)\+?}", lambda m: params.get(m.group(1), m.group(0)), event.get("resource") or "")
    if own and called.endswith(own):
        return called[: len(called) - len(own)].rstrip("/")
    stage = context.get("stage")
    return f"/{stage}" if stage and called.startswith(f"/{stage}/") else ""


class Api:
    """Routes of one capability on a Chalice app, and what each declares (`operations`)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.app = Chalice(app_name=name)
        self.app.log.setLevel("WARNING")  # Powertools does the logging
        self.operations: dict[tuple[str, str], Operation] = {}

    def route(self, path: str, method: str, *, summary: str, response: dict[str, Any], status: int = 200,
              also: Iterable[int] = (), body: dict[str, Any] | None = None, query: Iterable[dict[str, Any]] = (),
              partner: str | None = None, idempotent: bool = False, if_match: bool = False,
              etag: bool = False, errors: Iterable[int] = (), formats: Iterable[str] = (),
              max_body: int = MAX_BODY_BYTES, body_formats: Iterable[str] = ()):
        """Declare a route; the view's docstring is the operation's description. `status` is its usual success
        status; a view that answers another one in some cases (200 when a PUT-like POST replaced what it would
        otherwise have created) declares it in `also`, and sets it on its Reply. `partner="<scope>"`: a
        partner route (an API key, not a staff token), for clients holding that scope."""
        def decorator(view: Callable[..., Reply]) -> Callable[..., Reply]:
            op = Operation(method=method, path=path, view=view, summary=summary, response=response, status=status,
                           also=tuple(also), body=body, query=tuple(query), partner=partner,
                           idempotent=idempotent, if_match=if_match, etag=etag, errors=tuple(errors),
                           formats=tuple(formats), max_body=max_body, body_formats=tuple(body_formats))
            assert (method, path) not in self.operations, f"{method} {path} declared twice"
            self.operations[(method, path)] = op

            @functools.wraps(view)
            def endpoint(**path_params: str) -> Response:
                request = self.app.current_request
                event = request.to_original_event()
                headers = {k.lower(): v for k, v in (request.headers or {}).items()}
                if headers.get("x-correlation-id"):
                    set_correlation_id(headers["x-correlation-id"][:128])
                ctx = RequestContext(
                    caller=None, path=event.get("path", path), route=f"{method} {path}", method=method,
                    headers=headers, raw_query=dict(request.query_params or {}),
                    raw_body=request.raw_body, lambda_context=request.lambda_context, operation=op)
                base = base_path(event)
                quota: dict[str, str] = {}
                try:
                    if partner:
                        authorized = (event.get("requestContext") or {}).get("authorizer") or {}
                        ctx.partner = partner_from_authorizer(authorized)
                        quota = partner_quota(authorized)
                        ctx.partner.require_scope(partner)
                    else:
                        ctx.caller = caller_from_event(event)
                    ctx.query = read_query(ctx.raw_query, op.query)
                    key = ctx.header("idempotency-key") if idempotent else None
                    if key:
                        stored, replayed = idempotency.run_once(
                            idempotency.check_key(key),
                            actor=ctx.caller.user_id if ctx.caller else f"partner:{ctx.require_partner().client_id}",
                            route=f"{ctx.route} {ctx.path}", body=_body_fingerprint(ctx),
                            action=lambda: _answer(op, ctx, path_params),
                            lambda_context=ctx.lambda_context,
                            # the function's own table; by default the one named after the capability
                            table_name=os.environ.get("TABLE_NAME") or self.name)
                        if replayed:
                            stored["headers"]["Idempotent-Replayed"] = "true"
                        return _to_response(stored, base, quota)
                    return _to_response(_answer(op, ctx, path_params), base, quota)
                except Problem as problem:
                    if problem.status >= 500:
                        logger.warning("service problem", extra={"problem": problem.to_dict()})
                    return problem_response(problem, ctx.path, {**quota, **problem.headers})
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


def _answer(op: Operation, ctx: RequestContext, path_params: dict[str, str]) -> dict[str, Any]:
    reply = op.view(ctx, **path_params)
    if reply.status is None:
        reply.status = op.status
    # the document lists every success status: a view may not answer one it does not declare
    assert reply.status in op.statuses, f"{op.method} {op.path} answered {reply.status}, declares {op.statuses}"
    return reply.to_dict()


def _body_fingerprint(ctx: RequestContext) -> str:
    return (ctx.raw_body or b"").decode("utf-8", errors="replace")
