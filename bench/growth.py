"""Section 3: does a request cost more when there is more data? (Pages are bounded: it should not.)

Same request against a small and a large data set, timed as the median of several
repetitions, DynamoDB calls counted. Time here includes moto, whose in-memory query
sorts a whole partition, so the *call counts* are the figure that carries over to
DynamoDB; time ratios near 1 mean neither our code nor the emulator grew.
"""
from __future__ import annotations

import statistics
from typing import Any

from bench import events
from bench.calls import API, AUDIT_API, AUDIT_CONSUMER, envelope
from bench.inprocess import Harness


def _seed_users(h: Harness, org_id: str, count: int) -> None:
    """Write users straight to the table (through identity's own item mapping): seeding is not measured."""
    with h.env_of(API):
        model = h.load(API, "identity.domain.model")
        tables = h.load(API, "identity.data.tables")
        with tables.UserItem.batch_write() as batch:
            for i in range(count):
                stamp = f"2025-01-01T00:00:{i % 60:02d}.000Z"
                batch.save(tables.UserItem.of(model.User(
                    id=f"{org_id}-user-{i:05d}", org_id=org_id, email=f"u{i}@{org_id}.example",
                    display_name=f"User {i}", roles=("requester",), status="active",
                    created_at=stamp, updated_at=stamp)))


def _seed_history(h: Harness, org_id: str, entity_id: str, count: int) -> None:
    """Append events through the audit trail's own path, so the chain is valid for verify=true."""
    logic = h.load(AUDIT_CONSUMER, "audit.logic")
    with h.env_of(AUDIT_CONSUMER):
        for _ in range(count):
            logic.record(envelope([("box", entity_id)], org_id=org_id))


def _summary(outcomes: list) -> dict[str, Any]:
    last = outcomes[-1]
    items = len((last.body or {}).get("items", [])) if isinstance(last.body, dict) else None
    return {"median_ms": round(statistics.median(o.ms for o in outcomes), 2), "status": last.status,
            "items": items, "dynamodb": last.dynamodb, "dynamodb_total": sum(last.dynamodb.values()),
            "error": last.error}


def _compare(h: Harness, logical_id: str, name: str, small: tuple[str, dict[str, Any]],
             large: tuple[str, dict[str, Any]], repetitions: int) -> dict[str, Any]:
    """Time both requests alternately (after one warm-up each), so drift in machine load hits both alike."""
    h.invoke(logical_id, small[1])
    h.invoke(logical_id, large[1])
    runs: dict[str, list] = {"small": [], "large": []}
    for _ in range(repetitions):
        runs["small"].append(h.invoke(logical_id, small[1]))
        runs["large"].append(h.invoke(logical_id, large[1]))
    s, l = _summary(runs["small"]), _summary(runs["large"])
    ratio = lambda a, b: round(b / a, 2) if a else None  # noqa: E731
    return {"name": name, "small": small[0], "large": large[0], "small_result": s, "large_result": l,
            "time_ratio": ratio(s["median_ms"], l["median_ms"]),
            "calls_ratio": ratio(s["dynamodb_total"], l["dynamodb_total"])}


def run(h: Harness, repetitions: int, sizes: dict[str, tuple[int, int]]) -> dict[str, Any]:
    few, many = sizes["users"]
    for org_id, count in ((f"growth-{few}", few), (f"growth-{many}", many)):
        _seed_users(h, org_id, count)

    def list_users(org_id: str) -> dict[str, Any]:
        admin = events.claims("growth-admin", org_id, ["admin"])
        return events.api_event("GET", "/organisations/{org_id}/users", path_params={"org_id": org_id},
                                claims=admin, query={"limit": "25"})

    comparisons = [_compare(h, API, "GET .../users?limit=25 (first page)", (f"{few} users", list_users(f"growth-{few}")),
                            (f"{many} users", list_users(f"growth-{many}")), repetitions)]

    short, long = sizes["events"]
    for count in (short, long):
        _seed_history(h, "growth-org", f"growth-entity-{count}", count)

    def history(count: int, verify: bool) -> tuple[str, dict[str, Any]]:
        auditor = events.claims("growth-auditor", "growth-org", ["auditor"])
        return f"{count} events", events.api_event(
            "GET", "/audit/entities/{entity_id}/events", path_params={"entity_id": f"growth-entity-{count}"},
            claims=auditor, query={"verify": "true"} if verify else None)

    comparisons.append(_compare(h, AUDIT_API, "GET /audit/entities/{id}/events (first page)",
                                history(short, False), history(long, False), repetitions))
    # Not a bounded page: verify=true recomputes the whole chain, so it is expected to grow with it.
    comparisons.append(_compare(h, AUDIT_API, "GET /audit/entities/{id}/events?verify=true",
                                history(short, True), history(long, True), repetitions))
    return {"repetitions": repetitions, "comparisons": comparisons}
