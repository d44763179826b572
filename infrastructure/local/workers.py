"""Function workers: one process per function, each with only its own environment.

A worker is `runtime.py` importing the function's handler from its CodeUri, with the
template's environment variables (resolved) plus what Lambda itself sets. Callers
invoke it over the Lambda Invoke API on loopback. A worker that died is started
again on the next invocation, as Lambda starts a new execution environment.

`install_invoke_hook` answers the Lambda calls made inside this process by moto's
Step Functions executor, so saga steps run the real handlers.
"""
from __future__ import annotations

from dataclasses import dataclass
import functools
import http.client
import json
import logging
import os
import pathlib
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from infrastructure.aws_events import invoke_response, invoked_function

from .template import REGION, Function, arn

log = logging.getLogger("local.workers")
SYSTEM_ROOT = pathlib.Path(__file__).resolve().parents[2]  # where `infrastructure.local.runtime` is importable


class WorkerUnavailable(Exception):
    """The worker could not be started or stopped answering."""


class InvokeTimeout(Exception):
    """The caller's deadline passed before the function's own timeout."""


@dataclass(frozen=True)
class Invocation:
    payload: bytes
    error: str | None  # the X-Amz-Function-Error header: "Unhandled" when the function failed

    def result(self) -> Any:
        return json.loads(self.payload) if self.payload else None


def function_environment(fn: Function, endpoint: str) -> dict[str, str]:
    """The template's variables plus what the Lambda service sets, and nothing of ours."""
    path = [str(fn.code_dir), *map(str, fn.layer_dirs)]
    if str(SYSTEM_ROOT) not in path:
        path.append(str(SYSTEM_ROOT))
    overrides = {k: v for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT_URL_")}
    return {
        **fn.environment,
        "AWS_ENDPOINT_URL": endpoint, **overrides,
        "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_LAMBDA_FUNCTION_NAME": fn.name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory), "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.name}",
        "_HANDLER": fn.handler, "LAMBDA_TASK_ROOT": str(fn.code_dir), "TZ": ":UTC", "LANG": "en_US.UTF-8",
        "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
        "PYTHONPATH": os.pathsep.join(path), "PYTHONUNBUFFERED": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }


class Worker:
    def __init__(self, fn: Function, endpoint: str) -> None:
        self.function = fn
        self.arn = arn("lambda", f"function:{fn.name}")
        self._env = function_environment(fn, endpoint)
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._announced = threading.Event()

    def start(self) -> None:
        self._announced.clear()
        self._port = None
        self._process = subprocess.Popen(
            [sys.executable, "-m", "infrastructure.local.runtime", self.function.handler, self.arn,
             str(self.function.timeout)],
            cwd=self.function.code_dir, env=self._env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._pump, args=(self._process,), daemon=True,
                         name=f"log-{self.function.logical_id}").start()

    def _pump(self, process: subprocess.Popen[bytes]) -> None:
        """First line: the port the runtime bound. Then the function's logs, prefixed."""
        assert process.stdout is not None
        first = process.stdout.readline()
        try:
            self._port = json.loads(first)["port"]
        except (ValueError, KeyError):
            log.error("%s: runtime did not start: %s", self.function.logical_id, first.decode(errors="replace"))
        self._announced.set()
        for line in process.stdout:
            sys.stdout.write(f"[{self.function.logical_id}] {line.decode(errors='replace')}")
            sys.stdout.flush()

    def wait_ready(self, deadline: float) -> dict[str, Any]:
        """Block until the handler is imported; return the runtime's init report."""
        if not self._announced.wait(max(0.0, deadline - time.monotonic())) or self._port is None:
            raise WorkerUnavailable(f"{self.function.logical_id} did not start")
        while True:
            try:
                return self._request("GET", "/ping", None, max(0.1, deadline - time.monotonic()))[1].result()
            except (OSError, http.client.HTTPException) as exc:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    raise WorkerUnavailable(f"{self.function.logical_id} is not answering: {exc}") from exc
                time.sleep(0.05)

    @property
    def port(self) -> int | None:
        return self._port

    def ping(self) -> dict[str, Any] | None:
        if self._port is None or self._process is None or self._process.poll() is not None:
            return None
        try:
            return self._request("GET", "/ping", None, 2.0)[1].result()
        except (OSError, http.client.HTTPException):
            return None

    def invoke(self, event: bytes, timeout: float | None = None) -> Invocation:
        """Run the function on an event (JSON bytes).

        Past the function's own Timeout the result is Lambda's timeout error; a shorter
        caller deadline (the API gateway's 29 s) raises InvokeTimeout instead.
        """
        self._ensure_running()
        limit = self.function.timeout if timeout is None else min(timeout, self.function.timeout)
        try:
            status, invocation = self._request("POST", f"/2015-03-31/functions/{self.function.name}/invocations",
                                               event, limit)
        except socket.timeout:
            if limit < self.function.timeout:
                raise InvokeTimeout(f"{self.function.logical_id} did not answer within {limit:.0f} s") from None
            message = f"Task timed out after {self.function.timeout:.2f} seconds"
            return Invocation(json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}).encode(),
                              "Unhandled")
        except (OSError, http.client.HTTPException) as exc:
            raise WorkerUnavailable(f"{self.function.logical_id}: {exc}") from exc
        if status >= 400:
            raise WorkerUnavailable(f"{self.function.logical_id} refused the invocation: {invocation.payload!r}")
        return invocation

    def _ensure_running(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                return
            log.warning("%s: worker exited (%s); starting a new one", self.function.logical_id,
                        self._process.returncode if self._process else "never started")
            self.start()
            self.wait_ready(time.monotonic() + 30)

    def _request(self, method: str, path: str, body: bytes | None, timeout: float) -> tuple[int, Invocation]:
        conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            return response.status, Invocation(response.read(), response.getheader("X-Amz-Function-Error"))
        finally:
            conn.close()

    def terminate(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()

    def wait_stopped(self, timeout: float) -> None:
        if self._process is None:
            return
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class Workers:
    """Every function of the template, found by logical id, name or ARN."""

    def __init__(self, functions: list[Function], endpoint: str) -> None:
        self._workers = {fn.logical_id: Worker(fn, endpoint) for fn in functions}
        self._aliases = {}
        for logical, worker in self._workers.items():
            self._aliases[logical] = self._aliases[worker.function.name] = worker

    def __iter__(self):
        return iter(self._workers.values())

    def get(self, name: str) -> Worker | None:
        """Accepts what Lambda's FunctionName accepts: name, ARN, partial ARN, with a qualifier or not."""
        if "function:" in name:
            name = name.split("function:", 1)[1]
        return self._aliases.get(name.split(":", 1)[0])

    def launch(self) -> None:
        """Start every worker process; they import their handlers in parallel."""
        for worker in self:
            worker.start()

    def wait_ready(self, timeout: float = 60) -> dict[str, dict[str, Any]]:
        """Each worker's init report, once all have imported their handlers."""
        deadline = time.monotonic() + timeout
        return {logical: worker.wait_ready(deadline) for logical, worker in self._workers.items()}

    def health(self) -> dict[str, dict[str, Any]]:
        report = {}
        for logical, worker in self._workers.items():
            ping = worker.ping()
            if ping is None:
                report[logical] = {"status": "down"}
            elif ping.get("init_error"):
                error = ping["init_error"]
                report[logical] = {"status": "init_error", "port": worker.port,
                                   "error": f"{error['errorType']}: {error['errorMessage']}"}
            else:
                report[logical] = {"status": "ready", "port": worker.port}
        return report

    def stop(self) -> None:
        for worker in self:
            worker.terminate()
        deadline = time.monotonic() + 1.5
        for worker in self:
            worker.wait_stopped(timeout=max(0.05, deadline - time.monotonic()))


# ----------------------------------------------------- Step Functions → workers
def install_invoke_hook(workers: Workers) -> None:
    """Answer lambda.Invoke calls made through the default boto3 session of this process.

    moto's Step Functions executor (server mode) creates its Lambda client from the
    default session, so every `arn:aws:states:::lambda:invoke` step lands here.
    """
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register("before-send.lambda.Invoke", functools.partial(_answer_invoke, workers))


def _answer_invoke(workers: Workers, request: Any, **_: Any) -> AWSResponse:
    name = invoked_function(request)
    worker = workers.get(name)
    if worker is None:
        body = json.dumps({"Type": "User", "Message": f"Function not found: {name}"}).encode()
        return invoke_response(request.url, body, 404, {"x-amzn-ErrorType": "ResourceNotFoundException"})
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
    if isinstance(invocation_type, bytes):
        invocation_type = invocation_type.decode()
    if invocation_type == "Event":
        threading.Thread(target=worker.invoke, args=(body,), daemon=True).start()
        return invoke_response(request.url, b"", 202)
    try:
        result = worker.invoke(body)
    except WorkerUnavailable as exc:
        error = json.dumps({"Type": "Service", "Message": str(exc)}).encode()
        return invoke_response(request.url, error, 500, {"x-amzn-ErrorType": "ServiceException"})
    headers = {"X-Amz-Executed-Version": "$LATEST", **({"X-Amz-Function-Error": result.error} if result.error else {})}
    return invoke_response(request.url, result.payload, headers=headers)
