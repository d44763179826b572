"""Bulk decisions: approving or rejecting many check-out requests in one call, each with its own outcome.

Bounded (at most 50 requests) and synchronous: each request is decided exactly as its own
`POST …/approve` or `…/reject` would (the same use case, the same rules and writes), on the
request as it stands now (the list names requests, not versions: a request changed meanwhile
is decided as changed, and one whose state no longer allows the decision fails with 409).
Requests for one box are decided in the order given, so their queue order is the caller's;
different boxes are decided concurrently. A decision costs about six DynamoDB calls; 100 took
9.7 s in process on the loaded 2-core machine, so the bound is 50, and a decision not started when
less than `ANSWER_RESERVE_MS` of the function's time remain is not attempted (503: send it again).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from shared.auth import Caller
from shared.problems import Problem, ServiceUnavailable, ValidationFailed

from ..domain import rules
from .common import visible_request
from .requests import approve, reject

WORKERS = 8  # boxes decided at once
ANSWER_RESERVE_MS = 4_000  # time kept to answer when the function runs short (CirculationFunction: 15 s)


class NotAttempted(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__("Not attempted: the call ran out of time before this request's turn; send it again.")
OUTCOMES = ("approved", "queued", "rejected", "failed")


def decide_many(caller: Caller, body: dict[str, Any], time_left_ms: Callable[[], int] | None = None
                ) -> dict[str, Any]:
    rules.require_manager(caller)
    ids = body["request_ids"]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValidationFailed(f"request_ids: {', '.join(duplicates)} listed more than once.",
                               errors=[{"field": "request_ids", "message": "listed twice", "rule": "uniqueItems"}])
    results: list[dict[str, Any]] = [{"request_id": request_id} for request_id in ids]
    by_box: dict[str, list[tuple[int, Any]]] = {}
    for index, request_id in enumerate(ids):
        try:
            request = visible_request(caller, request_id)
        except Problem as problem:
            results[index].update(outcome="failed", problem=problem.to_dict())
            continue
        by_box.setdefault(request.box_id, []).append((index, request))

    def decide_box(box_id: str) -> None:
        for index, request in by_box[box_id]:
            if time_left_ms is not None and time_left_ms() < ANSWER_RESERVE_MS:
                results[index].update(outcome="failed", problem=NotAttempted().to_dict())
                continue
            try:
                if body["decision"] == "approve":
                    after = approve(caller, request.id, request.version)
                else:
                    after = reject(caller, request.id, {"reason": body["reason"]}, request.version)
                outcome = after.status if after.status in ("queued", "rejected") else "approved"
                results[index].update(outcome=outcome, status=after.status, version=after.version)
            except Problem as problem:
                results[index].update(outcome="failed", problem=problem.to_dict())

    if by_box:
        with ThreadPoolExecutor(max_workers=min(WORKERS, len(by_box))) as pool:
            list(pool.map(decide_box, by_box))
    summary = {name: sum(1 for r in results if r["outcome"] == name) for name in OUTCOMES}
    return {"decision": body["decision"], "summary": summary, "results": results}
