"""Bulk work through the local gateway, as a ratio to the same work in process (run on its own).

    .venv/bin/python -m bench.bulk [--boxes 200] [--singles 20]

The same steps twice, first in process (the real handlers against moto with DynamoDB's atomicity,
bench.inprocess), then over HTTP against the local system (`python -m infrastructure.local`, fresh
data in a temporary folder, free ports), each on a fresh range of 8 sections × 10 shelves (2 m, 20 boxes each):

- **registration job**: `POST /boxes/bulk` of N rows (JSON) until the job is `completed` (in process:
  the route, then the JobSubmitted event handed to StacksJobsFunction's handler; through the gateway:
  bus → queue → jobs function, polled with GET /stacks/jobs/{id});
- **single registrations**: `POST /boxes` one at a time (the way boxes were registered before), a few
  of them, as boxes per second;
- **bulk placement**: `POST /placements/bulk` of the N new boxes, twenty per shelf; boxes the call did not
  attempt in time (503: the function keeps 6 s to answer) are sent again, and the time is until all are
  placed (the first answer's time and count are shown too);
- **bulk placement as a job**: `POST /placements/bulk` of more boxes than the synchronous maximum
  (`MAX_SYNC_PLACEMENTS` + 1, registered by the same job) answers 202 with a `place_boxes` job; the time
  is until the job is `completed` (in process: handed to StacksJobsFunction's handler as above).

Printed: seconds, boxes per second, and gateway ÷ in process for each; the bulk placement's first answer
as a share of StacksFunction's timeout (28 s). Figures only: nothing here passes or fails.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

from bench.coldstart import free_port
from bench.gateway import _request, _stop
from bench.template import ROOT

sys.path.insert(0, str(ROOT / "functions" / "stacks"))
from stacks.domain.rules import MAX_SYNC_PLACEMENTS  # noqa: E402 — the route's own threshold

FUNCTION_TIMEOUT_S = 28
PER_SHELF = 20  # 8 sections × 10 shelves of 20 boxes: room for the synchronous placement and the job's
SHELF = {"name": "Bulk shelf", "width_mm": 2000, "height_mm": 350, "depth_mm": 400, "load_limit_kg": 240}
BOX = {"name": "Bulk box", "width_mm": 100, "height_mm": 300, "depth_mm": 380, "weight_kg": 6}

Call = Callable[..., tuple[int, Any]]  # (method, path, body=None, headers=None) -> (status, json)


def _steps(call: Call, run_jobs: Callable[[], None], boxes: int, singles: int, tag: str, log) -> dict[str, Any]:
    """The measured work, the same in both worlds; `run_jobs` drives submitted jobs to their end."""
    status, repo = call("POST", "/repositories", {"code": f"B{tag}", "name": "Bulk bench"})
    assert status == 201, (status, repo)
    shelf = call("POST", "/location-profiles", SHELF)[1]["id"]
    profile = call("POST", "/container-profiles", BOX)[1]["id"]
    status, made = call("POST", "/locations", {"kind": "range", "parent_id": f"B{tag}", "number": 1,
                                               "location_profile_id": shelf,
                                               "layout": {"sections": 8, "shelves_per_section": 10}})
    assert status == 201, (status, made)
    row = {"container_profile_id": profile, "producing_unit": "Finance Division", "record_form": "document"}

    started = time.perf_counter()
    for n in range(singles):
        status, _ = call("POST", "/boxes", {**row, "barcode": f"S{tag}-{n:05d}"})
        assert status == 201, status
    single_s = time.perf_counter() - started
    log(f"    {singles} single registrations: {single_s:.1f} s")

    started = time.perf_counter()
    status, job = call("POST", "/boxes/bulk", {"rows": [{**row, "barcode": f"J{tag}-{n:05d}"} for n in range(boxes)]})
    assert status == 202, (status, job)
    submit_s = time.perf_counter() - started
    job = run_jobs(job["id"])
    job_s = time.perf_counter() - started
    assert job["status"] == "completed" and job["succeeded"] == boxes, job
    log(f"    registration job of {boxes}: {job_s:.1f} s")
    # the boxes for the placement job (not timed: the registration job's figure is the one above)
    status, more = call("POST", "/boxes/bulk", {"rows": [{**row, "barcode": f"K{tag}-{n:05d}"}
                                                         for n in range(MAX_SYNC_PLACEMENTS + 1)]})
    assert status == 202 and run_jobs(more["id"])["status"] == "completed", more

    ids, job_ids, cursor = [], [], None
    while True:
        _, page = call("GET", "/boxes?limit=100&status=unplaced" + (f"&cursor={cursor}" if cursor else ""))
        ids += [b["id"] for b in page["items"] if b["barcode"].startswith(f"J{tag}-")]
        job_ids += [b["id"] for b in page["items"] if b["barcode"].startswith(f"K{tag}-")]
        cursor = page["next_cursor"]
        if not cursor:
            break
    shelves = [f"B{tag}-01-{s:02d}-{n}" for s in range(1, 9) for n in range(1, 11)]
    placements = [{"box_id": b, "location_id": shelves[i // PER_SHELF]} for i, b in enumerate(sorted(ids)[:boxes])]
    started = time.perf_counter()
    status, placed = call("POST", "/placements/bulk", {"reason": "bench", "placements": placements})
    place_s = time.perf_counter() - started
    assert status == 200, (status, placed)
    first_placed = placed["summary"]["placed"]
    rounds = 1
    while placed["summary"]["failed"]:  # boxes not attempted in time (503): sent again, as a client would
        assert {r["problem"]["status"] for r in placed["results"] if r["outcome"] == "failed"} == {503}, placed
        again = [p for p, r in zip(placements, placed["results"]) if r["outcome"] == "failed"]
        placements = again
        status, placed = call("POST", "/placements/bulk", {"reason": "bench", "placements": again})
        rounds += 1
    all_s = time.perf_counter() - started
    log(f"    bulk placement of {boxes}: first answer {place_s:.1f} s ({first_placed} placed), "
        f"all placed after {rounds} call(s), {all_s:.1f} s")

    rest = shelves[-(-boxes // PER_SHELF):]  # the shelves the first placement left empty
    placements = [{"box_id": b, "location_id": rest[i // PER_SHELF]} for i, b in enumerate(sorted(job_ids))]
    started = time.perf_counter()
    status, placing = call("POST", "/placements/bulk", {"reason": "bench", "placements": placements})
    assert status == 202, (status, placing)
    placing = run_jobs(placing["id"])
    place_job_s = time.perf_counter() - started
    assert placing["status"] == "completed" and placing["succeeded"] == len(placements), placing
    log(f"    placement job of {len(placements)}: {place_job_s:.1f} s")
    return {"boxes": boxes, "singles": singles, "single_s": round(single_s, 2),
            "single_boxes_per_s": round(singles / single_s, 1), "job_submit_s": round(submit_s, 2),
            "job_s": round(job_s, 2), "job_boxes_per_s": round(boxes / job_s, 1), "place_s": round(all_s, 2),
            "place_boxes_per_s": round(boxes / all_s, 1), "first_answer_s": round(place_s, 2),
            "first_answer_placed": first_placed, "place_calls": rounds, "place_job_boxes": len(placements),
            "place_job_s": round(place_job_s, 2), "place_job_boxes_per_s": round(len(placements) / place_job_s, 1)}


# ------------------------------------------------------------------ in process
def in_process(boxes: int, singles: int, log) -> dict[str, Any]:
    from bench import events, inprocess
    from bench.shelving import MANAGER, STACKS

    with inprocess.harness() as h:
        def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
            route, _, query = path.partition("?")
            params = dict(p.split("=", 1) for p in query.split("&")) if query else None
            ids = {}
            if route.startswith("/stacks/jobs/"):  # the one path with an id these steps read
                route, ids = "/stacks/jobs/{job_id}", {"job_id": route.rsplit("/", 1)[1]}
            outcome = h.invoke(STACKS, events.api_event(method, route, body=body, claims=MANAGER, query=params,
                                                        path_params=ids))
            return outcome.status, outcome.body

        def run_jobs(job_id: str) -> dict[str, Any]:
            import boto3

            table = h.functions[STACKS].environment["TABLE_NAME"]
            items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=table)["Items"]
            envelope = next(json.loads(i["envelope"]["S"]) for i in items if i["pk"]["S"].startswith("OUTBOX#")
                            and json.loads(i["envelope"]["S"])["payload"].get("job_id") == job_id)
            h.invoke("StacksJobsFunction", events.sqs_event([{"detail-type": "JobSubmitted", "detail": envelope}]))
            return call("GET", f"/stacks/jobs/{job_id}")[1]

        return _steps(call, run_jobs, boxes, singles, "P", log)


# -------------------------------------------------------------- local gateway
def through_gateway(boxes: int, singles: int, log) -> dict[str, Any]:
    port, moto_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as tmp:
        args = [sys.executable, "-m", "infrastructure.local", "--fresh", "--data-dir", str(pathlib.Path(tmp) / "data"),
                "--port", str(port), "--moto-port", str(moto_port)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        with open(pathlib.Path(tmp) / "local.log", "wb") as out:
            proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True)
        try:
            return _gateway_steps(port, boxes, singles, log)
        finally:
            _stop(proc)


def _gateway_steps(port: int, boxes: int, singles: int, log) -> dict[str, Any]:
    deadline = time.monotonic() + 240
    while True:
        try:
            if _request(port, "GET", "/_local/health", timeout=5)[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the local system did not become healthy")
        time.sleep(0.5)
    token = json.loads(_request(port, "POST", "/_local/token", body=b'{"demo": "stacks@src"}')[1])["token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    while _request(port, "GET", "/me", headers=headers)[0] != 200:  # the demo users' provisioning
        time.sleep(0.5)

    def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, data, _ = _request(port, method, path, headers=headers, timeout=120,
                                   body=json.dumps(body).encode() if body is not None else None)
        return status, json.loads(data) if data else None

    def run_jobs(job_id: str) -> dict[str, Any]:
        while True:
            job = call("GET", f"/stacks/jobs/{job_id}")[1]
            if job["status"] in ("completed", "failed"):
                return job
            time.sleep(0.2)

    log("  local system up")
    return _steps(call, run_jobs, boxes, singles, "G", log)


def report(inproc: dict[str, Any], gateway: dict[str, Any]) -> str:
    rows = [("registration job (N rows, submit → completed)", "job_s", "job_boxes_per_s"),
            ("single POST /boxes (one at a time)", "single_s", "single_boxes_per_s"),
            ("bulk placement (until every box is placed)", "place_s", "place_boxes_per_s"),
            (f"bulk placement of {MAX_SYNC_PLACEMENTS + 1} as a job (202 -> completed)", "place_job_s",
             "place_job_boxes_per_s")]
    lines = [f"Bulk work: {inproc['boxes']} boxes ({inproc['singles']} single registrations); load average "
             f"{' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs",
             f"{'':48} {'in process':>18} {'local gateway':>18} {'gateway ÷ in process':>22}"]
    for label, seconds, rate in rows:
        lines.append(f"{label:48} {inproc[seconds]:>7.2f} s {inproc[rate]:>6.1f}/s "
                     f"{gateway[seconds]:>7.2f} s {gateway[rate]:>6.1f}/s {gateway[seconds] / inproc[seconds]:>21.2f}x")
    for name, world in (("in process", inproc), ("through the gateway", gateway)):
        lines.append(f"bulk placement {name}: first answer after {world['first_answer_s']:.1f} s "
                     f"({world['first_answer_s'] / FUNCTION_TIMEOUT_S:.0%} of StacksFunction's {FUNCTION_TIMEOUT_S} s "
                     f"timeout) with {world['first_answer_placed']} of {world['boxes']} placed; all placed in "
                     f"{world['place_calls']} call(s)")
    lines.append(f"registration job vs single POSTs through the gateway: "
                 f"{gateway['job_boxes_per_s'] / gateway['single_boxes_per_s']:.1f}x the boxes per second")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=MAX_SYNC_PLACEMENTS,
                        help="boxes registered and placed in one call (at most the synchronous maximum)")
    parser.add_argument("--singles", type=int, default=20)
    args = parser.parse_args(argv)
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    log("in process")
    inproc = in_process(args.boxes, args.singles, log)
    log("through the local gateway")
    gateway = through_gateway(args.boxes, args.singles, log)
    print(report(inproc, gateway))
    out = ROOT / "bench" / "results" / "bulk.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"in_process": inproc, "gateway": gateway}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
