"""What the partner authorizer and its quota check add to a partner request.

    .venv/bin/python -m bench.partners [--repetitions 300]

In process against moto (`mock_aws`), the identity and partners tables built from
template.yaml, one partner client with a key. Timed round-robin in the same run (so load on the
machine hits every row alike), median and p90 per request:

- route alone: identity's `GET /directory/organisations` handler called with a partner already in
  the request context (what the function does once API Gateway let the call through);
- quota check alone: the per-minute and per-day counters (`partners.data.quotas.count`);
- authorizer, look-up cached: the partner authorizer's handler on the key (hash check, the key and
  client from its cache, the quota check, last use already recorded this minute), then the route;
- authorizer, look-up uncached: the same with the look-up cache emptied first (the key and the
  client read from the table: once a minute per key and execution environment in AWS).

Ratios are to the route alone. Moto answers a DynamoDB call in about a millisecond in process,
DynamoDB in AWS in a few from Lambda; what carries over is the number of calls per request
(also printed) and the ratios' order, not the milliseconds. In AWS the authorizer is also a
Lambda invocation of its own (API Gateway to the authorizer and back), which this does not time.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import time
from typing import Any, Callable

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
for _capability in ("identity", "partners"):
    sys.path.insert(1, str(ROOT / "functions" / _capability))

os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench",
                   "AWS_SECRET_ACCESS_KEY": "bench", "POWERTOOLS_METRICS_DISABLED": "true", "LOG_LEVEL": "WARNING",
                   "POWERTOOLS_LOG_LEVEL": "WARNING", "PARTNER_USAGE_KEY": "partners-outer-guard-bench"})
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("TABLE_NAME", None)  # each capability's table under its own name

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from bench.counting import counting, describe  # noqa: E402
from infrastructure import cfn  # noqa: E402
from infrastructure.aws_events import FakeLambdaContext, api_event, claims  # noqa: E402

ORG = "org-bench"
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:recordsapi/v1/GET/directory/organisations"


def _world() -> str:
    """The tables, three organisations, a partner client (quotas far above the run) and its key."""
    resources = cfn.template()["Resources"]
    ddb = boto3.client("dynamodb")
    cfn.create_table(ddb, resources["IdentityTable"]["Properties"], "identity")
    cfn.create_table(ddb, resources["PartnersTable"]["Properties"], "partners")
    from identity.app import handler as identity
    from partners.app import handler as partners
    root = claims("bench-root", "org-platform", ["admin", "sysadmin"])
    for n in range(3):
        identity(api_event("POST", "/organisations", claims=root, body={
            "id": f"org-bench-{n}", "name": f"Bench archive {n}", "type": "agency"}), FakeLambdaContext())
    admin = claims("bench-admin", ORG, ["admin"])
    client = json.loads(partners(api_event("POST", "/partners/clients", claims=admin, body={
        "name": "Bench gateway", "contact": {"name": "Bench", "email": "bench@example.org"},
        "scopes": ["directory:read"], "quota": {"per_minute": 100_000, "per_day": 10_000_000}}),
        FakeLambdaContext())["body"])
    issued = json.loads(partners(api_event("POST", "/partners/clients/{client_id}/keys", claims=admin, body={},
                                           path_params={"client_id": client["id"]}), FakeLambdaContext())["body"])
    return issued["secret"]


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median_ms": round(statistics.median(ordered), 3),
            "p90_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))], 3)}


def run(repetitions: int) -> dict[str, Any]:
    with mock_aws():
        secret = _world()
        from identity.app import handler as identity
        from partners.authorizer import handler as authorizer
        from partners.data import quotas
        from partners.domain.model import Quota
        from partners.domain.quotas import windows
        from partners.logic import access

        request = {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": {"X-Api-Key": secret}}
        context = authorizer(request, FakeLambdaContext())["context"]  # also records this minute's use

        def route(partner: dict[str, Any]) -> None:
            answer = identity(api_event("GET", "/directory/organisations", partner=partner), FakeLambdaContext())
            assert answer["statusCode"] == 200, answer

        def cached() -> None:
            route(authorizer(request, FakeLambdaContext())["context"])

        def uncached() -> None:
            access.forget()
            cached()

        quota = Quota(per_minute=100_000, per_day=10_000_000)
        rows: dict[str, Callable[[], None]] = {
            "route alone": lambda: route(context),
            "quota check alone": lambda: quotas.count(context["partner_client_id"], windows(quota, time.time()),
                                                      time.time()),
            "authorizer (look-up cached) + route": cached,
            "authorizer (look-up uncached) + route": uncached,
        }
        calls = {}
        for name, action in rows.items():  # warm, and count the calls of one request
            action()
            with counting() as counted:
                action()
            calls[name] = describe(counted.by_operation("dynamodb"))
        samples: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(repetitions):
            for name, action in rows.items():
                started = time.perf_counter()
                action()
                samples[name].append((time.perf_counter() - started) * 1000)
        base = statistics.median(samples["route alone"])
        table = []
        for name in rows:
            stats = _stats(samples[name])
            table.append({"request": name, **stats, "ratio_to_route": round(stats["median_ms"] / base, 2),
                          "dynamodb_calls": calls[name]})
        cached_ms = statistics.median(samples["authorizer (look-up cached) + route"])
        quota_ms = statistics.median(samples["quota check alone"])
        return {"repetitions": repetitions, "rows": table, "added": {
            "authorizer_ms": round(cached_ms - base, 3), "of_which_quota_ms": round(quota_ms, 3),
            "authorizer_ratio": round(cached_ms / base, 2)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=300)
    args = parser.parse_args(argv)
    result = run(args.repetitions)
    width = max(len(r["request"]) for r in result["rows"])
    print(f"{'request':<{width}}  median ms  p90 ms  × route  DynamoDB calls per request")
    for r in result["rows"]:
        print(f"{r['request']:<{width}}  {r['median_ms']:>9.2f}  {r['p90_ms']:>6.2f}  {r['ratio_to_route']:>7.2f}  "
              f"{r['dynamodb_calls']}")
    added = result["added"]
    print(f"\nadded per partner request (look-up cached): {added['authorizer_ms']:.2f} ms "
          f"(×{added['authorizer_ratio']:.2f} the route alone), of which the quota check {added['of_which_quota_ms']:.2f} ms")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "partners.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
