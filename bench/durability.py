"""Durability of the local system: what the write-ahead journal costs, and what a crash loses.

    .venv/bin/python -m bench.durability [--writes 300] [--skip-crash]

1. Journal cost: the same DynamoDB writes (a two-item TransactWriteItems, the shape of
   every state change with its outbox event) against a moto server in this process, with
   the emulator's atomic writes, first without the journal and then with it (fsync
   before the answer, group commit). Latency p50/p95 and throughput for 1 and 8
   concurrent writers; the ratio journal / no journal is the figure that travels.
2. Crash: the local system (`python -m infrastructure.local`) with six writers posting
   container profiles and boxes; `kill -9` of its process group once 60 writes were
   acknowledged; a restart on the same data; how many acknowledged writes are missing,
   how long recovery took, and how long a SIGTERM stop takes afterwards.
Nothing is judged; figures are printed.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import pathlib
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.coldstart import free_port  # noqa: E402


# ------------------------------------------------------------- journal cost
def _writes(client, table: str, count: int, writers: int) -> tuple[list[float], float]:
    def one(i: int) -> float:
        started = time.perf_counter()
        key = uuid.uuid4().hex
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": f"BOX#{key}"}, "sk": {"S": "BOX"}, "n": {"N": str(i)}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": f"OUTBOX#{key}"}, "sk": {"S": "EVENT"},
                                                  "payload": {"S": "x" * 400}}}},
        ])
        return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=writers) as pool:
        latencies = list(pool.map(one, range(count)))
    return latencies, count / (time.perf_counter() - started)


def journal_cost(count: int) -> list[dict]:
    import boto3
    from botocore.config import Config
    from moto.server import ThreadedMotoServer

    from infrastructure.local.journal import Journal
    from infrastructure.moto_atomic import make_dynamodb_atomic, observe_commits

    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines
    make_dynamodb_atomic()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                          aws_access_key_id="bench", aws_secret_access_key="bench",
                          config=Config(max_pool_connections=16))
    client.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-journal-") as folder:
            journal = Journal(pathlib.Path(folder) / "journal")
            _writes(client, "bench", 20, 1)  # warm-up: connections, moto's first-call costs
            for writers in (1, 8):
                observe_commits(None)
                plain, plain_rate = _writes(client, "bench", count, writers)
                observe_commits(journal.record)
                journal.start()
                journaled, journal_rate = _writes(client, "bench", count, writers)
                journal.close()
                observe_commits(None)
                rows.append({
                    "writers": writers, "writes": count,
                    "p50_ms": statistics.median(plain), "p50_journal_ms": statistics.median(journaled),
                    "p95_ms": _p(plain, 95), "p95_journal_ms": _p(journaled, 95),
                    "per_s": plain_rate, "per_s_journal": journal_rate,
                    "ratio_p50": statistics.median(journaled) / statistics.median(plain),
                    "ratio_throughput": plain_rate / journal_rate,
                })
    finally:
        observe_commits(None)
        server.stop()
    return rows


def _p(values: list[float], percentile: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * percentile / 100))]


# -------------------------------------------------------------------- crash
class _System:
    def __init__(self, folder: pathlib.Path, fresh: bool) -> None:
        self.port, moto = free_port(), free_port()
        command = [sys.executable, "-m", "infrastructure.local", "--port", str(self.port), "--moto-port", str(moto),
                   "--data-dir", str(folder / "data")] + (["--fresh"] if fresh else [])
        self.log = open(folder / f"system-{self.port}.log", "wb")
        started = time.perf_counter()
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        while True:
            if self.process.poll() is not None or time.perf_counter() - started > 180:
                raise RuntimeError(f"the local system did not start (see {self.log.name})")
            try:
                if self.call("GET", "/_local/health", timeout=5)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        self.ready_s = time.perf_counter() - started

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None,
             timeout: float = 10) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, {}

    def token(self, demo: str) -> str:
        return self.call("POST", "/_local/token", {"demo": demo})[1]["token"]


def crash(acknowledge: int = 60, writers: int = 6) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-crash-") as name:
        folder = pathlib.Path(name)
        system = _System(folder, fresh=True)
        token = system.token("stacks@src")
        acknowledged: list[tuple[str, str]] = []
        lock, stop = threading.Lock(), threading.Event()

        def writer() -> None:
            while not stop.is_set():
                try:
                    status, profile = system.call("POST", "/container-profiles", {
                        "name": "Box", "width_mm": 100, "height_mm": 300, "depth_mm": 380, "weight_kg": 5}, token)
                    if status == 201:
                        with lock:
                            acknowledged.append(("container-profiles", profile["id"]))
                        status, box = system.call("POST", "/boxes", {
                            "barcode": f"C-{uuid.uuid4().hex[:12]}", "container_profile_id": profile["id"],
                            "producing_unit": "Finance", "record_form": "document"}, token)
                        if status == 201:
                            with lock:
                                acknowledged.append(("boxes", box["id"]))
                except OSError:
                    pass

        threads = [threading.Thread(target=writer) for _ in range(writers)]
        for thread in threads:
            thread.start()
        while len(acknowledged) < acknowledge:
            time.sleep(0.01)
        os.killpg(system.process.pid, signal.SIGKILL)
        system.process.wait()
        stop.set()
        for thread in threads:
            thread.join()
        again = _System(folder, fresh=False)
        token = again.token("stacks@src")
        lost = sum(1 for kind, id_ in acknowledged if again.call("GET", f"/{kind}/{id_}", token=token)[0] != 200)
        started = time.perf_counter()
        again.process.send_signal(signal.SIGTERM)
        again.process.wait(timeout=60)
        return {"acknowledged": len(acknowledged), "lost": lost, "restart_s": again.ready_s,
                "sigterm_stop_s": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--skip-crash", action="store_true")
    args = parser.parse_args(argv)
    print("Journal cost (two-item TransactWriteItems against moto in process; ratio = with / without journal)")
    print(f"{'writers':>7} {'writes':>6} {'p50 ms':>8} {'+journal':>9} {'ratio':>6} {'p95 ms':>8} {'+journal':>9}"
          f" {'writes/s':>9} {'+journal':>9} {'ratio':>6}")
    for row in journal_cost(args.writes):
        print(f"{row['writers']:>7} {row['writes']:>6} {row['p50_ms']:>8.2f} {row['p50_journal_ms']:>9.2f}"
              f" {row['ratio_p50']:>6.2f} {row['p95_ms']:>8.2f} {row['p95_journal_ms']:>9.2f}"
              f" {row['per_s']:>9.0f} {row['per_s_journal']:>9.0f} {row['ratio_throughput']:>6.2f}")
    if not args.skip_crash:
        result = crash()
        print("\nCrash (kill -9 of the local system's process group mid-stream, restart on the same data)")
        print(f"  acknowledged before the kill  {result['acknowledged']}")
        print(f"  lost after the restart        {result['lost']}")
        print(f"  restart until healthy         {result['restart_s']:.1f} s")
        print(f"  SIGTERM until exit            {result['sigterm_stop_s']:.1f} s")


if __name__ == "__main__":
    main()
