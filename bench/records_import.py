"""Bulk registration at scale: items per second, DynamoDB calls per item, and whether the import's memory
stays flat in the number of rows.

    .venv/bin/python -m bench.records_import                  # 1,000 and 10,000 items
    .venv/bin/python -m bench.records_import --sizes 2000,20000

For each size: a fresh moto server in its own process (bench.stocktake's, with DynamoDB's partition
lookups and per-item transaction backups), records' table from template.yaml, a published scheme in
records' read model (fed through records' own consumer logic), then one upload of 10 files and N items
(an item names its file by reference) submitted as records' route does (shared.jobs: rows stored in
chunks, the job and its JobSubmitted event) and run as the jobs function runs it, in process: rows in
groups, each group one transaction with its rows' writes, their events and the job's progress.
Measured: wall time of submit and run, DynamoDB calls (botocore sends on the table's client) per item,
peak Python memory of the run (tracemalloc, reset before it). Printed, never asserted.

Time includes moto (an HTTP server on this machine); calls per item carry over to DynamoDB.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time
import tracemalloc

ROOT = pathlib.Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "functions" / "records"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench.stocktake import _start_moto  # noqa: E402  (one way to start the bench's moto server)

ORG, FILES = "org-bench", 10


def _rows(n: int) -> list[dict]:
    files = [{"record": "file", "reference": f"F-{k:02d}", "class_code": "BEN-01", "title": f"Bench file {k}",
              "producing_unit": "Bench Unit", "record_type": "general_document", "electronic": True}
             for k in range(FILES)]
    items = [{"record": "item", "file_reference": f"F-{i * FILES // n:02d}", "registration_number": f"B-{i:07d}",
              "title": f"Bench item {i}", "author": "Bench", "pages": 2} for i in range(n)]
    return files + items  # each file before its items (a file's items are one contiguous run)


def _publish_scheme() -> None:
    from records import logic
    subjects = [{"kind": "unit_task", "id": "BEN-01", "org_id": ORG}]
    logic.record_event({"id": "bench-task", "type": "UnitTaskPublished", "source": "records.classification",
                        "subjects": subjects, "payload": {
                            "scheme_version": 1, "code": "BEN-01", "title": "Bench", "path": [], "valid_from": None,
                            "valid_to": None, "rule": {"retention": "10y", "trigger": "year_after_closing",
                                                       "action": "review",
                                                       "access": {"classification": "open", "grounds": []}}}})
    logic.record_event({"id": "bench-version", "type": "SchemeVersionPublished", "source": "records.classification",
                        "subjects": [{"kind": "classification_scheme", "id": ORG, "org_id": ORG}],
                        "payload": {"scheme_version": 1, "unit_task_count": 1, "published_at": None}})


def run_size(n: int) -> dict:
    process, url = _start_moto()
    try:
        os.environ.update({"AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                           "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "TABLE_NAME": "records",
                           "POWERTOOLS_LOG_LEVEL": "WARNING"})  # no log line per job on stdout
        import boto3

        from infrastructure import cfn
        from records import jobs, logic
        from records.data import tables
        from shared.auth import Caller
        cfn.create_table(boto3.client("dynamodb", endpoint_url=url),
                         cfn.template()["Resources"]["RecordsTable"]["Properties"], "records")
        tables.TABLE.reset()  # bind to this run's moto server
        calls: dict[str, int] = {}
        conn = tables.TABLE.connection()
        conn.client.meta.events.register(
            "before-send.dynamodb.*", lambda event_name, **_: calls.__setitem__(
                event_name.rsplit(".", 1)[1], calls.get(event_name.rsplit(".", 1)[1], 0) + 1))
        _publish_scheme()
        rows = _rows(n)
        caller = Caller("u-bench", ORG, frozenset({"archivist"}))

        calls.clear()
        began = time.perf_counter()
        job = logic.submit_import(caller, rows, f"bench-{n}")
        submit_s, submit_calls = time.perf_counter() - began, sum(calls.values())

        calls.clear()
        tracemalloc.start()
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        began = time.perf_counter()
        again = logic.run_job(ORG, job.id, jobs.KINDS, lambda: 10**9, 900_000)
        run_s = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        done = logic.get_job(caller, job.id)
        return {"items": n, "rows": len(rows), "submit_s": submit_s, "submit_calls": submit_calls, "run_s": run_s,
                "run_calls": sum(calls.values()), "by_operation": dict(sorted(calls.items())),
                "peak_mib": (peak - base) / 2**20, "status": done.status, "succeeded": done.succeeded,
                "failed": done.failed, "continued": again}
    finally:
        process.kill()
        process.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args(argv)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        print(f"importing {n} items ...", file=sys.stderr, flush=True)
        rows.append(run_size(n))
    print(f"{'items':>7} {'submit s':>9} {'run s':>7} {'items/s':>8} {'calls':>6} {'calls/item':>10} "
          f"{'peak MiB':>9}  outcome")
    for r in rows:
        print(f"{r['items']:>7} {r['submit_s']:>9.2f} {r['run_s']:>7.1f} {r['items'] / r['run_s']:>8.0f} "
              f"{r['run_calls']:>6} {r['run_calls'] / r['items']:>10.3f} {r['peak_mib']:>9.2f}  "
              f"{r['status']}, {r['succeeded']} rows registered, {r['failed']} rejected")
        print(f"{'':>7} run calls by operation: {r['by_operation']}; submit: {r['submit_calls']} calls")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(f"\n{b['items'] // a['items']}x the items: run time x{b['run_s'] / a['run_s']:.1f}, "
              f"peak memory x{b['peak_mib'] / a['peak_mib']:.2f}, DynamoDB calls x{b['run_calls'] / a['run_calls']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
