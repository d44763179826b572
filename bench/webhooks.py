"""Webhooks through the local system: how long from a domain event to its signed delivery, and how
many deliveries a second.

    .venv/bin/python -m bench.webhooks [--sequential 40] [--burst 200] [--url http://127.0.0.1:3000]

Without --url it starts the local system (`python -m infrastructure.local --fresh
--webhooks-to-loopback`) on free ports; with --url the running system must have been started
with --webhooks-to-loopback. An admin registers a partner client with a key, the client
subscribes a receiver in this process (127.0.0.1) to `stacks.ContainerProfileCreated`, and a
stack manager creates container profiles:

1. **latency**, one event at a time: from the event's `occurred_at` (the commit) to the receiver
   reading the delivery (relay → bus → partners' queue → fan-out → deliveries queue → a try). The
   receiver answers 200 at once. p50/p95/p99 and the slowest.
2. **throughput**, a burst: N profiles created by 8 writers at once; deliveries per second from the
   first event to the last delivery, and the burst's latency p50/p99.
Every delivery is also verified with the `standardwebhooks` package (figures count only verified
ones). Nothing is judged; figures are printed. One machine, two cores, shared: read the figures
beside the gateway's own latency for a plain route (printed too, same run).
"""
from __future__ import annotations

import argparse
import concurrent.futures
from datetime import datetime
import json
import pathlib
import statistics
import sys
import tempfile
import threading
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import Client, _start_system, _stop  # noqa: E402


class Receiver:
    """The partner's endpoint: records each POST (headers, body, arrival time) and answers 200 at once.
    (tests/support/receiver.py is the tests' scriptable one; bench/ imports nothing from tests/.)"""

    def __init__(self) -> None:
        import http.server
        import threading

        self.received: list[tuple[dict[str, str], bytes, float]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.arrived:
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body, time.time()))
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/bench"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float) -> None:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def _at(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _token(client: Client, who: str) -> str:
    status, body, _ = client.call("POST", "/_local/token", {"demo": who})
    if status != 200:
        raise SystemExit(f"POST /_local/token answered {status}")
    return body["token"]


def _setup(host: str, port: int, receiver: Receiver, log) -> tuple[str, str]:
    """(the subscription's secret, a stack manager's token)."""
    anon = Client(host, port)
    admin = Client(host, port, _token(anon, "admin@src"))
    deadline = time.monotonic() + 120
    while admin.call("GET", "/me")[0] != 200:  # demo users are active once provisioned
        if time.monotonic() > deadline:
            raise SystemExit("the demo admin was not provisioned within 120 s")
        time.sleep(0.5)
    run = uuid.uuid4().hex[:8]
    status, client, _ = admin.call("POST", "/partners/clients", {
        "name": f"Bench receiver {run}", "contact": {"name": "Bench", "email": "bench@example.org"},
        "scopes": ["webhooks:manage"], "event_types": ["stacks.*"]}, {"Idempotency-Key": f"bench-{run}"})
    if status != 201:
        raise SystemExit(f"registering a partner client answered {status}: {client}")
    status, issued, _ = admin.call("POST", f"/partners/clients/{client['id']}/keys", {},
                                   {"Idempotency-Key": f"bench-key-{run}"})
    if status != 201:
        raise SystemExit(f"issuing a key answered {status}: {issued}")
    status, sub, _ = Client(host, port).call(
        "POST", "/partners/webhooks", {"url": receiver.url, "event_types": ["stacks.ContainerProfileCreated"]},
        {"X-Api-Key": issued["secret"], "Idempotency-Key": f"bench-sub-{run}"})
    if status != 201:
        raise SystemExit(f"subscribing answered {status}: {sub} (was the system started with --webhooks-to-loopback?)")
    log(f"subscribed {receiver.url} as {sub['id']}")
    return sub["secret"], _token(anon, "stacks@src")


def _create(client: Client, n: int, run: str) -> float:
    started = time.perf_counter()
    status, body, _ = client.call("POST", "/container-profiles", {
        "name": f"bench {run} {n}", "width_mm": 100, "height_mm": 300, "depth_mm": 380, "weight_kg": 5},
        {"Idempotency-Key": f"bench-{run}-{n}"})
    if status != 201:
        raise SystemExit(f"POST /container-profiles answered {status}: {body}")
    return time.perf_counter() - started


def _latencies(receiver: Receiver, secret: str, first: int, names: set[str]) -> dict[str, float]:
    """Per verified delivery of those profiles: seconds from the event to its arrival."""
    from standardwebhooks import Webhook

    verifier, found = Webhook(secret), {}
    for headers, body, arrived in receiver.received[first:]:
        payload = verifier.verify(body, headers)
        name = payload["data"]["payload"].get("name")
        if name in names and name not in found:
            found[name] = arrived - _at(payload["data"]["occurred_at"])
    return found


def run(host: str, port: int, sequential: int, burst: int, log=print) -> dict:
    receiver = Receiver()
    try:
        secret, token = _setup(host, port, receiver, log)
        stacks = Client(host, port, token)
        run_id = uuid.uuid4().hex[:6]
        _create(stacks, -1, run_id)  # warm every function on the path once
        receiver.wait_for(1, timeout=120)

        log(f"latency: {sequential} events, one at a time")
        first, names, route = len(receiver.received), set(), []
        for n in range(sequential):
            route.append(_create(stacks, n, run_id))
            names.add(f"bench {run_id} {n}")
            receiver.wait_for(first + n + 1, timeout=120)
        single = list(_latencies(receiver, secret, first, names).values())

        log(f"throughput: a burst of {burst} events from 8 writers")
        first, burst_id = len(receiver.received), uuid.uuid4().hex[:6]
        started = time.time()
        local = threading.local()  # one keep-alive connection per writer thread

        def write(n: int) -> float:
            if not hasattr(local, "client"):
                local.client = Client(host, port, token)
            return _create(local.client, n, burst_id)

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(write, range(burst)))
        written = time.time()
        receiver.wait_for(first + burst, timeout=600)
        done = max(arrived for _, _, arrived in receiver.received[first:first + burst]) \
            if len(receiver.received) >= first + burst else float("nan")
        burst_lat = list(_latencies(receiver, secret, first, {f"bench {burst_id} {n}" for n in range(burst)}).values())
    finally:
        receiver.close()
    return {
        "sequential": {"events": sequential, "delivered": len(single),
                       "latency_ms": {k: round(_pct(single, p) * 1000, 1) for k, p in (("p50", 50), ("p95", 95), ("p99", 99))}
                       | {"max": round(max(single) * 1000, 1) if single else None},
                       "route_ms_p50": round(statistics.median(route) * 1000, 1)},
        "burst": {"events": burst, "delivered": len(burst_lat), "write_s": round(written - started, 2),
                  "deliveries_per_s": round(len(burst_lat) / (done - started), 2) if burst_lat else 0.0,
                  "latency_ms": {k: round(_pct(burst_lat, p) * 1000, 1) for k, p in (("p50", 50), ("p99", 99))}},
    }


def report(result: dict) -> str:
    s, b = result["sequential"], result["burst"]
    return "\n".join([
        "Webhooks through the local system (event committed → signed delivery read by a receiver on 127.0.0.1)",
        f"  one at a time: {s['delivered']}/{s['events']} delivered and verified; latency p50 {s['latency_ms']['p50']} ms,"
        f" p95 {s['latency_ms']['p95']} ms, p99 {s['latency_ms']['p99']} ms, max {s['latency_ms']['max']} ms"
        f" (the POST that made each event: p50 {s['route_ms_p50']} ms)",
        f"  burst: {b['delivered']}/{b['events']} delivered and verified; {b['deliveries_per_s']} deliveries/s"
        f" (events written in {b['write_s']} s); latency p50 {b['latency_ms']['p50']} ms, p99 {b['latency_ms']['p99']} ms",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequential", type=int, default=40)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--url", help="a running local system started with --webhooks-to-loopback")
    args = parser.parse_args(argv)
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    proc = None
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as folder:
        try:
            if args.url:
                base = args.url
            else:
                proc, base = _start_system(pathlib.Path(folder), ["--webhooks-to-loopback"], log)
            host, port = base.removeprefix("http://").split(":")
            result = run(host, int(port), args.sequential, args.burst, log)
        finally:
            if proc is not None:
                _stop(proc)
    print(report(result))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
