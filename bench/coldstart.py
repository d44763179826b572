"""Section 1: cold start of every function in template.yaml, against a boto3-only baseline.

Each run is a fresh interpreter with only the function's environment (as Lambda
gives it), pointed at a moto server started for the bench with the template's
tables. Runs are interleaved (baseline, f1, f2, ..., baseline, f1, ...) so drifting
machine load spreads evenly over the figures being compared.
"""
from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
import json
import os
import pathlib
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Iterator

from bench import events, template as tpl

CHILD = pathlib.Path(__file__).with_name("coldstart_child.py")
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free port with every table of the template; yields its URL."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per call otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client("dynamodb", endpoint_url=url, region_name=tpl.REGION,
                              aws_access_key_id="bench", aws_secret_access_key="bench")
        tpl.create_tables(client)
        yield url
    finally:
        server.stop()


def child_environment(fn: tpl.Function | None, endpoint: str) -> dict[str, str]:
    """What the Lambda runtime would give the function, pointed at the local endpoint; nothing inherited."""
    env = {
        **(fn.environment if fn else {}),
        **DUMMY_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": tpl.REGION, "AWS_DEFAULT_REGION": tpl.REGION,
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "LANG": "C.UTF-8", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{fn.code_uri}:{tpl.ROOT}" if fn else str(tpl.ROOT),
    }
    if fn:
        env["AWS_LAMBDA_FUNCTION_NAME"] = fn.logical_id
    return env


def _run_child(args: list[str], env: dict[str, str], workdir: pathlib.Path, *, importtime: bool = False) -> dict[str, Any]:
    result_path = workdir / "result.json"
    result_path.unlink(missing_ok=True)
    # -P: do not put bench/ on sys.path, so only the function's PYTHONPATH is importable.
    cmd = [sys.executable, "-P"] + (["-X", "importtime"] if importtime else []) + [str(CHILD)] + args + [str(result_path)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=workdir, capture_output=True, text=True, timeout=120)
    process_ms = (time.perf_counter() - start) * 1000
    if proc.returncode != 0 or not result_path.exists():
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"failed": f"exit {proc.returncode}: {tail}"}
    result = json.loads(result_path.read_text())
    result["process_ms"] = round(process_ms, 3)
    if importtime:
        result["heaviest_imports"] = heaviest_imports(proc.stderr)
    return result


def _function_args(fn: tpl.Function, workdir: pathlib.Path) -> tuple[str, list[str]]:
    """The child's arguments for a function's cold start with its first event: (event description, args)."""
    description, event = events.first_event(fn)
    event_path = workdir / f"{fn.logical_id}.event.json"
    event_path.write_text(json.dumps(event))
    return description, ["function", fn.module, fn.attr, str(event_path)]


def cold_start(fn: tpl.Function, endpoint: str, workdir: pathlib.Path) -> dict[str, Any]:
    """One cold start of a function (import and first call, then a warm call) in a fresh process."""
    return _run_child(_function_args(fn, workdir)[1], child_environment(fn, endpoint), workdir)


def heaviest_imports(importtime_log: str, top: int = 6) -> list[tuple[str, float]]:
    """Self import time summed per top-level package, from `python -X importtime` output (ms)."""
    totals: dict[str, float] = defaultdict(float)
    for line in importtime_log.splitlines():
        match = re.match(r"import time:\s+(\d+)\s+\|\s+\d+\s+\|\s+(\S+)", line.strip())
        if match:
            totals[match.group(2).split(".")[0]] += int(match.group(1)) / 1000
    return [(name, round(ms, 1)) for name, ms in sorted(totals.items(), key=lambda kv: -kv[1])[:top]]


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if key in r]
    return round(statistics.median(values), 2) if values else None


def run(repetitions: int, log=print) -> dict[str, Any]:
    functions = tpl.functions()
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    described: dict[str, str] = {}
    with moto_server() as endpoint, tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        workdir = pathlib.Path(tmp)
        specs: list[tuple[str, list[str], dict[str, str]]] = [("baseline", ["baseline"], child_environment(None, endpoint))]
        for fn in functions:
            described[fn.logical_id], args = _function_args(fn, workdir)
            specs.append((fn.logical_id, args, child_environment(fn, endpoint)))
        for round_ in range(repetitions):
            log(f"  cold starts: round {round_ + 1}/{repetitions}")
            for name, args, env in specs:
                runs[name].append(_run_child(args, env, workdir))
        profiles = {name: _run_child(args, env, workdir, importtime=True).get("heaviest_imports", [])
                    for name, args, env in specs}

    def summary(name: str) -> dict[str, Any]:
        ok = [r for r in runs[name] if "failed" not in r]
        row: dict[str, Any] = {"runs": len(ok), "failed": [r["failed"] for r in runs[name] if "failed" in r]}
        if ok:
            for key in ("import_ms", "first_ms", "warm_ms", "process_ms"):
                row[key] = _median(ok, key)
            # CPU time only grows with interference (caches, frequency, other load): the least
            # of the runs is the closest to what the code costs, as timeit reports.
            row["cold_cpu_ms"] = min(r["cold_cpu_ms"] for r in ok)
            row["cold_ms"] = round(statistics.median(r["import_ms"] + r["first_ms"] for r in ok), 2)
            row["status"], row["error"] = ok[0]["status"], ok[0]["error"]
            row["first_calls"] = ok[0]["first_calls"]
            row["first_clients"] = ok[0].get("first_clients")
            row["modules"] = ok[0]["modules"]
            row["packages"] = ok[0].get("packages", [])
        row["heaviest_imports"] = profiles.get(name, [])
        return row

    baseline = summary("baseline")
    result: dict[str, Any] = {"repetitions": repetitions, "baseline": baseline, "functions": {}}
    for fn in functions:
        row = summary(fn.logical_id) | {"handler": fn.handler, "event": described[fn.logical_id]}
        for key in ("import_ms", "cold_ms", "process_ms", "cold_cpu_ms"):
            if row.get(key) and baseline.get(key):
                row[f"{key.removesuffix('_ms')}_ratio"] = round(row[key] / baseline[key], 2)
        result["functions"][fn.logical_id] = row
    return result
