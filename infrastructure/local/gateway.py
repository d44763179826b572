"""API Gateway (REST, v1) stand-in: routes, authorizers, API keys, CORS, proxy events.

Routes are the template's Api events, matched as API Gateway does (literal path
segments win over parameters; the method is chosen after the resource). Each request
becomes the real Lambda proxy event; the function's proxy result becomes the HTTP
response. Errors the gateway makes itself are rendered from the API's
GatewayResponses. Local-only endpoints (/_local/*, /docs, /openapi.json) are served
by `local_api.LocalApi`, never shadowing a template route.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import logging
import re
import socket
import threading
import time
from typing import Any, Protocol
import urllib.parse
import uuid

from .authorizers import LambdaAuthorizers
from .template import ACCOUNT_ID, REGION, Api, GatewayResponse, Route
from .tokens import TokenVerifier
from .workers import InvokeTimeout, Throttled, Workers, WorkerUnavailable

log = logging.getLogger("local.gateway")
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
DRAIN_LIMIT_BYTES = 8 * MAX_BODY_BYTES  # larger bodies are cut off (the connection closes) rather than read
INTEGRATION_TIMEOUT = 29.0  # API Gateway's integration timeout, seconds
PROBLEMS = "https://records.example/problems/"
ALLOWED_METHODS = "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE"

# Gateway responses the template may leave out: API Gateway's own status codes,
# spoken as problem+json like the rest of the API.
_DEFAULT_RESPONSES = {
    "UNAUTHORIZED": (401, "unauthenticated", "Unauthenticated",
                     "A valid bearer token (staff routes) or X-Api-Key (partner routes) is required."),
    "ACCESS_DENIED": (403, "forbidden", "Forbidden", "The token is not allowed to call this route."),
    "AUTHORIZER_FAILURE": (500, "authorizer-failure", "Authorizer failure", "The authorizer failed; see its log."),
    "INVALID_API_KEY": (403, "invalid-api-key", "Invalid API key", "A valid X-Api-Key header is required."),
    "MISSING_AUTHENTICATION_TOKEN": (403, "not-found", "Not found", "No route matches this method and path."),
    "REQUEST_TOO_LARGE": (413, "payload-too-large", "Payload too large", "The request body is too large."),
    "INTEGRATION_TIMEOUT": (504, "gateway-timeout", "Gateway timeout",
                            f"The function did not answer within {INTEGRATION_TIMEOUT:.0f} seconds."),
    "DEFAULT_5XX": (502, "bad-gateway", "Bad gateway", "The function failed or returned a malformed response."),
    # Every execution environment of the function stayed busy: nothing ran, so a retry is safe.
    "THROTTLED": (429, "throttled", "Too many requests", "Slow down and retry later."),
}


def _content_length(value: str | None) -> int:
    """The declared body length; -1 when it is not a non-negative integer."""
    value = (value or "0").strip()
    return int(value) if value.isdigit() else -1


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def has_header(self, name: str) -> bool:
        return any(k.lower() == name.lower() for k, _ in self.headers)


def json_reply(status: int, payload: Any, content_type: str = "application/json") -> Reply:
    return Reply(status, [("Content-Type", content_type)], json.dumps(payload).encode())


def problem(status: int, slug: str, title: str, detail: str) -> Reply:
    return json_reply(status, {"type": PROBLEMS + slug, "title": title, "status": status, "detail": detail},
                      "application/problem+json")


@dataclass
class Request:
    method: str
    path: str  # as sent (percent-encoded), without the query
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None


class LocalEndpoints(Protocol):
    def handle(self, request: Request) -> Reply | None: ...


class Router:
    """Path templates → routes. The most specific resource matching the path wins."""

    def __init__(self, routes: list[Route]) -> None:
        by_path: dict[str, list[Route]] = {}
        for route in routes:
            by_path.setdefault(route.path, []).append(route)
        self._resources = sorted(((_compile(path), path, found) for path, found in by_path.items()),
                                 key=lambda entry: _specificity(entry[1]), reverse=True)

    def resource(self, path: str) -> tuple[list[Route], dict[str, str]] | None:
        for (regex, names), _, routes in self._resources:
            match = regex.fullmatch(path)
            if match:
                return routes, {n: urllib.parse.unquote(v) for n, v in zip(names, match.groups())}
        return None


def _compile(template: str) -> tuple[re.Pattern[str], list[str]]:
    names, parts = [], []
    for segment in template.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            greedy = segment.endswith("+}")
            names.append(segment[1:-2] if greedy else segment[1:-1])
            parts.append("(.+)" if greedy else "([^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts)), names


def _specificity(template: str) -> tuple[int, ...]:
    return tuple(0 if s.endswith("+}") else 1 if s.startswith("{") else 2 for s in template.strip("/").split("/"))


class Gateway:
    def __init__(self, apis: dict[str, Api], routes: list[Route], workers: Workers,
                 verifiers: dict[tuple[str, str], TokenVerifier], api_key: dict[str, str],
                 local: LocalEndpoints) -> None:
        self.apis = apis
        self.router = Router(routes)
        self.workers = workers
        self.verifiers = verifiers
        self.lambda_authorizers = LambdaAuthorizers(workers)
        self.api_key = api_key
        self.local = local
        self._default_api = next(iter(apis.values()), None)
        self._server: ThreadingHTTPServer | None = None

    # ----------------------------------------------------------------- serving
    def serve(self, host: str, port: int, bound: socket.socket | None = None) -> None:
        """Serve on `host:port`; `bound`: a socket already bound there (the port kept since start-up)."""
        gateway = self

        class Handler(_HttpHandler):
            def dispatch(self, request: Request | None) -> Reply:
                if request is None:
                    return gateway.error(gateway._default_api, "REQUEST_TOO_LARGE")
                return gateway.handle(request)

        if bound is None:
            self._server = _Server((host, port), Handler)
        else:
            self._server = _Server((host, port), Handler, bind_and_activate=False)
            self._server.socket.close()
            self._server.socket = bound
            self._server.server_address = bound.getsockname()
            self._server.server_name, self._server.server_port = host, port
            self._server.server_activate()
        threading.Thread(target=self._server.serve_forever, daemon=True, name="gateway").start()

    def stop(self, grace: float = 3.0) -> None:
        """Stop as a load balancer drains: refuse new connections at once, close idle keep-alive
        connections, let requests in flight finish (up to `grace` seconds), answer them with
        `Connection: close`."""
        if self._server:
            self._server.drain(grace)

    # ----------------------------------------------------------------- routing
    def handle(self, request: Request) -> Reply:
        request = self.without_stage(request)
        found = None if request.path.startswith("/_local/") else self.router.resource(request.path)
        if found is None:
            return self.local.handle(request) or self.error(self._default_api, "MISSING_AUTHENTICATION_TOKEN")
        routes, path_params = found
        api = self.apis[routes[0].api]
        route = next((r for r in routes if r.method in (request.method, "ANY")), None)
        if route is None:
            if request.method == "OPTIONS" and api.cors:
                return self.preflight(api, routes)
            return self.error(api, "MISSING_AUTHENTICATION_TOKEN")
        authorizer = None
        usage_key = None
        if route.authorizer:
            spec = api.authorizers[route.authorizer]
            if spec.get("type") == "REQUEST":  # its function sees the request; cached per identity source values
                values = [request.header(name) for name in spec["headers"]]
                outcome = self.lambda_authorizers.authorize(
                    spec, "\n".join(values) if all(values) else None, method_arn(api, route, request),
                    request_authorizer_event(proxy_event(api, route, request, path_params, None, None)))
                if isinstance(outcome, str):
                    return self.error(api, outcome)
                usage_key = outcome.pop("usageIdentifierKey", None)
                authorizer = outcome
            elif "function_arn" in spec:  # a Lambda authorizer: its function decides, its answer is cached
                outcome = self.lambda_authorizers.authorize(spec, request.header(spec["header"]),
                                                            method_arn(api, route, request))
                if isinstance(outcome, str):
                    return self.error(api, outcome)
                authorizer = outcome
            else:  # a Cognito user-pool authorizer: the token's claims, checked here
                claims = self.verifiers[(api.logical_id, route.authorizer)].claims(request.header(spec["header"]))
                if claims is None:
                    return self.error(api, "UNAUTHORIZED")
                authorizer = {"claims": claims}
        presented = usage_key if api.api_key_source == "AUTHORIZER" else request.header("X-Api-Key")
        if route.api_key_required and presented != self.api_key["value"]:
            return self.error(api, "INVALID_API_KEY")
        reply = self.integrate(api, route, request, path_params, authorizer)
        origin = api.cors.get("Access-Control-Allow-Origin")
        if origin and not reply.has_header("Access-Control-Allow-Origin"):
            reply.headers.append(("Access-Control-Allow-Origin", origin))
        return reply

    def without_stage(self, request: Request) -> Request:
        """The execute-api address puts the stage first (`/v1/me`), and so do the Location headers the
        functions build from requestContext.path; the stand-in serves both that and the root (`/me`)."""
        for api in self.apis.values():
            prefix = f"/{api.stage}"
            if request.path.startswith(prefix + "/") and self.router.resource(request.path) is None:
                return replace(request, path=request.path[len(prefix):])
        return request

    def preflight(self, api: Api, routes: list[Route]) -> Reply:
        headers = dict(api.cors)
        methods = sorted({r.method for r in routes} | {"OPTIONS"})
        headers.setdefault("Access-Control-Allow-Methods", ",".join(methods))
        return Reply(200, [("Content-Type", "application/json"), *headers.items()], b"")

    def error(self, api: Api | None, kind: str) -> Reply:
        """A gateway response: the API's own for this type, else its DEFAULT_4XX/5XX, else API Gateway's."""
        status, slug, title, detail = _DEFAULT_RESPONSES[kind]
        responses = api.gateway_responses if api else {}
        spec: GatewayResponse | None = responses.get(kind) or responses.get(
            "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX")
        if spec is None:
            return problem(status, slug, title, detail)
        headers = {"Content-Type": "application/json", **spec.headers}
        return Reply(spec.status or status, list(headers.items()), spec.body.encode())

    # ------------------------------------------------------------- integration
    def integrate(self, api: Api, route: Route, request: Request, path_params: dict[str, str],
                  authorizer: dict[str, Any] | None) -> Reply:
        worker = self.workers.get(route.function)
        event = proxy_event(api, route, request, path_params, authorizer,
                            self.api_key if route.api_key_required else None)
        # API Gateway's answers: 504 when the 29 s pass (the function may still commit), 502 when the
        # function failed (its own timeout included), 429 when it could not even start (nothing ran).
        try:
            invocation = worker.invoke(json.dumps(event).encode(), timeout=INTEGRATION_TIMEOUT)
        except InvokeTimeout:
            return self.error(api, "INTEGRATION_TIMEOUT")
        except Throttled as exc:
            log.warning("%s", exc)
            return self.error(api, "THROTTLED")
        except WorkerUnavailable as exc:
            log.error("%s", exc)
            return self.error(api, "DEFAULT_5XX")
        if invocation.error:
            log.error("%s failed: %s", route.function, invocation.payload.decode(errors="replace")[:2000])
            return self.error(api, "DEFAULT_5XX")
        try:
            return proxy_reply(invocation.result())
        except (ValueError, TypeError, KeyError) as exc:
            log.error("%s returned a malformed proxy response (%s)", route.function, exc)
            return self.error(api, "DEFAULT_5XX")


def method_arn(api: Api, route: Route, request: Request) -> str:
    return (f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api.logical_id.lower()}/{api.stage}/"
            f"{request.method}{urllib.parse.unquote(request.path)}")


def request_authorizer_event(proxy: dict[str, Any]) -> dict[str, Any]:
    """What a REQUEST authorizer receives besides its type and method ARN: the request, as the proxy event has it."""
    keys = ("resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
            "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext")
    return {key: proxy[key] for key in keys}


def proxy_event(api: Api, route: Route, request: Request, path_params: dict[str, str],
                authorizer: dict[str, Any] | None, api_key: dict[str, str] | None) -> dict[str, Any]:
    """The REST API (v1) Lambda proxy event, field for field."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    forwarded = [("X-Forwarded-For", request.source_ip), ("X-Forwarded-Proto", "http"),
                 ("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}")]
    for name, value in [*request.headers, *forwarded]:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query = urllib.parse.parse_qsl(request.query, keep_blank_values=True)
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        multi_query.setdefault(name, []).append(value)
    body, is_base64 = _event_body(request, api.binary_media_types)
    now = time.time()
    request_id = str(uuid.uuid4())
    context: dict[str, Any] = {
        "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, route.path).hex[:6], "resourcePath": route.path,
        "httpMethod": request.method, "extendedRequestId": base64.b64encode(uuid.uuid4().bytes)[:16].decode(),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "path": f"/{api.stage}{urllib.parse.unquote(request.path)}", "accountId": ACCOUNT_ID, "protocol": "HTTP/1.1", "stage": api.stage,
        "domainPrefix": "localhost", "requestTimeEpoch": int(now * 1000), "requestId": request_id,
        "identity": {
            "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None, "caller": None,
            "sourceIp": request.source_ip, "principalOrgId": None, "accessKey": None,
            "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None, "userArn": None,
            "userAgent": request.header("User-Agent"), "user": None,
            "apiKey": api_key["value"] if api_key else None, "apiKeyId": api_key["id"] if api_key else None,
        },
        "domainName": request.header("Host") or "localhost", "apiId": api.logical_id.lower(),
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    return {
        "resource": route.path, "path": urllib.parse.unquote(request.path), "httpMethod": request.method,
        "headers": headers or None, "multiValueHeaders": multi_headers or None,
        "queryStringParameters": dict(query) or None, "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_params or None, "stageVariables": None,
        "requestContext": context, "body": body, "isBase64Encoded": is_base64,
    }


def _event_body(request: Request, binary_types: tuple[str, ...]) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    binary = any(t == "*/*" or t == content_type or (t.endswith("/*") and content_type.startswith(t[:-1]))
                 for t in binary_types)
    if not binary:
        try:
            return request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(request.body).decode(), True


def proxy_reply(result: Any) -> Reply:
    """The function's proxy result as an HTTP response; anything malformed raises."""
    if not isinstance(result, dict):
        raise TypeError("the result is not an object")
    status = int(result["statusCode"])
    headers = [(k, str(v)) for k, values in (result.get("multiValueHeaders") or {}).items() for v in values]
    named = {k.lower() for k, _ in headers}
    headers += [(k, str(v)) for k, v in (result.get("headers") or {}).items() if k.lower() not in named]
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return Reply(status, headers, data)


# ------------------------------------------------------------------------ HTTP
class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.draining = False
        self._cond = threading.Condition()
        self._connections: dict[Any, bool] = {}  # socket -> a request is in flight on it

    def track(self, connection: Any, busy: bool | None) -> None:
        """busy=None: the connection ended."""
        with self._cond:
            if busy is None:
                self._connections.pop(connection, None)
            else:
                self._connections[connection] = busy
            self._cond.notify_all()

    def drain(self, grace: float) -> None:
        self.draining = True
        self.shutdown()  # the accept loop ends: no new connection is taken
        self.server_close()
        deadline = time.monotonic() + grace
        with self._cond:
            while True:
                for connection, busy in list(self._connections.items()):
                    if not busy:  # idle keep-alive: wake its reader with end-of-file
                        _shut(connection)
                if not any(self._connections.values()) or time.monotonic() >= deadline:
                    break
                self._cond.wait(timeout=max(0.0, deadline - time.monotonic()))
            for connection in list(self._connections):
                _shut(connection)


def _shut(connection: Any) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _HttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients of API Gateway expect

    def dispatch(self, request: Request | None) -> Reply:
        raise NotImplementedError

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, False)

    def finish(self) -> None:
        self.server.track(self.connection, None)
        super().finish()

    def _serve(self) -> None:
        self.server.track(self.connection, True)
        try:
            self._serve_one()
        finally:
            self.server.track(self.connection, False)

    def _serve_one(self) -> None:
        started = time.perf_counter()
        malformed = False
        try:
            body = self._read_body()
        except ValueError:  # API Gateway answers a malformed request itself, with a 400
            self.close_connection, malformed, body = True, True, None
        request = None
        if body is not None:
            raw_path, _, query = self.path.partition("?")
            request = Request(self.command, raw_path, query, list(self.headers.items()),
                              body, self.client_address[0])
        try:
            reply = (problem(400, "malformed-request", "Malformed request", "Content-Length is not a valid length.")
                     if malformed else self.dispatch(request))
        except Exception:  # noqa: BLE001 — the stand-in must answer, as the real gateway would
            log.exception("gateway error on %s %s", self.command, self.path)
            reply = problem(500, "internal", "Internal error", "The local gateway failed; see its log.")
        self.send_response(reply.status)
        for name, value in reply.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if self.server.draining:
            self.close_connection = True
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)
        log.info("%s %s %d %.1fms", self.command, self.path.partition("?")[0], reply.status,
                 (time.perf_counter() - started) * 1000)

    def _read_body(self) -> bytes | None:
        """The body, or None when it is over the limit."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, size = [], 0
            while True:
                length = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                size += length
                if size > MAX_BODY_BYTES:
                    self.close_connection = True
                    return None
                chunks.append(self.rfile.read(length))
                self.rfile.readline()
        length = _content_length(self.headers.get("Content-Length"))
        if length < 0:
            raise ValueError("malformed Content-Length")
        if length > MAX_BODY_BYTES:
            if self.headers.get("Expect", "").lower() == "100-continue" or length > DRAIN_LIMIT_BYTES:
                self.close_connection = True  # the client waits for our answer, or the body is not worth reading
            else:
                self._discard(length)  # so a client still sending its body gets to read the 413
            return None
        return self.rfile.read(length) if length else b""

    def _discard(self, length: int) -> None:
        while length > 0:
            chunk = self.rfile.read(min(1 << 20, length))
            if not chunk:
                return
            length -= len(chunk)

    def handle_expect_100(self) -> bool:
        """Refuse an over-large body before the client sends it; the handler then answers 413."""
        if _content_length(self.headers.get("Content-Length")) > MAX_BODY_BYTES:
            return True
        return super().handle_expect_100()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def __getattr__(self, name: str) -> Any:
        """Any other method (TRACE, CONNECT, PROPFIND...): a 405 problem with Allow, never the
        standard library's HTML 501 page. API Gateway (REST) serves only the methods above."""
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        self.close_connection = True  # the body of an unknown method is not read
        reply = problem(405, "method-not-allowed", "Method not allowed",
                        f"{self.command[:20]} is not a method of this API.")
        self.send_response(405)
        for name, value in reply.headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Allow", ALLOWED_METHODS)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, *args: Any) -> None:
        """One line per request is written by _serve."""
