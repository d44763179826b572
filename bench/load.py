"""Load figure: many clients at once against the local system, and how soon it is normal again.

    .venv/bin/python -m bench.load [--clients 200] [--requests 2000] [--url http://127.0.0.1:3000]
                                   [--system-arg=--concurrency=8 ...]

Without --url it starts the local system (`python -m infrastructure.local`) on free ports
with fresh data in a temporary folder, as `make run --fresh` would, and stops it at the
end. Each client keeps one keep-alive connection and sends its share of a fixed, seeded
mix of reads and writes as a stack manager (mostly the stacks function, plus identity
and circulation reads); every POST carries an `Idempotency-Key`. Printed:
  - answers by status, and the errors (5xx, connection failures, unexpected 4xx);
  - throughput (requests per second over the whole load) and p50/p95/p99 latency;
  - boxes acknowledged (201) vs boxes stored: a 5xx that had committed shows as more
    stored than acknowledged;
  - recovery: from the moment the last client finished, the time until a probe to each
    function used answers 2xx (0 s: the first probe already did), and that probe's latency;
  - the functions' execution environments after the load (/_local/health).
Nothing here judges the figures; see bench/README.md.
"""
from __future__ import annotations

import argparse
from collections import Counter
import http.client
import json
import os
import pathlib
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any
import urllib.parse
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
STARTUP_DEADLINE = 180.0
CLIENT_TIMEOUT = 120.0  # beyond the local queue's 60 s and the gateway's 29 s: their answers are what a client sees
RECOVERY_DEADLINE = 300.0
# (weight, kind): reads and writes as a stack manager's console and scanners make them.
MIX = [(30, "list_boxes"), (15, "get_box"), (10, "list_profiles"), (10, "me"), (10, "list_requests"),
       (15, "register_box"), (10, "create_profile")]
PROBES = {"StacksFunction": "/boxes?limit=1", "IdentityFunction": "/me", "CirculationFunction": "/circulation/requests?limit=1"}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """One keep-alive connection, as a browser or an integration would hold."""

    def __init__(self, host: str, port: int, token: str | None = None) -> None:
        self.host, self.port, self.token = host, port, token
        self._conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             timeout: float = CLIENT_TIMEOUT) -> tuple[int | str, Any, float]:
        """(status or the connection error's name, parsed body, seconds)."""
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            self._conn.timeout = timeout
            self._conn.request(method, path, body=data, headers=headers)
            response = self._conn.getresponse()
            raw = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return type(exc).__name__, None, time.perf_counter() - started
        elapsed = time.perf_counter() - started
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return response.status, parsed, elapsed

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Workload:
    """The seeded request mix and what it needs to exist first."""

    def __init__(self, client: Client, run_id: str) -> None:
        self.run_id = run_id
        status, profile, _ = client.call("POST", "/container-profiles", {
            "name": f"Load box {run_id}", "width_mm": 100, "height_mm": 300, "depth_mm": 380, "weight_kg": 6},
            {"Idempotency-Key": f"load-{run_id}-profile"})
        if status != 201:
            raise SystemExit(f"setup: POST /container-profiles answered {status}: {profile}")
        self.profile_id = profile["id"]
        status, box, _ = client.call("POST", "/boxes", self._box(0), {"Idempotency-Key": f"load-{run_id}-box-0"})
        if status != 201:
            raise SystemExit(f"setup: POST /boxes answered {status}: {box}")
        self.box_id = box["id"]

    def _box(self, n: int) -> dict[str, Any]:
        return {"barcode": f"LOAD-{self.run_id}-{n:05d}", "container_profile_id": self.profile_id,
                "producing_unit": "Load Division", "record_form": "document", "title": f"Load box {n}"}

    def request(self, kind: str, n: int) -> tuple[str, str, Any, dict[str, str], set[int]]:
        """(method, path, body, headers, expected statuses) of the n-th request."""
        key = {"Idempotency-Key": f"load-{self.run_id}-{n}"}
        return {
            "list_boxes": lambda: ("GET", "/boxes?limit=20", None, {}, {200}),
            "get_box": lambda: ("GET", f"/boxes/{self.box_id}", None, {}, {200}),
            "list_profiles": lambda: ("GET", "/container-profiles?limit=10", None, {}, {200}),
            "me": lambda: ("GET", "/me", None, {}, {200}),
            "list_requests": lambda: ("GET", "/circulation/requests?limit=10", None, {}, {200}),
            "register_box": lambda: ("POST", "/boxes", self._box(n + 1), key, {201}),
            "create_profile": lambda: ("POST", "/container-profiles", {
                "name": f"Load profile {self.run_id}-{n}", "width_mm": 100, "height_mm": 250, "depth_mm": 380,
                "weight_kg": 5}, key, {201}),
        }[kind]()


def _plan(requests: int, clients: int, seed: int) -> list[list[tuple[int, str]]]:
    rng = random.Random(seed)
    kinds = [kind for weight, kind in MIX for _ in range(weight)]
    plan: list[list[tuple[int, str]]] = [[] for _ in range(clients)]
    for n in range(requests):
        plan[n % clients].append((n, rng.choice(kinds)))
    return plan


def _percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def _count_boxes(client: Client, run_id: str) -> int:
    """Boxes of this run stored (paging through the organisation's boxes)."""
    count, cursor = 0, None
    while True:
        path = "/boxes?limit=100" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        status, page, _ = client.call("GET", path)
        if status != 200:
            return -1
        count += sum(1 for b in page["items"] if b.get("barcode", "").startswith(f"LOAD-{run_id}-"))
        cursor = page.get("next_cursor") or page.get("cursor") or page.get("next")
        if not cursor:
            return count


def _recovery(host: str, port: int, token: str, paths: dict[str, str]) -> dict[str, Any]:
    """Per probe: seconds from now until the round of probes in which it first answered 2xx (0.00: the first
    round), that answer's latency, and the first status seen. A round is one request to each pending probe."""
    started = time.perf_counter()
    pending, found = dict(paths), {}
    clients = {name: Client(host, port, token) for name in paths}
    while pending and time.perf_counter() - started < RECOVERY_DEADLINE:
        round_at = time.perf_counter() - started
        for name, path in list(pending.items()):
            status, _, elapsed = clients[name].call("GET", path, timeout=35)
            first = found.get(name, {}).get("first_status", status)
            if isinstance(status, int) and 200 <= status < 300:
                found[name] = {"after_s": round(round_at, 2), "probe_ms": round(elapsed * 1000, 1),
                               "first_status": first}
                del pending[name]
            else:
                found[name] = {"first_status": first}
        if pending:
            time.sleep(0.5)
    for name in pending:
        found[name] = {**found.get(name, {}), "after_s": None}
    return found


def run_load(base_url: str, clients: int, requests: int, seed: int = 7, log=print) -> dict[str, Any]:
    url = urllib.parse.urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    status, token_doc, _ = Client(host, port).call("POST", "/_local/token", {"demo": "stacks@src"})
    if status != 200:
        raise SystemExit(f"POST /_local/token answered {status}")
    token = token_doc["token"]
    run_id = uuid.uuid4().hex[:8].upper()
    setup = Client(host, port, token)
    workload = Workload(setup, run_id)
    plan = _plan(requests, clients, seed)
    results: list[tuple[str, int | str, float, bool]] = []
    lock = threading.Lock()
    go = threading.Barrier(clients + 1)

    def client_loop(share: list[tuple[int, str]]) -> None:
        client = Client(host, port, token)
        go.wait()
        mine = []
        for n, kind in share:
            method, path, body, headers, expected = workload.request(kind, n)
            status, _, elapsed = client.call(method, path, body, headers)
            mine.append((kind, status, elapsed, status in expected))
        client.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client_loop, args=(share,), daemon=True) for share in plan]
    for thread in threads:
        thread.start()
    log(f"load: {clients} clients × {requests} requests against {base_url} …")
    go.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - started
    log(f"load: done in {duration:.1f} s; probing for recovery …")
    recovery = _recovery(host, port, token, PROBES)

    statuses = Counter(str(status) for _, status, _, _ in results)
    errors = Counter(f"{kind} → {status}" for kind, status, _, ok in results if not ok)
    latencies = sorted(elapsed for *_, elapsed, _ in results)
    acknowledged = sum(1 for kind, status, _, _ in results if kind == "register_box" and status == 201) + 1
    stored = _count_boxes(setup, run_id)
    status, health, _ = Client(host, port).call("GET", "/_local/health", timeout=30)
    pools = {name: {k: v for k, v in f.items() if k in ("environments", "busy", "limit", "replaced")}
             for name, f in ((health or {}).get("functions") or {}).items()} if status == 200 else {}
    return {
        "clients": clients, "requests": len(results), "duration_s": round(duration, 2),
        "throughput_rps": round(len(results) / duration, 1) if duration else None,
        "latency_ms": {"p50": round(_percentile(latencies, 50) * 1000, 1),
                       "p95": round(_percentile(latencies, 95) * 1000, 1),
                       "p99": round(_percentile(latencies, 99) * 1000, 1),
                       "max": round(latencies[-1] * 1000, 1) if latencies else None,
                       "mean": round(statistics.fmean(latencies) * 1000, 1) if latencies else None},
        "statuses": dict(sorted(statuses.items())), "errors": sum(errors.values()),
        "errors_by_kind": dict(sorted(errors.items())),
        "boxes": {"acknowledged": acknowledged, "stored": stored},
        "recovery": recovery, "environments_after": pools,
    }


def _start_system(folder: pathlib.Path, extra: list[str], log) -> tuple[subprocess.Popen, str]:
    port, moto_port = _free_port(), _free_port()
    args = [sys.executable, "-m", "infrastructure.local", "--fresh", "--port", str(port), "--moto-port",
            str(moto_port), "--data-dir", str(folder / "data"), *extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    log_path = folder / "local.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_DEADLINE
    probe = Client("127.0.0.1", port)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the local system exited ({proc.returncode}); see {log_path}")
        status, _, _ = probe.call("GET", "/_local/health", timeout=5)
        if status == 200:
            log(f"local system up on {base} ({' '.join(args[3:])})")
            return proc, base
        time.sleep(0.25)
    _stop(proc)
    raise SystemExit(f"the local system was not healthy within {STARTUP_DEADLINE:.0f} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def report(result: dict[str, Any]) -> str:
    latency = result["latency_ms"]
    lines = [
        f"Load: {result['clients']} clients, {result['requests']} requests in {result['duration_s']} s "
        f"= {result['throughput_rps']} req/s",
        f"  latency ms     p50 {latency['p50']}  p95 {latency['p95']}  p99 {latency['p99']}  max {latency['max']}",
        f"  answers        {', '.join(f'{s}: {n}' for s, n in result['statuses'].items())}",
        f"  errors         {result['errors']}"
        + (f"  ({', '.join(f'{k}: {n}' for k, n in result['errors_by_kind'].items())})" if result["errors"] else ""),
        f"  boxes          acknowledged {result['boxes']['acknowledged']}, stored {result['boxes']['stored']}",
        "  recovery       " + ", ".join(
            f"{name} {'not within %.0f s' % RECOVERY_DEADLINE if r['after_s'] is None else '%.2f s' % r['after_s']}"
            + (f" (probe {r['probe_ms']} ms)" if r.get("probe_ms") is not None else "")
            for name, r in result["recovery"].items()),
    ]
    if result["environments_after"]:
        lines.append("  environments   " + ", ".join(
            f"{name} {p.get('environments', '?')}/{p.get('limit', '?')}"
            for name, p in result["environments_after"].items() if name in PROBES))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", help="a running local system (default: start one with fresh data)")
    parser.add_argument("--system-arg", action="append", default=[],
                        help="an option for the started local system, e.g. --system-arg=--concurrency=4")
    parser.add_argument("--json", type=pathlib.Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    if args.url:
        result = run_load(args.url, args.clients, args.requests, args.seed, log)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
            proc, base = _start_system(pathlib.Path(tmp), args.system_arg, log)
            try:
                result = run_load(base, args.clients, args.requests, args.seed, log)
            finally:
                _stop(proc)
    print(report(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
