"""Records' transfer steps: a component streamed into the package and out again, memory flat in its size.

    .venv/bin/python -m bench.transfer_steps                 # components of 10 and 50 MiB
    .venv/bin/python -m bench.transfer_steps --mib 100

A moto server in its own process (so tracemalloc here measures this process alone: moto keeps the objects in
its own memory), the records table and bucket from template.yaml and a package bucket; per size, one file
marked by a transfer with one item and one component (written straight to the table and bucket, not measured).

For each size, run in this order and measured the same way (tracemalloc peak above what was allocated before,
seconds, S3 and DynamoDB calls):
- **naive copy** (the baseline): the component read whole (`get_object().read()`) and put into the package,
  hashed in between: what the step would cost holding the bytes;
- **package_files**: records' step, as the transfer state machine calls it (`records.tasks.transfer_handler`):
  the component copied in parts (8 MiB) and hashed while it streams, item.json and file.json written;
- **receive_files**: the receiver's copy from the package into the records bucket, hashed again, and its
  file, item and component written to the table;
- **hashlib**: hashing the same bytes in this process, 1 MiB at a time (the least of three), the throughput
  baseline: `vs hashlib` is a step's seconds over hashing's (1.00x would mean moving the bytes costs nothing).

Then `peak 50/10`: each measurement's peak at the large size over its peak at the small one. Flat means
~1.00x while the component grew 5x; the naive copy grows with it. Printed, never asserted.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import pathlib
import sys
import time
import tracemalloc

ROOT = pathlib.Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "functions" / "records"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench.components import MIB, _digest, _hash_baseline, _start_moto, _Stream  # noqa: E402
from bench.counting import counting  # noqa: E402

ORG, RECEIVER, TRANSFER = "org-bench", "org-bench-archive", "t-bench"
RECORDS, PACKAGES, PREFIX = "records-bench-transfer", "packages-bench-transfer", "transfers/org-bench/t-bench"


def _setup(url: str) -> None:
    os.environ.update({"AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "TABLE_NAME": "records",
                       "RECORDS_BUCKET": RECORDS, "TRANSFER_BUCKET": PACKAGES, "RECORDS_LOCK_DAYS": "36500"})
    import boto3
    from infrastructure import cfn
    from records.data import components as store, tables
    cfn.create_table(boto3.client("dynamodb", endpoint_url=url),
                     cfn.template()["Resources"]["RecordsTable"]["Properties"], "records")
    s3 = boto3.client("s3", endpoint_url=url)
    s3.create_bucket(Bucket=RECORDS, ObjectLockEnabledForBucket=True)
    s3.create_bucket(Bucket=PACKAGES)
    s3.put_bucket_versioning(Bucket=PACKAGES, VersioningConfiguration={"Status": "Enabled"})
    tables.TABLE.reset()
    store.reset_client()


def _seed(size: int) -> tuple[str, str]:
    """A file marked by the transfer, one item, one component of `size` bytes; (file id, its object key)."""
    import boto3
    from records.data import components as store, tables
    from records.domain.components import Component, object_key
    from records.domain.model import Access, Item, RecordFile, Rule
    stamp = "2026-01-01T00:00:00.000Z"
    file_id = f"bench-file-{size // MIB}"
    file = RecordFile(org_id=ORG, id=file_id, class_code="FIN-01", scheme_version=1, rule_version=1,
                      rule=Rule(retention="permanent", action="transfer"), title="Bench", producing_unit="Bench",
                      record_type="photo_film", electronic=True, access=Access("open"), status="being_transferred",
                      prior_status="closed", transfer_id=TRANSFER, retention="permanent", action="transfer",
                      closed_on="2025-06-01", created_at=stamp, updated_at=stamp)
    item = Item(org_id=ORG, file_id=file_id, id="bench-item", registration_number=f"B-{size // MIB}",
                title="Scans", access=Access("open"), created_at=stamp, updated_at=stamp)
    key = object_key(ORG, file_id, item.id, "bench-component")
    s3 = boto3.client("s3")
    s3.upload_fileobj(_Stream(size), RECORDS, key)
    version = s3.head_object(Bucket=RECORDS, Key=key)["VersionId"]
    tables.FileItem.of(file).save()
    tables.ItemItem.of(item).save()
    store.ComponentItem.of(Component(
        org_id=ORG, file_id=file_id, item_id=item.id, id="bench-component", filename="scan.tif",
        media_type="image/tiff", size=size, sha256=_digest(size), object_key=key, object_version=version,
        captured_by="bench", captured_at=stamp, updated_at=stamp)).save()
    return file_id, key


def _measured(run) -> dict:
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    with counting() as calls:
        began = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"seconds": seconds, "peak_mib": (peak - base) / MIB, "s3": sum(calls.others().values()),
            "dynamodb": calls.total(), "result": result}


def _naive(key: str, size: int) -> dict:
    import boto3
    s3 = boto3.client("s3")

    def run():
        data = s3.get_object(Bucket=RECORDS, Key=key)["Body"].read()
        digest = hashlib.sha256(data).hexdigest()
        s3.put_object(Bucket=PACKAGES, Key=f"naive/{key}", Body=data)
        return digest

    return _measured(run)


def _step(name: str, file_id: str) -> dict:
    from records import tasks
    from tests.support.events import FakeLambdaContext
    body = {"step": name, "transfer_id": TRANSFER, "file_ids": [file_id], "bucket": PACKAGES, "prefix": PREFIX,
            "correlation_id": "bench", "execution_id": "bench"}
    body |= {"org_id": ORG} if name == "package_files" else {"receiver_org": RECEIVER, "sender_org": ORG}
    return _measured(lambda: tasks.transfer_handler(body, FakeLambdaContext()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=50, help="the large component (the small one is a fifth)")
    args = parser.parse_args(argv)
    sizes = (max(1, args.mib // 5) * MIB, args.mib * MIB)
    process, url = _start_moto()
    rows: dict[tuple[str, int], dict] = {}
    try:
        _setup(url)
        for size in sizes:
            print(f"{size // MIB} MiB: seeding, naive copy, package_files, receive_files ...", file=sys.stderr,
                  flush=True)
            file_id, key = _seed(size)
            rows[("naive copy", size)] = _naive(key, size)
            rows[("package_files", size)] = packaged = _step("package_files", file_id)
            assert not packaged["result"]["refused"], packaged["result"]
            rows[("receive_files", size)] = received = _step("receive_files", file_id)
            assert received["result"]["received"] == [file_id], received["result"]
            rows[("hashlib", size)] = {"seconds": _hash_baseline(size)}
    finally:
        process.kill()
        process.wait(timeout=10)
    print(f"{'measurement':<14} {'MiB':>5} {'seconds':>8} {'MiB/s':>7} {'vs hashlib':>10} {'peak MiB':>9} "
          f"{'S3 calls':>8} {'DynamoDB':>8}")
    for (name, size), r in rows.items():
        if name == "hashlib":
            continue
        hashing = rows[("hashlib", size)]["seconds"]
        print(f"{name:<14} {size // MIB:>5} {r['seconds']:>8.2f} {size / MIB / r['seconds']:>7.1f} "
              f"{r['seconds'] / hashing:>9.2f}x {r['peak_mib']:>9.2f} {r['s3']:>8} {r['dynamodb']:>8}")
    for size in sizes:
        print(f"{'hashlib':<14} {size // MIB:>5} {rows[('hashlib', size)]['seconds']:>8.2f} "
              f"{size / MIB / rows[('hashlib', size)]['seconds']:>7.1f}")
    small, large = sizes
    print()
    for name in ("naive copy", "package_files", "receive_files"):
        ratio = rows[(name, large)]["peak_mib"] / rows[(name, small)]["peak_mib"]
        print(f"peak {large // MIB}/{small // MIB} MiB, {name}: {ratio:.2f}x (component {large / small:.0f}x larger; "
              f"flat is ~1.00x)")
    for size in sizes:
        print(f"{size // MIB} MiB: package_files peak / naive copy peak = "
              f"{rows[('package_files', size)]['peak_mib'] / rows[('naive copy', size)]['peak_mib']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
