"""Section 5: stacks, circulation and inventory — DynamoDB calls per route, bulk placement, the sagas.

Everything runs in process against moto, through the real handlers with the template's
environments. The check-out and return state machines are created from the template
and really execute (moto's ASL interpreter); their lambda:invoke calls are answered by
the real task handlers, one at a time, each counted on its own.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable
import uuid

from bench import events, template as tpl
from bench.calls import Recorder
from bench.counting import counting
from bench.inprocess import Harness, Outcome
from infrastructure.aws_events import InProcessInvoke

STACKS = "StacksFunction"
CIRCULATION = "CirculationFunction"
CIRCULATION_EVENTS = "CirculationEventsFunction"
INVENTORY = "InventoryFunction"
INVENTORY_EVENTS = "InventoryEventsFunction"
ORG = "bench-archive"
MANAGER = events.claims("bench-stacks", ORG, ["stack_manager"])
REQUESTER = events.claims("bench-reader", ORG, ["requester"])
SHELF = {"name": "Bench shelf", "width_mm": 1000, "height_mm": 350, "depth_mm": 400, "load_limit_kg": 120}
BOX = {"name": "Bench box", "width_mm": 100, "height_mm": 300, "depth_mm": 380, "weight_kg": 6}


class Router(InProcessInvoke):
    """Answers Step Functions' lambda:invoke with the real handler, in that function's environment.

    Invocations wait until `open` is set, so a route's own calls are counted apart from the
    saga it starts; each invocation's DynamoDB calls and time are recorded."""

    def __init__(self, h: Harness) -> None:
        super().__init__(self._run)
        self.h = h
        self.open = threading.Event()
        self.open.set()
        self.invocations: list[dict[str, Any]] = []

    def _run(self, name: str, event: dict[str, Any]) -> Any:
        self.open.wait(30)
        outcome = self.h.invoke(name, event)
        self.invocations.append({"function": name, "step": event.get("step"), "ms": outcome.ms,
                                 "dynamodb": outcome.dynamodb, "error": outcome.error})
        if outcome.error:  # the handler raised: report it under its own name, as Lambda does
            kind, _, message = outcome.error.partition(": ")
            raise type(kind, (Exception,), {})(message)
        return outcome.body


def _api(h: Harness, function: str, method: str, path: str, who: dict[str, str] | None = MANAGER,
         **kwargs: Any) -> Outcome:
    params = dict(kwargs.pop("path_params", {}) or {})
    return h.invoke(function, events.api_event(method, path, path_params=params, claims=who, **kwargs))


def _if_match(outcome: Outcome) -> dict[str, str]:
    return {"If-Match": outcome.headers.get("ETag", '"1"')}


# ---------------------------------------------------------------------- stacks
def stacks_routes(h: Harness, rec: Recorder) -> dict[str, Any]:
    group = "stacks API"
    api = lambda method, path, **kw: _api(h, STACKS, method, path, **kw)  # noqa: E731
    rec.add(group, "POST /repositories", api("POST", "/repositories", body={
        "code": "R01", "name": "Bench stack room",
        "environment_targets": {"paper": {"temperature_c": {"min": 18, "max": 22},
                                          "humidity_pct": {"min": 40, "max": 55}}}}), 201)
    shelf = rec.add(group, "POST /location-profiles", api("POST", "/location-profiles", body=SHELF), 201).body
    box_profile = rec.add(group, "POST /container-profiles", api("POST", "/container-profiles", body=BOX), 201).body
    rec.add(group, "POST /locations (range + 4 sections × 5 shelves = 25 locations)", api("POST", "/locations", body={
        "kind": "range", "parent_id": "R01", "number": 1, "location_profile_id": shelf["id"],
        "layout": {"sections": 4, "shelves_per_section": 5}}), 201)
    box = rec.add(group, "POST /boxes", api("POST", "/boxes", body={
        "barcode": "BENCH-0001", "container_profile_id": box_profile["id"], "producing_unit": "Finance Division",
        "record_form": "document"}), 201)
    placed = rec.add(group, "PUT /boxes/{box_id}/placement (place)", api(
        "PUT", "/boxes/{box_id}/placement", path_params={"box_id": box.body["id"]}, body={"location_id": "R01-01-01-1"},
        headers=_if_match(box)), 200)
    moved = rec.add(group, "PUT /boxes/{box_id}/placement (move)", api(
        "PUT", "/boxes/{box_id}/placement", path_params={"box_id": box.body["id"]}, body={"location_id": "R01-01-01-2"},
        headers={"If-Match": f'"{placed.body["box"]["version"]}"'}), 200)
    rec.add(group, "PUT /boxes/{box_id}/placement (back home)", api(
        "PUT", "/boxes/{box_id}/placement", path_params={"box_id": box.body["id"]}, body={"location_id": "R01-01-01-1"},
        headers={"If-Match": f'"{moved.body["box"]["version"]}"'}), 200)
    rec.add(group, "GET /boxes/{box_id}", api("GET", "/boxes/{box_id}", path_params={"box_id": box.body["id"]}), 200)
    rec.add(group, "GET /boxes/{box_id}/history", api("GET", "/boxes/{box_id}/history",
                                                      path_params={"box_id": box.body["id"]}), 200)
    rec.add(group, "GET /locations/{location_id} (shelf)", api("GET", "/locations/{location_id}",
                                                               path_params={"location_id": "R01-01-01-1"}), 200)
    rec.add(group, "GET /locations/{location_id}/boxes", api("GET", "/locations/{location_id}/boxes",
                                                             path_params={"location_id": "R01-01-01-1"}), 200)
    rec.add(group, "GET /space (range of 20 shelves)", api("GET", "/space", query={
        "location_id": "R01-01", "container_profile_id": box_profile["id"]}), 200)
    rec.add(group, "GET /space/suggestions (12 boxes)", api("GET", "/space/suggestions", query={
        "container_profile_id": box_profile["id"], "count": "12", "record_form": "document",
        "producing_unit": "Finance Division"}), 200)
    for fmt in ("json", "csv", "svg"):
        rec.add(group, f"GET /repositories/{{id}}/occupancy ({fmt}, 20 shelves)", api(
            "GET", "/repositories/{repository_id}/occupancy", path_params={"repository_id": "R01"},
            query={"format": fmt}), 200)
    gateway = "bench-gateway"  # a partner client with environment:write
    rec.add(group, "POST /sensors", api("POST", "/sensors", body={
        "sensor_id": "TH-BENCH", "repository_id": "R01", "partner_client_id": gateway}), 201)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
    readings = events.api_event("POST", "/environment/readings", body={"readings": [
        {"sensor_id": "TH-BENCH", "at": stamp.replace(":00Z", f":{i:02d}Z"), "temperature_c": 20 + i / 2,
         "humidity_pct": 45} for i in range(10)]}, partner=events.partner(gateway, ORG, ["environment:write"]))
    rec.add(group, "POST /environment/readings (10 readings, 1 sensor)", h.invoke(STACKS, readings), 200)
    return {"box_profile": box_profile["id"], "box": box.body["id"]}


def bulk_placement(h: Harness, box_profile: str, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    """POST /placements/bulk of n new boxes onto empty shelves: time, throughput and calls per box."""
    rows = []
    for number, size in enumerate(sizes, start=10):
        # A fresh range per size: 8 sections × 10 shelves of 10 boxes each (800 places).
        shelf = _api(h, STACKS, "POST", "/location-profiles", body={**SHELF, "name": f"Bench shelf {number}"}).body
        made = _api(h, STACKS, "POST", "/locations", body={
            "kind": "range", "parent_id": "R01", "number": number, "location_profile_id": shelf["id"],
            "layout": {"sections": 8, "shelves_per_section": 10}})
        if made.status != 201:
            raise RuntimeError(f"could not lay out shelves: {made.status} {made.body}")
        boxes = [_api(h, STACKS, "POST", "/boxes", body={
            "barcode": f"BULK-{number}-{i:05d}", "container_profile_id": box_profile,
            "producing_unit": "Finance Division", "record_form": "document"}).body["id"] for i in range(size)]
        shelves = [f"R01-{number:02d}-{s:02d}-{n}" for s in range(1, 9) for n in range(1, 11)]
        placements = [{"box_id": b, "location_id": shelves[i // 10]} for i, b in enumerate(boxes)]
        outcome = _api(h, STACKS, "POST", "/placements/bulk", body={"reason": "bench", "placements": placements})
        total = sum(outcome.dynamodb.values())
        rows.append({"boxes": size, "status": outcome.status, "summary": (outcome.body or {}).get("summary"),
                     "ms": outcome.ms, "boxes_per_s": round(size / (outcome.ms / 1000), 1) if outcome.ms else None,
                     "dynamodb_total": total, "dynamodb_per_box": round(total / size, 2),
                     "dynamodb": outcome.dynamodb, "error": outcome.error})
    for row in rows:
        row["ms_per_box_ratio"] = round((row["ms"] / row["boxes"]) / (rows[0]["ms"] / rows[0]["boxes"]), 2)
    return rows


# ----------------------------------------------------------------- circulation
def _deliver_box_events(h: Harness, seen: set[str], consumer: str = CIRCULATION_EVENTS) -> Outcome | None:
    """What the bus + queue do: stacks' new outbox events to a consumer (circulation's by default)."""
    ddb = __import__("boto3").client("dynamodb", region_name=tpl.REGION)
    table = h.functions[STACKS].environment["TABLE_NAME"]
    found, start = [], None
    while True:
        page = ddb.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
        found += [json.loads(i["envelope"]["S"]) for i in page["Items"] if i["pk"]["S"].startswith("OUTBOX#")]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    fresh = sorted((e for e in found if e["id"] not in seen and e["type"].startswith("Box")),
                   key=lambda e: e["occurred_at"])
    seen |= {e["id"] for e in fresh}
    last = None
    for i in range(0, len(fresh), 10):
        last = h.invoke(consumer, events.sqs_event([
            {"version": "0", "id": str(uuid.uuid4()), "source": "records.stacks", "detail-type": e["type"],
             "detail": e} for e in fresh[i:i + 10]]))
    return last


def _day(offset: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + offset * 86400))


def circulation_routes(h: Harness, rec: Recorder, seen: set[str], box_id: str, box_profile: str) -> Outcome:
    """The request routes, and the consumer that keeps circulation's read model of boxes."""
    _api(h, STACKS, "POST", "/boxes", body={"barcode": "BENCH-EVT", "container_profile_id": box_profile,
                                           "producing_unit": "Finance Division", "record_form": "document"})
    rec.add("circulation consumer", "handler: SQS batch of 1 box event (BoxRegistered)", _deliver_box_events(h, seen))
    group = "circulation API"
    api = lambda method, path, **kw: _api(h, CIRCULATION, method, path, **kw)  # noqa: E731
    body = {"box_id": box_id, "purpose": "reading", "destination": {"kind": "reading_room", "name": "Room 1"},
            "period": {"from": _day(1), "until": _day(7)}}
    created = rec.add(group, "POST /circulation/requests", api("POST", "/circulation/requests", who=REQUESTER,
                                                                body=body), 201)
    rec.add(group, "POST /circulation/requests (Idempotency-Key, first)", api(
        "POST", "/circulation/requests", who=REQUESTER, body=body, headers={"Idempotency-Key": "bench-req-1"}), 201)
    rec.add(group, "POST /circulation/requests (Idempotency-Key, replay)", api(
        "POST", "/circulation/requests", who=REQUESTER, body=body, headers={"Idempotency-Key": "bench-req-1"}), 201)
    rid = {"request_id": created.body["id"]}
    rec.add(group, "GET /circulation/requests/{request_id}", api("GET", "/circulation/requests/{request_id}",
                                                                 path_params=rid), 200)
    approved = rec.add(group, "POST …/approve", api("POST", "/circulation/requests/{request_id}/approve",
                                                   path_params=rid, headers=_if_match(created)), 200)
    rec.add(group, "GET /circulation/requests (page of 2)", api("GET", "/circulation/requests"), 200)
    policy = rec.add(group, "GET /circulation/policy", api("GET", "/circulation/policy"), 200)
    document = {k: policy.body[k] for k in ("max_period_days", "long_retention_years", "long_retention_purposes",
                                            "destinations", "allow_self_approval")}
    rec.add(group, "PUT /circulation/policy", api("PUT", "/circulation/policy", body=document,
                                                 headers=_if_match(policy)), 200)
    return approved


def _wait(h: Harness, execution_arn: str, deadline_s: float = 60.0) -> dict[str, Any]:
    sfn = __import__("boto3").client("stepfunctions", region_name=tpl.REGION)
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            run = sfn.describe_execution(executionArn=execution_arn)
        except sfn.exceptions.ExecutionDoesNotExist:
            run = {"status": "RUNNING"}
        if run["status"] != "RUNNING":
            return run
        time.sleep(0.005)
    raise RuntimeError(f"{execution_arn} did not end within {deadline_s}s")


def _saga(h: Harness, rec: Recorder, router: Router, label: str, machine: str, execution_name: Callable[[Any], str],
          start: Callable[[], Outcome], expected_status: int, group: str = "circulation API") -> dict[str, Any]:
    """Start a saga through its route, then measure the execution on its own."""
    sfn = __import__("boto3").client("stepfunctions", region_name=tpl.REGION)
    router.open.clear()
    router.invocations.clear()
    began = time.perf_counter()
    outcome = rec.add(group, label, start(), expected_status)
    name = execution_name(outcome)
    arn = f"arn:aws:states:{tpl.REGION}:{tpl.ACCOUNT}:execution:{machine}:{name}"
    with counting() as calls:
        router.open.set()
        run = _wait(h, arn)
    end_to_end_ms = (time.perf_counter() - began) * 1000
    history = sfn.get_execution_history(executionArn=arn)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    steps_ms = sum(i["ms"] for i in router.invocations)
    return {"saga": label, "status": run["status"], "states": entered, "state_transitions": len(entered),
            "history_events": len(history), "invocations": list(router.invocations),
            "dynamodb_total": calls.total("dynamodb"), "dynamodb": calls.by_operation("dynamodb"),
            "api_ms": outcome.ms, "steps_ms": round(steps_ms, 1), "end_to_end_ms": round(end_to_end_ms, 1),
            "orchestration_ratio": round(end_to_end_ms / (outcome.ms + steps_ms), 2) if steps_ms else None}


def sagas(h: Harness, rec: Recorder, router: Router, seen: set[str], approved: Outcome, box_profile: str
          ) -> list[dict[str, Any]]:
    from circulation.integration.workflows import return_execution_name

    api = lambda method, path, **kw: _api(h, CIRCULATION, method, path, **kw)  # noqa: E731
    machines = {k: tpl._template().physical_name(k) for k in ("CheckOutStateMachine", "ReturnStateMachine")}
    rid = {"request_id": approved.body["id"]}
    results = []
    out = _saga(h, rec, router, "POST …/check-out (saga: success)", machines["CheckOutStateMachine"],
                lambda o: f"checkout-{o.body['loan']['id']}",
                lambda: api("POST", "/circulation/requests/{request_id}/check-out", path_params=rid,
                            headers=_if_match(approved)), 202)
    results.append(out)
    current = api("GET", "/circulation/requests/{request_id}", path_params=rid)
    back = _saga(h, rec, router, "POST …/return (saga: success)", machines["ReturnStateMachine"],
                 lambda o: return_execution_name(o.body["loan"]["id"], o.body["loan"]["return_started_at"]),
                 lambda: api("POST", "/circulation/requests/{request_id}/return", path_params=rid,
                             body={"condition": "good"}, headers=_if_match(current)), 202)
    results.append(back)

    # A check-out the stacks refuse (the box was reported missing after approval): the compensation path.
    box = _api(h, STACKS, "POST", "/boxes", body={"barcode": "BENCH-LOST", "container_profile_id": box_profile,
                                                   "producing_unit": "Finance Division", "record_form": "document"})
    placed = _api(h, STACKS, "PUT", "/boxes/{box_id}/placement", path_params={"box_id": box.body["id"]},
                  body={"location_id": "R01-01-02-1"}, headers=_if_match(box))
    _deliver_box_events(h, seen)
    created = api("POST", "/circulation/requests", who=REQUESTER, body={
        "box_id": box.body["id"], "purpose": "reading", "destination": {"kind": "reading_room"},
        "period": {"from": _day(1), "until": _day(3)}})
    lost_approved = api("POST", "/circulation/requests/{request_id}/approve",
                        path_params={"request_id": created.body["id"]}, headers=_if_match(created))
    _api(h, STACKS, "POST", "/boxes/{box_id}/status", path_params={"box_id": box.body["id"]},
         body={"status": "missing", "reason": "not on its shelf"},
         headers={"If-Match": f'"{placed.body["box"]["version"]}"'})
    results.append(_saga(h, rec, router, "POST …/check-out (saga: refused by stacks, compensated)",
                         machines["CheckOutStateMachine"], lambda o: f"checkout-{o.body['loan']['id']}",
                         lambda: api("POST", "/circulation/requests/{request_id}/check-out",
                                     path_params={"request_id": created.body["id"]},
                                     headers=_if_match(lost_approved)), 202))
    return results


def inventory_routes(h: Harness, rec: Recorder, router: Router) -> dict[str, Any]:
    """A small stock-take through the routes: campaign, session, one shelf's scans, the count, findings, close."""
    group = "inventory API"
    seen: set[str] = set()
    # The whole box history so far, in SQS batches of 10; the row is the last batch (up to 10 events).
    rec.add("inventory consumer", "handler: last SQS batch of the box history (≤ 10 events)",
            _deliver_box_events(h, seen, INVENTORY_EVENTS) or Outcome(None, None, {}, {}, {}, 0.0, "no events"))
    api = lambda method, path, **kw: _api(h, INVENTORY, method, path, **kw)  # noqa: E731
    campaign = rec.add(group, "POST /inventory/campaigns", api("POST", "/inventory/campaigns", body={
        "name": "Bench stock-take", "scope": {"repository_id": "R01", "ranges": ["R01-01"]}}), 201)
    cid = {"campaign_id": campaign.body["id"]}
    session = rec.add(group, "POST …/sessions", api("POST", "/inventory/campaigns/{campaign_id}/sessions",
                                                   path_params=cid, body={"name": "Bench"}), 201)
    expected = rec.add(group, "GET /inventory/expected (a shelf)", api("GET", "/inventory/expected",
                                                                      query={"location_id": "R01-01-01-1"}), 200)
    barcodes = [item["barcode"] for item in (expected.body or {}).get("items", [])]
    scans = {"campaign_id": campaign.body["id"], "session_id": session.body["id"]}
    rec.add(group, f"POST …/scans (one shelf, {len(barcodes)} barcodes)", api(
        "POST", "/inventory/campaigns/{campaign_id}/sessions/{session_id}/scans", path_params=scans,
        body={"location_id": "R01-01-01-1", "barcodes": barcodes}), 200)
    rec.add(group, "POST …/scans (the same shelf again: a recount)", api(
        "POST", "/inventory/campaigns/{campaign_id}/sessions/{session_id}/scans", path_params=scans,
        body={"location_id": "R01-01-01-1", "barcodes": barcodes}), 200)
    machine = tpl._template().physical_name("StockTakeStateMachine")
    count = _saga(h, rec, router, "POST …/count (state machine over 1 range)", machine,
                  lambda o: f"count-{o.body['id']}-{o.body['run']}",
                  lambda: api("POST", "/inventory/campaigns/{campaign_id}/count", path_params=cid,
                              headers=_if_match(campaign)), 202, group=group)
    rec.add(group, "GET …/report", api("GET", "/inventory/campaigns/{campaign_id}/report", path_params=cid), 200)
    rec.add(group, "GET …/results (page)", api("GET", "/inventory/campaigns/{campaign_id}/results", path_params=cid),
            200)
    finding = rec.add(group, "POST …/findings", api("POST", "/inventory/campaigns/{campaign_id}/findings",
                                                   path_params=cid, body={"barcode": barcodes[0] if barcodes else "X",
                                                                          "conditions": ["mould"]}), 201)
    fid = {**cid, "finding_id": (finding.body or {}).get("id", "missing")}
    rec.add(group, "PATCH …/findings/{id} (decision)", api(
        "PATCH", "/inventory/campaigns/{campaign_id}/findings/{finding_id}", path_params=fid,
        body={"decision": "conservation"}, headers=_if_match(finding)), 200)
    current = api("GET", "/inventory/campaigns/{campaign_id}", path_params=cid)
    rec.add(group, "POST …/close", api("POST", "/inventory/campaigns/{campaign_id}/close", path_params=cid,
                                      headers=_if_match(current)), 200)
    return count


def run(h: Harness, bulk_sizes: tuple[int, ...]) -> dict[str, Any]:
    import boto3

    from infrastructure.local.provision import create_state_machines

    create_state_machines(tpl._template(), boto3.client("stepfunctions", region_name=tpl.REGION))
    router = Router(h)
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register_first("before-send.lambda.Invoke", router)
    for function, package in ((CIRCULATION, "circulation"), (INVENTORY, "inventory")):
        h.load(function, f"{package}.app")
        __import__(f"{package}.integration.workflows", fromlist=["_client"])._client.cache_clear()
    rec = Recorder()
    seen: set[str] = set()
    try:
        made = stacks_routes(h, rec)
        bulk = bulk_placement(h, made["box_profile"], bulk_sizes)
        _deliver_box_events(h, seen)
        approved = circulation_routes(h, rec, seen, made["box"], made["box_profile"])
        saga_rows = sagas(h, rec, router, seen, approved, made["box_profile"])
        saga_rows.append(inventory_routes(h, rec, router))
    finally:
        boto3.DEFAULT_SESSION.events.unregister("before-send.lambda.Invoke", router)
    return {"rows": rec.rows, "bulk": bulk, "sagas": saga_rows}
