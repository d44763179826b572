"""Function workers: for each function, a pool of execution environments, as Lambda keeps.

An execution environment is a process running `runtime.py`, which imports the function's
handler from its CodeUri with the template's environment variables (resolved) plus what
Lambda itself sets, and serves the Lambda Invoke API on loopback; it runs one invocation
at a time. A function's pool starts environments on demand, up to its concurrency limit
(the `--concurrency` default, `ReservedConcurrentExecutions` when the template sets a
lower one, or a per-function override), and reuses idle ones (warm starts). A request
that finds every environment busy waits for one; one that waits longer than the caller
allows is throttled (Lambda's TooManyRequestsException). An environment whose invocation
ran past the function's Timeout, or that died, is killed and dropped, as Lambda replaces
it; the next request gets a fresh one.

Everything in this process that invokes a function goes through its pool: the gateway,
Step Functions' `lambda:invoke` tasks (`install_invoke_hook`), the stream and queue
pollers, the schedules and the demo seeding.
"""
from __future__ import annotations

import collections
from dataclasses import dataclass, field
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


# Environments per function unless overridden: each is a Python process (~60-100 MB), and
# a laptop's few cores are shared with moto and the gateway, which most invocations wait on.
DEFAULT_CONCURRENCY = int(os.environ.get("LOCAL_CONCURRENCY", "4"))
# The queue of a caller with a deadline (the gateway) is bounded: beyond MAX_WAITING invocations
# waiting for a function, or after QUEUE_WAIT_SECONDS in line, it is throttled (429: nothing ran).
# Its deadline (29 s) counts from when an environment takes the invocation.
MAX_WAITING = 256
QUEUE_WAIT_SECONDS = 60.0
START_DEADLINE_SECONDS = 60.0


class WorkerUnavailable(Exception):
    """No environment could be started, or one refused the invocation."""


class Throttled(WorkerUnavailable):
    """Every environment stayed busy (or the function's reserved concurrency is 0): Lambda's 429."""


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
        "PYTHONPATH": os.pathsep.join(path), "PYTHONUNBUFFERED": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }


class Environment:
    """One execution environment: a runtime process with the function's handler imported."""

    def __init__(self, fn: Function, function_arn: str, env: dict[str, str], label: str) -> None:
        self.function = fn
        self.label = label
        self._arn = function_arn
        self._env = env
        self._process: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._announced = threading.Event()

    def start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "infrastructure.local.runtime", self.function.handler, self._arn,
             str(self.function.timeout)],
            cwd=self.function.code_dir, env=self._env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._pump, args=(self._process,), daemon=True, name=f"log-{self.label}").start()

    def _pump(self, process: subprocess.Popen[bytes]) -> None:
        """First line: the port the runtime bound. Then the function's logs, prefixed."""
        assert process.stdout is not None
        first = process.stdout.readline()
        try:
            self._port = json.loads(first)["port"]
        except (ValueError, KeyError):
            log.error("%s: runtime did not start: %s", self.label, first.decode(errors="replace"))
        self._announced.set()
        for line in process.stdout:
            sys.stdout.write(f"[{self.label}] {line.decode(errors='replace')}")
            sys.stdout.flush()

    def wait_ready(self, deadline: float) -> dict[str, Any]:
        """Block until the handler is imported; return the runtime's init report."""
        if not self._announced.wait(max(0.0, deadline - time.monotonic())) or self._port is None:
            raise WorkerUnavailable(f"{self.label} did not start")
        while True:
            try:
                return self._request("GET", "/ping", None, max(0.1, deadline - time.monotonic()))[1].result()
            except (OSError, http.client.HTTPException) as exc:
                if time.monotonic() > deadline or not self.alive():
                    raise WorkerUnavailable(f"{self.label} is not answering: {exc}") from exc
                time.sleep(0.05)

    @property
    def port(self) -> int | None:
        return self._port

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def invoke(self, event: bytes, timeout: float) -> tuple[int, Invocation]:
        """Raises socket.timeout past `timeout`, OSError when the process is gone or dies."""
        return self._request("POST", f"/2015-03-31/functions/{self.function.name}/invocations", event, timeout)

    def _request(self, method: str, path: str, body: bytes | None, timeout: float) -> tuple[int, Invocation]:
        conn = http.client.HTTPConnection("127.0.0.1", self._port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            return response.status, Invocation(response.read(), response.getheader("X-Amz-Function-Error"))
        finally:
            conn.close()

    def kill(self) -> None:
        """Lambda's end for an environment whose invocation timed out: no clean-up, no waiting on it."""
        if self.alive():
            self._process.kill()
            self._process.wait()

    def terminate(self) -> None:
        if self.alive():
            self._process.terminate()

    def wait_stopped(self, timeout: float) -> None:
        if self._process is None:
            return
        try:
            self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class Worker:
    """One function's pool of execution environments.

    An invocation takes an idle environment (the most recently used: the warmest). When none
    is idle it queues, first come first served; while the pool is under its limit a new
    environment is started for each queued invocation, and whichever environment frees up or
    becomes ready first serves the oldest in line.
    """

    def __init__(self, fn: Function, endpoint: str, limit: int) -> None:
        self.function = fn
        self.arn = arn("lambda", f"function:{fn.name}")
        self.limit = limit
        self._env = function_environment(fn, endpoint)
        self._cond = threading.Condition()
        self._idle: list[Environment] = []  # the last released is taken first
        self._busy: set[Environment] = set()
        self._queue: collections.deque[_Waiter] = collections.deque()  # invocations waiting, oldest first
        self._starting = 0
        self._started = 0  # environments ever started, to label them
        self._replaced = 0  # environments killed after a timeout or found dead
        self._start_error: str | None = None
        self._init_report: dict[str, Any] | None = None

    # --------------------------------------------------------------- invoking
    def invoke(self, event: bytes, timeout: float | None = None) -> Invocation:
        """Run the function on an event (JSON bytes) in an environment of the pool.

        `timeout` is the caller's deadline for the invocation (API Gateway's 29 s), counted
        from when an environment takes it: the wait for a free one stands in for the
        environments Lambda would have added, so it is bounded apart (MAX_WAITING and
        QUEUE_WAIT_SECONDS, then Throttled). The deadline passing before the function's own Timeout raises
        InvokeTimeout while the function runs on to its end, as in Lambda. Past the
        function's Timeout the result is Lambda's timeout error and the environment is
        replaced. Without a `timeout` (pollers, Step Functions, schedules) the caller
        waits for an environment as long as it takes.
        """
        queue_deadline = None if timeout is None else time.monotonic() + QUEUE_WAIT_SECONDS
        for attempt in range(3):
            env = self._acquire(queue_deadline)
            try:
                if timeout is None or timeout >= self.function.timeout:
                    return self._run(env, event)
                return self._run_within(env, event, timeout)
            except _NeverStarted:
                if attempt == 2:
                    raise WorkerUnavailable(f"{self.function.logical_id}: no environment accepted the invocation") \
                        from None
        raise AssertionError("unreachable")

    def _run_within(self, env: Environment, event: bytes, remaining: float) -> Invocation:
        """The caller gives up first; the invocation still runs to its end in its environment."""
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                outcome["result"] = self._run(env, event)
            except Exception as exc:  # noqa: BLE001 — handed to the caller below
                outcome["error"] = exc
            done.set()

        threading.Thread(target=run, daemon=True, name=f"invoke-{env.label}").start()
        if not done.wait(max(0.0, remaining)):
            raise InvokeTimeout(f"{self.function.logical_id} did not answer within the caller's deadline")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]

    def _run(self, env: Environment, event: bytes) -> Invocation:
        try:
            status, invocation = env.invoke(event, self.function.timeout)
        except socket.timeout:
            self._discard(env, f"invocation timed out after {self.function.timeout} s")
            message = f"Task timed out after {self.function.timeout:.2f} seconds"
            return Invocation(json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}).encode(),
                              "Unhandled")
        except ConnectionRefusedError:
            self._discard(env, "it stopped listening")
            raise _NeverStarted() from None
        except (OSError, http.client.HTTPException) as exc:
            self._discard(env, f"it failed during an invocation ({exc})")
            message = f"Runtime exited during the invocation: {exc}"
            return Invocation(json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}).encode(),
                              "Unhandled")
        self._release(env)
        if status >= 400:
            raise WorkerUnavailable(f"{env.label} refused the invocation: {invocation.payload!r}")
        return invocation

    # ------------------------------------------------------------------- pool
    def _acquire(self, queue_deadline: float | None) -> Environment:
        """An environment for one invocation, first come first served.

        All being busy, a caller with a deadline is throttled when the queue is full or at the
        deadline; while an environment is starting it waits for that one (a cold start is not
        a throttle).
        """
        with self._cond:
            if self.limit <= 0:
                raise Throttled(f"{self.function.logical_id}: reserved concurrency is 0")
            if not self._queue:
                env = self._take_idle()
                if env is not None:
                    return env
            if queue_deadline is not None and len(self._queue) >= MAX_WAITING:
                raise Throttled(f"{self.function.logical_id}: {MAX_WAITING} invocations are already waiting")
            waiter = _Waiter()
            self._queue.append(waiter)
            self._grow()
        while True:
            left = None if queue_deadline is None else queue_deadline - time.monotonic()
            # Short waits: whether an environment is starting (so whether the deadline holds) may change.
            waiter.ready.wait(0.5 if left is None else max(0.0, min(left, 0.5)))
            with self._cond:
                if waiter.env is not None:
                    return waiter.env
                if waiter.error is not None:
                    raise waiter.error
                if queue_deadline is not None and time.monotonic() >= queue_deadline and not self._starting:
                    self._queue.remove(waiter)
                    raise Throttled(f"{self.function.logical_id}: all {self.limit} environments stayed busy")

    def _take_idle(self) -> Environment | None:
        """The warmest idle environment, marked busy (the caller holds the lock)."""
        while self._idle:
            env = self._idle.pop()
            if env.alive():
                self._busy.add(env)
                return env
            self._replaced += 1
            log.warning("%s had exited while idle; dropped", env.label)
        return None

    def _hand_over(self, env: Environment) -> None:
        """A free environment goes to the longest waiting invocation, else back to the idle ones (lock held)."""
        if self._queue:
            waiter = self._queue.popleft()
            self._busy.add(env)
            waiter.env = env
            waiter.ready.set()
        else:
            self._idle.append(env)

    def _grow(self) -> None:
        """Start an environment for each waiting invocation no starting one will serve, up to the limit."""
        while (len(self._busy) + len(self._idle) + self._starting < self.limit
               and self._starting < len(self._queue)):
            self._spawn()

    def _spawn(self) -> None:
        """Start one more environment (the caller holds the lock)."""
        self._starting += 1
        self._started += 1
        label = self.function.logical_id if self._started == 1 else f"{self.function.logical_id}#{self._started}"
        env = Environment(self.function, self.arn, self._env, label)
        threading.Thread(target=self._bring_up, args=(env,), daemon=True, name=f"start-{label}").start()

    def _bring_up(self, env: Environment) -> None:
        try:
            env.start()
            report = env.wait_ready(time.monotonic() + START_DEADLINE_SECONDS)
        except (OSError, WorkerUnavailable) as exc:
            env.kill()
            log.error("%s: %s", env.label, exc)
            with self._cond:
                self._starting -= 1
                self._start_error = f"{env.label} could not start: {exc}"
                if not (self._busy or self._starting):  # nothing else will serve the waiting invocations
                    while self._queue:
                        waiter = self._queue.popleft()
                        waiter.error = WorkerUnavailable(self._start_error)
                        waiter.ready.set()
                self._cond.notify_all()
            return
        with self._cond:
            self._starting -= 1
            self._init_report, self._start_error = report, None
            self._hand_over(env)
            self._cond.notify_all()

    def _release(self, env: Environment) -> None:
        with self._cond:
            self._busy.discard(env)
            self._hand_over(env)

    def _discard(self, env: Environment, why: str) -> None:
        """Kill an environment and free its place, so the next invocation gets a new one."""
        log.warning("%s: %s; replacing the environment", env.label, why)
        env.kill()
        with self._cond:
            self._busy.discard(env)
            self._replaced += 1
            self._grow()

    # -------------------------------------------------------------- lifecycle
    def launch(self) -> None:
        """Start the first environment now (its handler imports while the system starts)."""
        with self._cond:
            if self.limit > 0 and not (self._idle or self._busy or self._starting):
                self._spawn()

    def wait_ready(self, deadline: float) -> dict[str, Any]:
        """The init report of the launched environment, once its handler is imported."""
        with self._cond:
            while self._starting and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))
            if self._init_report is None:
                raise WorkerUnavailable(self._start_error or f"{self.function.logical_id} did not start in time")
            return self._init_report

    def status(self) -> dict[str, Any]:
        """What /_local/health shows for this function."""
        with self._cond:
            environments = [*self._busy, *self._idle]
            busy, starting, waiting = len(self._busy), self._starting, len(self._queue)
            init, start_error = self._init_report, self._start_error
        alive = [e for e in environments if e.alive()]
        pool = {"environments": len(alive), "busy": busy, "starting": starting, "waiting": waiting,
                "limit": self.limit, "replaced": self._replaced, "port": alive[-1].port if alive else None}
        if init and init.get("init_error"):
            error = init["init_error"]
            return {"status": "init_error", "error": f"{error['errorType']}: {error['errorMessage']}", **pool}
        if not alive and not starting and start_error and self.limit > 0:
            return {"status": "down", "error": start_error, **pool}
        return {"status": "ready", **pool}

    def stop(self) -> list[Environment]:
        """Ask every environment to end; the caller waits for them."""
        with self._cond:
            environments = [*self._busy, *self._idle]
        for env in environments:
            env.terminate()
        return environments


@dataclass(eq=False)
class _Waiter:
    """An invocation waiting for an environment; the pool hands it one (or an error) and sets `ready`."""
    ready: threading.Event = field(default_factory=threading.Event)
    env: Environment | None = None
    error: Exception | None = None


class _NeverStarted(Exception):
    """The environment was gone before the invocation reached it: safe to try another."""


class Workers:
    """Every function's pool, found by logical id, name or ARN."""

    def __init__(self, functions: list[Function], endpoint: str, concurrency: int = DEFAULT_CONCURRENCY,
                 overrides: dict[str, int] | None = None) -> None:
        overrides = overrides or {}
        unknown = set(overrides) - {n for fn in functions for n in (fn.logical_id, fn.name)}
        if unknown:
            raise ValueError(f"no such function in the template: {', '.join(sorted(unknown))}")
        self._workers = {fn.logical_id: Worker(fn, endpoint, concurrency_limit(fn, concurrency, overrides))
                         for fn in functions}
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
        """Start one environment per function; they import their handlers in parallel."""
        for worker in self:
            worker.launch()

    def wait_ready(self, timeout: float = 60) -> dict[str, dict[str, Any]]:
        """Each function's init report, once all have imported their handlers."""
        deadline = time.monotonic() + timeout
        return {logical: worker.wait_ready(deadline) for logical, worker in self._workers.items() if worker.limit > 0}

    def health(self) -> dict[str, dict[str, Any]]:
        return {logical: worker.status() for logical, worker in self._workers.items()}

    def stop(self) -> None:
        environments = [env for worker in self for env in worker.stop()]
        deadline = time.monotonic() + 1.5  # the whole stop takes seconds (SIGTERM's budget)
        for env in environments:
            env.wait_stopped(timeout=max(0.05, deadline - time.monotonic()))


def concurrency_limit(fn: Function, default: int, overrides: dict[str, int]) -> int:
    """An override by logical id or name wins; else the default, lowered to the template's reserved concurrency."""
    for name in (fn.logical_id, fn.name):
        if name in overrides:
            return overrides[name]
    reserved = fn.reserved_concurrency
    return default if reserved is None else min(default, reserved)


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
    except Throttled as exc:  # Step Functions sees Lambda.TooManyRequestsException, which ASL may Retry
        error = json.dumps({"Type": "User", "message": str(exc),
                            "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}).encode()
        return invoke_response(request.url, error, 429, {"x-amzn-ErrorType": "TooManyRequestsException"})
    except WorkerUnavailable as exc:
        error = json.dumps({"Type": "Service", "Message": str(exc)}).encode()
        return invoke_response(request.url, error, 500, {"x-amzn-ErrorType": "ServiceException"})
    headers = {"X-Amz-Executed-Version": "$LATEST", **({"X-Amz-Function-Error": result.error} if result.error else {})}
    return invoke_response(request.url, result.payload, headers=headers)
