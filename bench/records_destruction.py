"""Records' destroy_files step: calls per file, time, and memory flat in the number of files.

    .venv/bin/python -m bench.records_destruction                 # 100 and 400 files of 10 components each
    .venv/bin/python -m bench.records_destruction --files 40 --components 10

A moto server in its own process (bench.components' server: tracemalloc here is this process's alone)
with the records table and an Object Lock bucket from template.yaml. N closed files, each with C captured
components (4 KiB, each version locked in GOVERNANCE mode as capture leaves it; written straight to the
table and bucket, not measured), are marked for one run (mark_for_destruction, pages of 25), then
destroyed page by page as the state machine's Map does (destroy_files, 25 files a page).

Reported, for two sizes (N and 4N files): seconds per file and per component, DynamoDB and S3 calls per
file, the peak Python memory of one page (tracemalloc, reset before each page; flat means the same
whatever N), and, as the baseline measured in the same run, deleting the same number of locked versions
with S3 alone (one DeleteObjects with the bypass per file's versions, no table): the ratio says what
recording the plan, the components, the file and their events adds to S3's own work.

Printed, never asserted.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
import tracemalloc

from bench.components import _start_moto
from bench.counting import counting

ORG, BUCKET, PAGE = "org-bench", "records-bench-destruction", 25
BODY = hashlib.sha256(b"destroy").digest() * 128  # 4 KiB
LOCK_UNTIL = "2125-01-01T00:00:00Z"


def _setup(url: str) -> None:
    os.environ.update({"AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "TABLE_NAME": "records",
                       "RECORDS_BUCKET": BUCKET, "DESTROY_MAX_SECONDS": "36000",
                       "POWERTOOLS_METRICS_NAMESPACE": "Bench", "LOG_LEVEL": "WARNING"})
    import boto3
    from infrastructure import cfn
    from records.data import components as store, tables
    cfn.create_table(boto3.client("dynamodb"), cfn.template()["Resources"]["RecordsTable"]["Properties"], "records")
    boto3.client("s3").create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    tables.TABLE.reset()
    store.reset_client()


def _seed(prefix: str, files: int, components: int) -> list[str]:
    """N closed files, each with one item and C locked components (not measured); their ids."""
    import boto3
    from records.data import components as store, tables
    from records.domain.components import Component, object_key
    from records.domain.model import Access, Item, RecordFile, Rule
    s3, stamp, digest, ids = boto3.client("s3"), "2026-01-01T00:00:00.000Z", hashlib.sha256(BODY).hexdigest(), []
    with tables.FileItem.batch_write() as batch:
        for n in range(files):
            file_id, item_id = f"{prefix}-{n:05d}", f"{prefix}-{n:05d}-item"
            ids.append(file_id)
            batch.save(tables.FileItem.of(RecordFile(
                org_id=ORG, id=file_id, class_code="FIN-01", scheme_version=1, rule_version=1,
                rule=Rule("5y", "review"), title=f"File {n}", producing_unit="Bench", record_type="general_document",
                electronic=True, access=Access(), status="closed", closed_on="2015-03-01", created_at=stamp,
                updated_at=stamp)))
            batch.save(tables.ItemItem.of(Item(org_id=ORG, file_id=file_id, id=item_id, registration_number=file_id,
                                               title="Scans", access=Access(), created_at=stamp, updated_at=stamp)))
            for c in range(components):
                key = object_key(ORG, file_id, item_id, f"c{c:03d}")
                version = s3.put_object(Bucket=BUCKET, Key=key, Body=BODY, ObjectLockMode="GOVERNANCE",
                                        ObjectLockRetainUntilDate=LOCK_UNTIL)["VersionId"]
                batch.save(store.ComponentItem.of(Component(
                    org_id=ORG, file_id=file_id, item_id=item_id, id=f"c{c:03d}", filename=f"p{c}.pdf",
                    media_type="application/pdf", size=len(BODY), sha256=digest, object_key=key,
                    object_version=version, captured_by="bench", captured_at=stamp, updated_at=stamp)))
    return ids


def _pages(ids: list[str]) -> list[list[str]]:
    return [ids[i:i + PAGE] for i in range(0, len(ids), PAGE)]


def destroy_run(files: int, components: int) -> dict:
    from records import destruction, tasks
    from tests.support.events import FakeLambdaContext
    ids = _seed(f"run{files}", files, components)
    run_id = f"run-{files}"
    for page in _pages(ids):
        answer = tasks.handler({"step": "mark_for_destruction", "org_id": ORG, "run_id": run_id, "file_ids": page},
                               FakeLambdaContext())
        assert len(answer["marked"]) == len(page), answer
    peaks, seconds = [], 0.0
    with counting() as calls:
        for page in _pages(ids):
            tracemalloc.start()
            tracemalloc.reset_peak()
            base, _ = tracemalloc.get_traced_memory()
            began = time.perf_counter()
            answer = destruction.handler({"step": "destroy_files", "org_id": ORG, "run_id": run_id, "file_ids": page,
                                          "executed_by": "bench", "supervisor": {"name": "Bench"}},
                                         FakeLambdaContext())
            seconds += time.perf_counter() - began
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peaks.append(peak - base)
            assert len(answer["destroyed"]) == len(page) and all(
                len(f["components"]) == components for f in answer["destroyed"]), answer["skipped"]
    return {"files": files, "components": files * components, "seconds": seconds,
            "peak_page_kib": max(peaks) / 1024, "dynamodb": calls.by_operation(),
            "s3": {k: v for k, v in calls.others().items() if k.startswith("s3.")}}


def s3_alone(files: int, components: int) -> float:
    """Seconds to delete as many locked versions with S3 alone: one listing and one DeleteObjects per file."""
    import boto3
    s3 = boto3.client("s3")
    ids = _seed(f"base{files}", files, components)
    began = time.perf_counter()
    for file_id in ids:
        listed = s3.list_object_versions(Bucket=BUCKET, Prefix=f"components/{ORG}/{file_id}/")
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in listed.get("Versions", [])]
        s3.delete_objects(Bucket=BUCKET, Delete={"Objects": doomed, "Quiet": True}, BypassGovernanceRetention=True)
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--components", type=int, default=10)
    args = parser.parse_args(argv)
    process, url = _start_moto()
    rows = []
    try:
        _setup(url)
        for files in (args.files, args.files * 4):
            print(f"destroy {files} files x {args.components} components ...", file=sys.stderr, flush=True)
            row = destroy_run(files, args.components)
            row["baseline"] = s3_alone(files, args.components)
            rows.append(row)
    finally:
        process.kill()
        process.wait(timeout=10)
    print("destroy_files (pages of 25 files, as the state machine's Map gives them)")
    print(f"{'files':>6} {'comps':>6} {'s':>7} {'ms/file':>8} {'ms/comp':>8} {'S3 alone s':>10} {'vs S3 alone':>11} "
          f"{'page peak KiB':>13}  calls per file")
    for r in rows:
        ddb, s3 = sum(r["dynamodb"].values()), sum(r["s3"].values())
        per_file = {name: ", ".join(f"{k} {v / r['files']:.2f}" for k, v in r[name].items())
                    for name in ("dynamodb", "s3")}
        print(f"{r['files']:>6} {r['components']:>6} {r['seconds']:>7.2f} {1000 * r['seconds'] / r['files']:>8.1f} "
              f"{1000 * r['seconds'] / r['components']:>8.2f} {r['baseline']:>10.2f} "
              f"{r['seconds'] / r['baseline']:>10.2f}x {r['peak_page_kib']:>13.0f}  "
              f"DynamoDB {ddb / r['files']:.2f} ({per_file['dynamodb']}); S3 {s3 / r['files']:.2f} ({per_file['s3']})")
    small, large = rows
    print(f"page peak memory at {large['files']} / {small['files']} files: "
          f"{large['peak_page_kib'] / small['peak_page_kib']:.2f}x (flat: ~1.00x while the run grew "
          f"{large['files'] / small['files']:.0f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
