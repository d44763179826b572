"""Event delivery under load: the outbox relay's throughput, and how soon a read model holds new boxes.

    .venv/bin/python -m bench.delivery                         # 2,000 relay events, 10,000 boxes (~15-30 min)
    .venv/bin/python -m bench.delivery --events 1000 --boxes 1000
    .venv/bin/python -m bench.delivery --url http://127.0.0.1:3000 --boxes 500   # a running local system

Runs against the local system (`python -m infrastructure.local`, started with fresh data on
free ports unless --url is given), because what is measured is the local pipeline as a whole:
the table's stream, the stream poller, the relay function in its own process, the bus, the
queues, their pollers and the consumers. Two figures:

1. **Relay throughput.** The relay's event source on a table is paused (POST /_local/event-sources),
   N outbox items whose events no rule routes anywhere are written straight into the table
   (BatchWriteItem), health is polled until the stream poller has read them all, the source is
   resumed, and health is polled until its backlog is 0: events per second through stream →
   relay → PutEvents. Baseline, same run: the same N envelopes sent by PutEvents straight from
   this process (10 per call), the bus's own pace; the ratio is the relay's overhead.
2. **Read model catch-up.** Through the stacks API as a stack manager: N boxes registered by one
   bulk registration job (POST /boxes/bulk; not measured: its events are applied before the clock
   starts) and placed (POST /placements/bulk, 100 per call, 2 clients; boxes answered 503 are sent
   again), then the holdings in inventory's read model are counted in its table (a Query on its
   index) until all N are there. Printed: the time from the first placement until inventory holds
   every box (the figure), the time stacks took to place them (the baseline, same run) and the
   ratio hold/place (1.00: the read model keeps pace with the writes), the catch-up after the last
   placement, the load average meanwhile, and the largest lag health reported for the relay and
   inventory's queue.

Nothing here judges a speed; see bench/README.md.
"""
from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
import json
import os
import pathlib
import sys
import tempfile
import threading
import time
from typing import Any, Callable
import urllib.error
import urllib.request
import uuid

import boto3

from bench.load import _start_system, _stop
from infrastructure.local.template import REGION, Template

ROOT = pathlib.Path(__file__).resolve().parents[1]
RELAY_TABLE = "StacksTable"
READ_MODEL = "InventoryEventsFunction"
ORG = "org-src"  # the demo stack manager's organisation
BOXES_PER_SHELF = 200  # 20 m shelves (the widest a profile allows): 10,000 boxes fit one layout call
BULK = 100  # boxes per POST /placements/bulk: well inside the function's timeout
DEADLINE_S = 3600.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Api:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.token: str | None = None
        self.demo: str | None = None

    def sign_in(self, demo: str) -> None:
        """A demo user's ID token; signed in again when it expires (60 minutes: a 10,000-box run lasts longer)."""
        self.demo, self.token = demo, None
        self.token = self.call("POST", "/_local/token", {"demo": demo})[1]["token"]

    def call(self, method: str, path: str, body: Any = None, timeout: float = 120) -> tuple[int, Any]:
        status, answer = self._call(method, path, body, timeout)
        if status == 401 and self.demo and not path.startswith("/_local/"):
            self.sign_in(self.demo)
            status, answer = self._call(method, path, body, timeout)
        return status, answer

    def _call(self, method: str, path: str, body: Any, timeout: float) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()[:300]
        except (OSError, ValueError) as exc:  # a timeout or a cut connection on an overloaded machine
            return 0, repr(exc).encode()

    def health(self) -> dict[str, Any]:
        """The health report; asked again while the system is too busy to answer it."""
        while True:
            report = self.call("GET", "/_local/health", timeout=30)[1]
            if isinstance(report, dict) and "streams" in report:
                return report
            time.sleep(1)


def _until(probe: Callable[[], Any], what: str, interval: float = 0.2, deadline_s: float = DEADLINE_S) -> Any:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"gave up after {deadline_s:.0f} s waiting for {what}")


def _aws(service: str, moto_url: str):
    return boto3.client(service, endpoint_url=moto_url, region_name=REGION, aws_access_key_id="local",
                        aws_secret_access_key="local")


def _envelope() -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "type": "BenchEvent", "source": "bench.relay", "subjects": [],
            "occurred_at": "2026-12-02T00:00:00.000Z", "actor": None, "correlation_id": None, "payload": {},
            "schema_version": 1}


# ------------------------------------------------------------------ 1. relay
def relay_throughput(api: Api, moto_url: str, template: Template, events: int) -> dict[str, Any]:
    ddb, bus = _aws("dynamodb", moto_url), _aws("events", moto_url)
    table = template.physical_name(RELAY_TABLE)
    bus_name = next(template.physical_name(logical) for logical in template.of_type("AWS::Events::EventBus"))
    source = api.health()["streams"][RELAY_TABLE]["event_source"]

    started = time.perf_counter()
    for start in range(0, events, 10):  # baseline: the bus's own pace, PutEvents from here
        chunk = [_envelope() for _ in range(min(10, events - start))]
        bus.put_events(Entries=[{"EventBusName": bus_name, "Source": e["source"], "DetailType": e["type"],
                                 "Detail": json.dumps(e)} for e in chunk])
    direct_s = time.perf_counter() - started

    assert api.call("POST", f"/_local/event-sources/{source}", {"enabled": False})[0] == 200
    expiration = str(int(time.time()) + 3600)
    for start in range(0, events, 25):
        items = []
        for _ in range(min(25, events - start)):
            envelope = _envelope()
            items.append({"PutRequest": {"Item": {
                "pk": {"S": f"OUTBOX#{envelope['id']}"}, "sk": {"S": "EVENT"}, "event_type": {"S": envelope["type"]},
                "source": {"S": envelope["source"]}, "envelope": {"S": json.dumps(envelope)},
                "expiration": {"N": expiration}}}})
        ddb.batch_write_item(RequestItems={table: items})
    _until(lambda: api.health()["streams"][RELAY_TABLE]["waiting"] >= events, "the stream poller to read them all")
    assert api.call("POST", f"/_local/event-sources/{source}", {"enabled": True})[0] == 200
    started = time.perf_counter()
    _until(lambda: api.health()["streams"][RELAY_TABLE]["waiting"] == 0, "the relay to publish them all", 0.5)
    relay_s = time.perf_counter() - started
    dead = api.health()["queues"]
    return {"events": events, "relay_s": round(relay_s, 2), "relay_eps": round(events / relay_s, 1),
            "direct_s": round(direct_s, 2), "direct_eps": round(events / direct_s, 1),
            "ratio": round(relay_s / direct_s, 2),
            "dead_letters": sum(q["messages"] for q in dead.values() if q["dead_letter"])}


# ------------------------------------------------------------- 2. read model
def read_model_catch_up(api: Api, moto_url: str, template: Template, boxes: int) -> dict[str, Any]:
    api.sign_in("stacks@src")
    repo = "D" + uuid.uuid4().hex[:5].upper()
    shelves = -(-boxes // BOXES_PER_SHELF)
    per_section = min(20, shelves)
    sections = -(-shelves // per_section)
    assert api.call("POST", "/repositories", {"code": repo, "name": "Delivery bench"})[0] == 201
    shelf_profile = api.call("POST", "/location-profiles", {
        "name": "Long shelf", "width_mm": 100 * BOXES_PER_SHELF, "height_mm": 350, "depth_mm": 400,
        "load_limit_kg": 10 * BOXES_PER_SHELF})[1]["id"]
    box_profile = api.call("POST", "/container-profiles", {
        "name": "Box", "width_mm": 100, "height_mm": 300, "depth_mm": 380, "weight_kg": 5})[1]["id"]
    status, body = api.call("POST", "/locations", {"kind": "range", "parent_id": repo, "number": 1,
                                                   "location_profile_id": shelf_profile,
                                                   "layout": {"sections": sections, "shelves_per_section": per_section}})
    assert status == 201, body
    shelf = lambda k: f"{repo}-01-{k // per_section + 1:02d}-{k % per_section + 1}"  # noqa: E731

    ddb = _aws("dynamodb", moto_url)
    table = template.physical_name("InventoryTable")

    def held() -> int:
        count, key = 0, None
        while True:
            page = ddb.query(TableName=table, IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
                             ExpressionAttributeValues={":p": {"S": f"ORG#{ORG}#HOLD#{repo}-01"}}, Select="COUNT",
                             **({"ExclusiveStartKey": key} if key else {}))
            count += page["Count"]
            key = page.get("LastEvaluatedKey")
            if not key:
                return count

    worst = {"relay_s": 0.0, "inventory_s": 0.0, "inventory_waiting": 0, "relay_waiting": 0}
    watching = threading.Event()

    def watch() -> None:  # the largest lag health reports while boxes are written and delivered
        ticks = 0
        while not watching.is_set():
            report = api.health()
            relay, model = report["streams"][RELAY_TABLE], report["read_models"][READ_MODEL]
            ticks += 1
            if ticks % 30 == 0:
                log(f"  {time.perf_counter() - started:6.0f} s: relay {relay['waiting']} waiting, inventory's queue "
                    f"{model['waiting']} waiting, oldest {model['oldest_age_s']} s")
            worst["relay_s"] = max(worst["relay_s"], relay["oldest_age_s"] or 0)
            worst["relay_waiting"] = max(worst["relay_waiting"], relay["waiting"])
            worst["inventory_s"] = max(worst["inventory_s"], model["oldest_age_s"] or 0)
            worst["inventory_waiting"] = max(worst["inventory_waiting"], model["waiting"])
            watching.wait(1.0)

    watcher = threading.Thread(target=watch, daemon=True)
    started = time.perf_counter()
    watcher.start()

    # Registration is not what is measured: one bulk registration job (POST /boxes/bulk), then the ids.
    status, job = api.call("POST", "/boxes/bulk", {"rows": [
        {"barcode": f"{repo}-{i:06d}", "container_profile_id": box_profile, "producing_unit": "Bench",
         "record_form": "document"} for i in range(boxes)]})
    assert status == 202, (status, job)
    job = _until(lambda: (lambda j: j if isinstance(j, dict) and j.get("status") in ("completed", "failed") else None)(
        api.call("GET", f"/stacks/jobs/{job['id']}")[1]), "the registration job", 1.0)
    assert job["status"] == "completed" and job["succeeded"] == boxes, job
    ids, cursor = [], None
    while True:
        page = _until(lambda: (lambda p: p if isinstance(p, dict) else None)(api.call(
            "GET", "/boxes?limit=100&status=unplaced" + (f"&cursor={cursor}" if cursor else ""))[1]), "a page of boxes")
        ids += [b["id"] for b in page["items"] if b["barcode"].startswith(f"{repo}-")]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    registered_s = time.perf_counter() - started
    log(f"  {len(ids)} boxes registered (one bulk job) in {registered_s:.1f} s; load average {_load()}")
    _until(lambda: _drained(api), "the registrations to reach inventory", 1.0)
    drained_s = time.perf_counter() - started
    held_before = held()
    log(f"  their BoxRegistered events applied by {drained_s:.1f} s ({held_before} held so far: none placed)")
    placing = time.perf_counter()
    loads = [os.getloadavg()[0]]

    def place(start: int) -> int:
        chunk = [{"box_id": b, "location_id": shelf((start + k) // BOXES_PER_SHELF)}
                 for k, b in enumerate(ids[start:start + BULK])]
        placed = 0
        for _ in range(8):  # a 5xx, or boxes answered 503 (not reached in time on a loaded machine): again
            status, body = api.call("POST", "/placements/bulk", {"placements": chunk})
            loads.append(os.getloadavg()[0])
            if status == 200:
                done = [r["outcome"] in ("placed", "unchanged") for r in body["results"]]
                placed += sum(done)
                chunk = [p for p, ok in zip(chunk, done) if not ok]
                if not chunk:
                    return placed
                log(f"  bulk placement left {len(chunk)} boxes (503); again")
            else:
                log(f"  bulk placement answered {status}; again")
        raise RuntimeError(f"bulk placement answered {status}: {body!r}")

    starts = list(range(0, boxes, BULK))  # two chunks fill a shelf: the two clients never share one
    with ThreadPoolExecutor(2) as pool:
        placed = sum(pool.map(place, starts[::2] + starts[1::2]))
    written_s = time.perf_counter() - started
    log(f"  {placed} placed; stacks done at {written_s:.1f} s ({written_s - (placing - started):.1f} s of placing)")

    def all_held() -> bool:
        loads.append(os.getloadavg()[0])
        return _drained(api) and held() >= placed  # counting the table only once nothing waits is cheap

    _until(all_held, "inventory's read model to hold every box", 0.5)
    held_s = time.perf_counter() - started
    watching.set()
    watcher.join()
    place_s, hold_s = written_s - (placing - started), held_s - (placing - started)
    return {"boxes": boxes, "placed": placed, "registered_s": round(registered_s, 1), "written_s": round(written_s, 1),
            "held_s": round(held_s, 1), "catch_up_s": round(held_s - written_s, 1),
            "place_s": round(place_s, 1), "hold_s": round(hold_s, 1), "ratio": round(hold_s / place_s, 2),
            "events_per_s": round(placed / hold_s, 1), "load": {"min": round(min(loads), 1),
                                                                  "max": round(max(loads), 1),
                                                                  "end": _load()},
            "worst_lag": {k: round(v, 1) for k, v in worst.items()}}


def _drained(api: Api) -> bool:
    report = api.health()
    return report["streams"][RELAY_TABLE]["waiting"] == 0 and report["read_models"][READ_MODEL]["waiting"] == 0


def _load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def report(result: dict[str, Any]) -> str:
    lines = ["Event delivery (local system)"]
    relay = result.get("relay")
    if relay:
        lines += [f"  relay: {relay['events']} events in {relay['relay_s']} s = {relay['relay_eps']} events/s "
                  f"(stream -> relay -> PutEvents)",
                  f"  baseline: PutEvents from the bench, 10 per call: {relay['direct_s']} s = {relay['direct_eps']} "
                  f"events/s;  relay / baseline x{relay['ratio']};  dead letters {relay['dead_letters']}"]
    model = result.get("read_model")
    if model:
        worst = model["worst_lag"]
        load = model["load"]
        lines += [f"  read model: {model['placed']} newly placed boxes held by inventory {model['hold_s']} s after the "
                  f"first placement = {model['events_per_s']} boxes/s",
                  f"  baseline, same run: stacks placed them in {model['place_s']} s;  held / placed x{model['ratio']};  "
                  f"catch-up after the last placement {model['catch_up_s']} s",
                  f"  (registered first by one bulk job in {model['registered_s']} s); load average while placing and "
                  f"holding {load['min']}-{load['max']} (1 min; 1/5/15 min at the end: {load['end']}) on "
                  f"{os.cpu_count()} CPUs",
                  f"  worst lag seen: relay {worst['relay_s']} s ({worst['relay_waiting']} waiting), "
                  f"inventory's queue {worst['inventory_s']} s ({worst['inventory_waiting']} waiting)"]
    return "\n".join(lines)


def run(base: str, moto_url: str, events: int, boxes: int) -> dict[str, Any]:
    api = Api(base)
    template = Template(ROOT / "template.yaml", queue_endpoint=moto_url)
    result: dict[str, Any] = {}
    if events:
        log(f"relay: {events} events")
        result["relay"] = relay_throughput(api, moto_url, template, events)
        log(report({"relay": result["relay"]}))
    if boxes:
        log(f"read model: {boxes} boxes")
        result["read_model"] = read_model_catch_up(api, moto_url, template, boxes)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="outbox events for the relay figure (0: skip)")
    parser.add_argument("--boxes", type=int, default=10_000, help="boxes for the read-model figure (0: skip)")
    parser.add_argument("--url", help="a running local system (its moto URL is read from --moto-url)")
    parser.add_argument("--moto-url", default="http://127.0.0.1:4566")
    parser.add_argument("--system-arg", action="append", default=[], help="an option for the started local system")
    parser.add_argument("--json", type=pathlib.Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    if args.url:
        result = run(args.url, args.moto_url, args.events, args.boxes)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
            proc, base = _start_system(pathlib.Path(tmp), args.system_arg, log)
            try:
                runtime = json.loads((pathlib.Path(tmp) / "data" / "runtime.json").read_text())
                result = run(base, runtime["moto_url"], args.events, args.boxes)
            finally:
                _stop(proc)
    print(report(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
