"""One function's Lambda execution environment, run as its own process by workers.py.

    python -m infrastructure.local.runtime <handler> <function-arn> <timeout-seconds>

The process environment is the function's own (built by the parent). It binds a
loopback port, announces it as the first stdout line ({"port": N}), imports the
handler (Lambda's "init"), then serves the Lambda Invoke API:
`POST /2015-03-31/functions/<name>/invocations` with the event as the body, answering
the result, or 200 with `X-Amz-Function-Error: Unhandled` and Lambda's error
document. One invocation runs at a time, as in a Lambda execution environment; the
parent's pool (workers.py) sends each environment one invocation at a time and starts
more environments for concurrent ones. `GET /ping` reports init, and answers while an
invocation runs.

Only the parent handles Ctrl-C; a worker ends on SIGTERM, or by itself when the
parent's end of its stdin closes (the parent died without stopping it).
"""
from __future__ import annotations

import decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import importlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from typing import Any, Callable
import uuid


class LambdaContext:
    """The attributes and method of the Python runtime's context object."""

    def __init__(self, function_arn: str, timeout: float) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def error_document(error_type: str, message: str, tb: Any = None) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type,
            "requestId": "", "stackTrace": traceback.format_list(traceback.extract_tb(tb)) if tb else []}


def _decimal(value: Any) -> Any:
    """Lambda's marshaller turns Decimals (as boto3 returns numbers) into JSON numbers."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def load_handler(spec: str) -> tuple[Callable[..., Any] | None, dict[str, Any] | None]:
    """Import the handler as Lambda's init does; an init failure is answered on every invoke."""
    module_name, _, attribute = spec.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        return None, error_document("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}")
    except ImportError as exc:
        return None, error_document("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}")
    except Exception as exc:  # noqa: BLE001 — any init failure is reported, as Lambda does
        return None, error_document(type(exc).__name__, str(exc), exc.__traceback__)
    handler = getattr(module, attribute, None)
    if handler is None:
        return None, error_document("Runtime.HandlerNotFound", f"Handler '{attribute}' missing on module '{module_name}'")
    return handler, None


class _Invocations(BaseHTTPRequestHandler):
    server: "_Runtime"

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/ping":
            self._reply(200, {"init_error": self.server.init_error})
        else:
            self._reply(404, {"Type": "User", "Message": "unknown path"})

    def do_POST(self) -> None:  # noqa: N802
        if not self.path.endswith("/invocations"):
            self._reply(404, {"Type": "User", "Message": "unknown path"})
            return
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            event = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            self._reply(400, {"Type": "User", "Message": f"Could not parse request body into json: {exc}"},
                        {"X-Amzn-ErrorType": "InvalidRequestContentException"})
            return
        status, payload, error = self.server.invoke(event)
        self._reply(status, payload, {"X-Amz-Function-Error": error} if error else {})

    def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Amz-Executed-Version", "$LATEST")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """The gateway logs requests; the function logs what it does."""


class _Runtime(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, function_arn: str, timeout: float) -> None:
        super().__init__(("127.0.0.1", 0), _Invocations)
        self.function_arn = function_arn
        self.timeout = timeout
        self.handler: Callable[..., Any] | None = None
        self.init_error: dict[str, Any] | None = None
        # One invocation at a time, as in a Lambda execution environment: handlers keep
        # per-request state in module globals (Chalice's current_request, the logger's keys).
        # The pool never sends two at once; this guards direct callers (bench's Invoke hop).
        self._one_at_a_time = threading.Lock()

    def invoke(self, event: Any) -> tuple[int, bytes, str | None]:
        with self._one_at_a_time:
            return self._invoke(event)

    def _invoke(self, event: Any) -> tuple[int, bytes, str | None]:
        if self.init_error:
            return 200, json.dumps(self.init_error).encode(), "Unhandled"
        context = LambdaContext(self.function_arn, self.timeout)
        started = time.perf_counter()
        try:
            result = self.handler(event, context)
            try:
                payload = json.dumps(result, default=_decimal).encode()
            except (TypeError, ValueError) as exc:
                document = error_document("Runtime.MarshalError", f"Unable to marshal response: {exc}")
                return 200, json.dumps(document).encode(), "Unhandled"
            return 200, payload, None
        except Exception as exc:  # noqa: BLE001 — reported to the caller exactly as Lambda does
            document = error_document(type(exc).__name__, str(exc), exc.__traceback__)
            document["requestId"] = context.aws_request_id
            print(f"[ERROR] {type(exc).__name__}: {exc}\n{''.join(traceback.format_exception(exc))}",
                  file=sys.stderr, flush=True)
            return 200, json.dumps(document).encode(), "Unhandled"
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            print(f"REPORT RequestId: {context.aws_request_id}\tDuration: {elapsed:.2f} ms", flush=True)


def _exit_with_parent() -> None:
    sys.stdin.buffer.read()
    os._exit(0)


def main(argv: list[str]) -> None:
    handler_spec, function_arn, timeout = argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    server = _Runtime(function_arn, float(timeout))
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    server.handler, server.init_error = load_handler(handler_spec)
    if server.init_error:
        print(f"[ERROR] init failed: {server.init_error['errorType']}: {server.init_error['errorMessage']}",
              file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
